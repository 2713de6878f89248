/**
 * The placeholders of a `kind: sql` statement: `${schemas.x}` (a quoted identifier), `${params.x}` (a literal of the
 * parameter's declared type) and `${raw:params.x}` (the value spliced as written, for parameters declared with a
 * pattern or enum only).
 *
 * The statement is scanned lexically so that each placeholder knows where it stands: in code, inside a string
 * literal, a quoted identifier or a comment. Only placeholders in code are substituted; one inside quotes is an error,
 * because a literal rendered inside quotes would end the quoted text early (`'${params.x}'` is exactly the injection a
 * value must not be able to perform), and one inside a comment could end a `--` comment with a newline.
 */

/** Where a placeholder stands in the statement's SQL. */
export type SqlContext = "code" | "string" | "identifier" | "comment";

/** One `${...}` placeholder found in a statement. `start`/`end` are offsets in the statement text. */
export interface SqlPlaceholder {
  kind: "schema" | "param" | "raw";
  name: string;
  start: number;
  end: number;
  context: SqlContext;
}

// `${ schemas.x }`, `${params.x}`, `${raw:params.x}`; spaces inside the braces are tolerated as they always were.
const PLACEHOLDER = /\$\{\s*(raw:\s*)?(schemas|params)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}/y;

/**
 * Every placeholder of `sql`, in order, with its lexical context. Strings (`'...'` with `''`, `E'...'` with
 * backslash escapes, PostgreSQL's `$tag$...$tag$`), quoted identifiers (`"..."`) and comments (`--`, nested
 * `/* *\/`) are recognised; an unterminated one runs to the end of the text.
 */
export function scanSqlPlaceholders(sql: string): SqlPlaceholder[] {
  const found: SqlPlaceholder[] = [];
  let context: SqlContext = "code";
  let close = ""; // what ends the current non-code context
  let backslashEscapes = false;
  let depth = 0; // nesting of block comments
  let i = 0;
  while (i < sql.length) {
    if (sql.startsWith("${", i)) {
      PLACEHOLDER.lastIndex = i;
      const m = PLACEHOLDER.exec(sql);
      if (m) {
        const kind = m[2] === "schemas" ? "schema" : m[1] ? "raw" : "param";
        found.push({ kind, name: m[3]!, start: i, end: i + m[0].length, context });
        i += m[0].length;
        continue;
      }
    }
    const c = sql[i]!;
    if (context === "code") {
      if (c === "'") {
        backslashEscapes = i > 0 && /[Ee]/.test(sql[i - 1]!) && !(i > 1 && /[A-Za-z0-9_]/.test(sql[i - 2]!));
        context = "string";
        close = "'";
      } else if (c === '"') {
        context = "identifier";
        close = '"';
      } else if (sql.startsWith("--", i)) {
        context = "comment";
        close = "\n";
      } else if (sql.startsWith("/*", i)) {
        context = "comment";
        close = "*/";
        depth = 1;
        i += 2;
        continue;
      } else if (c === "$" && !(i > 0 && /[A-Za-z0-9_]/.test(sql[i - 1]!))) {
        const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
        if (tag) {
          context = "string";
          close = tag[0];
          backslashEscapes = false;
          i += tag[0].length;
          continue;
        }
      }
      i += 1;
      continue;
    }
    // Inside a string, identifier or comment: look for its end.
    if (context === "string" && backslashEscapes && c === "\\") {
      i += 2;
      continue;
    }
    if (close === "*/" && sql.startsWith("/*", i)) {
      depth += 1;
      i += 2;
      continue;
    }
    if (sql.startsWith(close, i)) {
      // A doubled quote is an escaped quote, not the end.
      if ((close === "'" || close === '"') && sql[i + 1] === close) {
        i += 2;
        continue;
      }
      if (close === "*/" && --depth > 0) {
        i += 2;
        continue;
      }
      i += close.length;
      context = "code";
      continue;
    }
    i += 1;
  }
  return found;
}

/**
 * Replaces each placeholder of `sql` by what `render` returns for it (one pass over the original text, so a
 * substituted value is never scanned again).
 */
export function substituteSqlPlaceholders(sql: string, render: (p: SqlPlaceholder) => string): string {
  let out = "";
  let at = 0;
  for (const p of scanSqlPlaceholders(sql)) {
    out += sql.slice(at, p.start) + render(p);
    at = p.end;
  }
  return out + sql.slice(at);
}
