/**
 * The one regular-expression flavour of the expression language (regexp_matches, regexp_replace, regexp_extract):
 * a subset of POSIX ERE that PostgreSQL (ARE), DuckDB (RE2), Java and JavaScript read the same way, so a pattern
 * matches the same text on every engine. What is outside it is a located compile error, never a pattern an engine
 * reads its own way:
 * - literal characters; `\` before one of `. [ ] ( ) * + ? { } | ^ $ \ -` for the character itself;
 * - `.` (any character, a line break included);
 * - bracket expressions `[abc]`, `[a-z0-9]`, `[^...]` (a `]` first is literal; no `\`, no `[:digit:]` classes);
 * - quantifiers `* + ? {n} {n,} {n,m}` (n, m <= 255) after an atom, greedy only (no `*?`);
 * - groups `( ... )` (capturing, numbered from 1 by their opening parenthesis; no `(?...)`);
 * - alternation `|`; anchors `^` and `$` (the start and end of the whole text, not of a line).
 * Class escapes (`\d`, `\w`, `\s`, `\b`) are refused: PostgreSQL's follow the locale, the others ASCII.
 */

/** What a pattern of the flavour holds, or where and why it is not one. */
export type RegexShape =
  /** `nullable`: the pattern can match the empty text (`b*`, `x?$`, `^`). */
  | { ok: true; groups: number; alternation: boolean; quantifiedGroup: boolean; nullable: boolean }
  | { ok: false; offset: number; message: string; hint?: string };

const ESCAPABLE = new Set([".", "[", "]", "(", ")", "*", "+", "?", "{", "}", "|", "^", "$", "\\", "-"]);
/** The largest repetition bound PostgreSQL accepts (RE_DUP_MAX). */
const MAX_BOUND = 255;

/** Reads `pattern` against the flavour. */
export function regexShape(pattern: string): RegexShape {
  let groups = 0;
  let alternation = false;
  let quantifiedGroup = false;
  let depth = 0;
  /** Whether the previous item can take a quantifier, and whether it was a group. */
  let atom: "none" | "atom" | "group" | "quantified" = "none";
  // Whether it can match empty text, per open group: its finished branches, the current branch so far, and the
  // last item (not yet joined to the branch: a quantifier after it may make it optional).
  const frames: { alts: boolean[]; cur: boolean; item?: boolean }[] = [{ alts: [], cur: true }];
  const top = () => frames[frames.length - 1]!;
  const commit = (): void => {
    const f = top();
    if (f.item !== undefined) f.cur &&= f.item;
    delete f.item;
  };
  const item = (nullable: boolean): void => {
    commit();
    top().item = nullable;
  };
  const fail = (offset: number, message: string, hint?: string): RegexShape => (hint === undefined ? { ok: false, offset, message } : { ok: false, offset, message, hint });
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    switch (c) {
      case "\\": {
        const n = pattern[i + 1];
        if (n === undefined) return fail(i, "ends with a lone backslash", "Write \\\\ for a backslash.");
        if (!ESCAPABLE.has(n)) {
          const hint = /[dD]/.test(n) ? "Write [0-9] for a digit." : /[sS]/.test(n) ? "Write [ ] (or the characters meant) for a space." : /[wW]/.test(n) ? "Write [A-Za-z0-9_] for a word character." : "Escape only . [ ] ( ) * + ? { } | ^ $ \\ -, or write the character itself.";
          return fail(i, `has "\\${n}", which engines read differently`, hint);
        }
        i++;
        atom = "atom";
        item(false);
        break;
      }
      case "[": {
        const end = bracketEnd(pattern, i);
        if (typeof end !== "number") return fail(end.offset, end.message, end.hint);
        i = end;
        atom = "atom";
        item(false);
        break;
      }
      case "(": {
        if (pattern[i + 1] === "?") return fail(i, 'has "(?", a construct engines read differently', "Use plain groups ( ... ).");
        if (pattern[i + 1] === ")") return fail(i, "has an empty group ()");
        depth++;
        groups++;
        atom = "none";
        commit();
        frames.push({ alts: [], cur: true });
        break;
      }
      case ")": {
        if (depth === 0) return fail(i, 'has a ")" without its "("', "Write \\) for a parenthesis.");
        depth--;
        atom = "group";
        commit();
        const g = frames.pop()!;
        top().item = g.alts.some((x) => x) || g.cur;
        break;
      }
      case "|":
        alternation = true;
        atom = "none";
        commit();
        top().alts.push(top().cur);
        top().cur = true;
        break;
      case "*":
      case "+":
      case "?":
      case "{": {
        if (atom === "quantified") return fail(i, `has "${c}" after a quantifier`, "Non-greedy and possessive quantifiers (*?, ++) are not portable; write one quantifier.");
        if (atom === "none") return fail(i, `has "${c}" with nothing to repeat`, `Write \\${c} for the character itself.`);
        let end = i;
        if (c === "{") {
          const m = /^\{([0-9]+)(,([0-9]*))?\}/.exec(pattern.slice(i));
          if (!m) return fail(i, 'has a "{" that is not a bound {n}, {n,} or {n,m}', "Write \\{ for a brace.");
          const lo = Number(m[1]);
          const hi = m[2] === undefined ? lo : m[3] === "" ? undefined : Number(m[3]);
          if (lo > MAX_BOUND || (hi !== undefined && hi > MAX_BOUND)) return fail(i, `has a bound above ${MAX_BOUND}`);
          if (hi !== undefined && hi < lo) return fail(i, `has the bound ${m[0]}, whose maximum is below its minimum`);
          end = i + m[0].length - 1;
        }
        if (atom === "group") quantifiedGroup = true;
        if (c === "*" || c === "?" || (c === "{" && /^\{0[,}]/.test(pattern.slice(i)))) top().item = true;
        atom = "quantified";
        i = end;
        break;
      }
      case "}":
        return fail(i, 'has a "}" without its "{"', "Write \\} for a brace.");
      case "]":
        return fail(i, 'has a "]" without its "["', "Write \\] for a bracket.");
      case "^":
      case "$":
        atom = "none";
        item(true);
        break;
      default:
        atom = "atom";
        item(false);
    }
  }
  if (depth > 0) return fail(pattern.length, 'has a "(" without its ")"');
  commit();
  return { ok: true, groups, alternation, quantifiedGroup, nullable: top().alts.some((x) => x) || top().cur };
}

