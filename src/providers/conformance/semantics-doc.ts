import { SEMANTICS_CATALOGUE, SEMANTICS_ROWS, type SemanticsCase } from "./semantics-catalogue.js";

/** A cell of a Markdown table: pipes escaped, code in backticks that cannot be closed by the text. */
function code(s: string): string {
  const fence = s.includes("`") ? "``" : "`";
  return `${fence}${s.replaceAll("|", "\\|")}${fence}`;
}

function result(c: SemanticsCase): string {
  const e = c.expected;
  if (e !== null && typeof e === "object" && !Array.isArray(e)) return "error" in e ? "**error**" : "*not promised*";
  const one = (v: unknown): string => (v === null ? "NULL" : typeof v === "string" ? `'${v}'` : String(v));
  return code(Array.isArray(e) ? e.map(one).join(", ") : one(e));
}

/**
 * docs/semantics.md, rendered from the semantics catalogue: the promise of each construct and its cases. Kept in
 * step by a test (regenerate with UPDATE_GOLDEN=1).
 */
export function renderSemanticsMarkdown(): string {
  const out: string[] = [
    "# Semantics of the DML expression language",
    "",
    "<!-- Generated from src/providers/conformance/semantics/*.ts: edit the entries there, then run",
    "     UPDATE_GOLDEN=1 npx vitest run test/providers/semantics-catalogue.test.ts -->",
    "",
    "What every operator, function and cast means, on every engine. Each line of a table below is a case the provider",
    "conformance suite (`omopetl/provider/conformance`) runs on a live engine, through the provider's own rendering of a",
    "transform step, comparing the value read back: a provider that passes computes these answers, not merely similar SQL.",
    "Where engines differ by themselves (DuckDB returns NULL for `x / 0`, PostgreSQL fails), the provider makes them agree.",
    "",
    `Cases read one table \`v\` of ${SEMANTICS_ROWS.length} rows (x, g, y): ${SEMANTICS_ROWS.map((r) => `(${r.x}, '${r.g}', ${r.y ?? "NULL"})`).join(" ")};`,
    "scalar cases read the row x = 1, window cases list one value per row in x order. **error** means every engine",
    "must fail the step (nothing is written); *not promised* means engines compute different values (the note says which).",
    "Casts of text are written `CAST(concat('...') AS t)` because the compiler",
    "checks a cast of a literal itself (`CAST('Y' AS integer)` is a compile error); concat() makes it a run-time value.",
    "",
    "Text orders by the bytes of its UTF-8 encoding (which is Unicode code point order) on every engine, whatever the",
    "database's collation: `<`, `<=`, `>`, `>=`, BETWEEN, min/max (also over a window), greatest/least and the ORDER BY",
    "of a window, so `'B' < 'a'` and `'Z' < 'a' < 'é'` where an en_US or ICU collation says otherwise (PostgreSQL's",
    "generator adds `COLLATE \"C\"` to each text operand, the `textOrder` and `binaryCollate` hooks). Equality (`=`, IN,",
    "CASE, DISTINCT, GROUP BY) is byte equality. In a window's ORDER BY, NULLs come last ascending and first descending",
    "unless NULLS FIRST/LAST says otherwise.",
    "",
    "| construct | promise |",
    "| --- | --- |",
    ...SEMANTICS_CATALOGUE.map((e) => `| ${code(e.construct)} | ${e.promise.replaceAll("|", "\\|")} |`),
    "",
  ];
  for (const e of SEMANTICS_CATALOGUE) {
    out.push(`## ${e.construct}`, "", e.promise, "", "| expression | result | note |", "| --- | --- | --- |");
    for (const c of e.cases) out.push(`| ${code(c.dml)} | ${result(c)} | ${(c.note ?? "").replaceAll("|", "\\|")} |`);
    out.push("");
  }
  return out.join("\n");
}
