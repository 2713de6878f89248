/**
 * The one regular-expression flavour (src/core/expr/regex-flavour.ts) spelled for Java's java.util.regex, which
 * Spark's RLIKE, regexp_replace and regexp_extract use. Java reads most of the flavour alike; where it does not, the
 * pattern is rewritten so the match is the one PostgreSQL and DuckDB find:
 * - `.` takes a line break in the flavour: the pattern runs in DOTALL mode (`(?s)`, which adds no group);
 * - `$` is the end of the text: Java's `$` also matches before a final line break, so it becomes `\z`;
 * - inside `[ ]` Java reads `&&` (intersection), `[` (union) and `\` itself: every character but a range's `-` and
 *   the leading `^` is escaped there, so `[]a&&b-]` is the set of `] a & b -` as on the other engines.
 * Replacements: the flavour's `\1`..`\9` become Java's `$1`..`$9`, and every other character is escaped, so a `$`
 * is a dollar and a digit after a group is a digit (Java would read `$12` as group 12 where the pattern has it).
 * Patterns reach here already checked against the flavour by the compiler; what is not of it is refused by
 * {@link javaRegex} rather than passed on for Java to read its own way.
 */
import { regexShape } from "../../core/expr/regex-flavour.js";
import { invalidPlan } from "../provider-errors.js";

/** `pattern`, of the flavour, as a Java regex matching the same text. @throws INVALID_PLAN when it is not of the flavour. */
export function javaRegex(pattern: string): string {
  const shape = regexShape(pattern);
  if (!shape.ok) throw invalidPlan(`the pattern ${JSON.stringify(pattern)} ${shape.message} (at character ${shape.offset + 1}).`);
  let out = "(?s)";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      // An escaped special character of the flavour: Java reads `\` before any non-letter as the character itself.
      out += `\\${pattern[i + 1]!}`;
      i++;
    } else if (c === "$") {
      out += "\\z";
    } else if (c === "[") {
      const { text, end } = javaBracket(pattern, i);
      out += text;
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}

/** The bracket expression opening at `start` (checked by the flavour) in Java's spelling, and the offset of its `]`. */
function javaBracket(p: string, start: number): { text: string; end: number } {
  let i = start + 1;
  let text = "[";
  if (p[i] === "^") {
    text += "^";
    i++;
  }
  const first = i;
  for (; i < p.length; i++) {
    const c = p[i]!;
    if (c === "]" && i > first) return { text: `${text}]`, end: i };
    // A range `a-z` (the flavour's rule: a `-` between two characters, not last); its ends escaped as any member.
    if (p[i + 1] === "-" && i + 2 < p.length && p[i + 2] !== "]") {
      text += `${member(c)}-${member(p[i + 2]!)}`;
      i += 2;
      continue;
    }
    text += member(c);
  }
  throw invalidPlan(`the pattern ${JSON.stringify(p)} has a "[" without its "]".`);
}

/** One character of a set, escaped when Java would read it as syntax (letters and digits never need it; `\` before them would). */
function member(c: string): string {
  return /[A-Za-z0-9]/.test(c) || c.codePointAt(0)! > 0x7f ? c : `\\${c}`;
}

/** A replacement of the flavour (`\1`..`\9` groups, `\\` a backslash, the rest literal) in Java's spelling. */
export function javaReplacement(replacement: string): string {
  let out = "";
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!;
    if (c === "\\" && /[1-9]/.test(replacement[i + 1] ?? "")) {
      out += `$${replacement[i + 1]!}`;
      i++;
    } else if (c === "\\" && replacement[i + 1] === "\\") {
      out += "\\\\";
      i++;
    } else {
      // Java's replacement reads `\x` as x: every `$`, `\` and digit (after a group it would extend its number) escaped.
      out += /[$\\0-9]/.test(c) ? `\\${c}` : c;
    }
  }
  return out;
}
