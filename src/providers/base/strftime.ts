/**
 * strftime-style formats (the plan's dateFormat/datetimeFormat and to_date/to_timestamp formats) split into
 * directives and literal text, so dialects without strptime can translate them.
 */
export type StrftimeToken = { kind: "directive"; directive: string } | { kind: "literal"; text: string };

/**
 * Tokenizes `format`. `%%` becomes a literal "%"; a trailing lone "%" is returned as a directive "" so callers
 * reject it like any unknown directive.
 */
export function tokenizeStrftime(format: string): StrftimeToken[] {
  const out: StrftimeToken[] = [];
  let literal = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== "%") {
      literal += ch;
      continue;
    }
    const d = format[i + 1] ?? "";
    i++;
    if (d === "%") {
      literal += "%";
      continue;
    }
    if (literal) out.push({ kind: "literal", text: literal });
    literal = "";
    out.push({ kind: "directive", directive: d });
  }
  if (literal) out.push({ kind: "literal", text: literal });
  return out;
}

/** strftime directive -> PostgreSQL to_date/to_timestamp template pattern. */
const PG_PATTERNS: Readonly<Record<string, string>> = {
  Y: "YYYY",
  y: "YY",
  m: "MM",
  d: "DD",
  j: "DDD",
  H: "HH24",
  I: "HH12",
  M: "MI",
  S: "SS",
  f: "US",
  p: "AM",
  b: "Mon",
  B: "Month",
};

/** Directives {@link toPostgresTemplate} can translate. */
export const PG_STRFTIME_DIRECTIVES: readonly string[] = Object.keys(PG_PATTERNS);

/**
 * Translates a strftime format into a PostgreSQL template. Literal text is double-quoted when it has letters or
 * digits (which PostgreSQL would otherwise read as patterns); separators stay bare.
 * @returns the template, or the first unsupported directive.
 */
export function toPostgresTemplate(format: string): { template: string } | { unsupported: string } {
  let template = "";
  for (const t of tokenizeStrftime(format)) {
    if (t.kind === "directive") {
      const p = PG_PATTERNS[t.directive];
      if (p === undefined) return { unsupported: `%${t.directive}` };
      template += p;
    } else if (/[A-Za-z0-9"\\]/.test(t.text)) {
      template += `"${t.text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
    } else {
      template += t.text;
    }
  }
  return { template };
}