/** The offset of the `]` closing the bracket expression opened at `start`, or why it is not one of the flavour. */
function bracketEnd(p: string, start: number): number | { offset: number; message: string; hint?: string } {
  let i = start + 1;
  if (p[i] === "^") i++;
  const first = i;
  let prev: string | undefined;
  for (; i < p.length; i++) {
    const c = p[i]!;
    if (c === "]" && i > first) return i;
    if (c === "\\") return { offset: i, message: "has a backslash inside [ ], which engines read differently", hint: "Put ] first and - last to mean them; a backslash cannot be written inside [ ]." };
    if (c === "[" && /[:=.]/.test(p[i + 1] ?? "")) return { offset: i, message: `has "[${p[i + 1]}" inside [ ] (a POSIX class), which not every engine reads`, hint: "Write the characters, e.g. [0-9] for [:digit:]." };
    if (c === "[") return { offset: i, message: 'has a "[" inside [ ], which engines read differently', hint: "Write \\[ outside brackets for the character." };
    if (c === "-" && prev !== undefined && i + 1 < p.length && p[i + 1] !== "]") {
      const hi = p[i + 1]!;
      if (hi === "\\" || hi === "[") return { offset: i + 1, message: "has a range ending in a special character" };
      if (hi.codePointAt(0)! < prev.codePointAt(0)!) return { offset: i - 1, message: `has the range ${prev}-${hi}, whose end is before its start` };
      i++;
      prev = undefined;
      continue;
    }
    prev = c;
  }
  return { offset: start, message: 'has a "[" without its "]"', hint: "Write \\[ for a bracket." };
}

/** Checks a regexp_replace replacement: `\1`..`\9` name groups of the pattern, `\\` is a backslash. */
export function replacementProblem(replacement: string, groups: number): string | undefined {
  for (let i = 0; i < replacement.length; i++) {
    if (replacement[i] !== "\\") continue;
    const n = replacement[i + 1];
    if (n === "\\") {
      i++;
      continue;
    }
    if (n !== undefined && /[1-9]/.test(n)) {
      if (Number(n) > groups) return `refers to group \\${n}, but the pattern has ${groups} group${groups === 1 ? "" : "s"}`;
      i++;
      continue;
    }
    return `has "\\${n ?? ""}": only \\1 to \\9 (a group of the pattern) and \\\\ (a backslash) are read in a replacement`;
  }
  return undefined;
}
