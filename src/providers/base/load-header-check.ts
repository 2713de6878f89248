import type { LoadBody } from "../../core/model/plan.js";

/** What the header check needs of a generator (pure SQL text). */
export interface HeaderCheckGenerator {
  stringLiteral(s: string): string;
  /** Text in byte order (the generator's textOrder hook): the suggested name is the same on every engine. */
  textOrder(x: string): string;
  /** Every match of a regex replaced (the generator's replaceAll hook). */
  replaceAll(x: string, pattern: string, replacement: string): string;
  /** An ordered string aggregate (the generator's stringAgg hook). */
  stringAgg(x: string, separator: string, orderBy: string): string;
}

/**
 * Whether a load's header is checked against its columns: loads whose columns the DML declares (not CDM or
 * vocabulary tables, whose columns come from the spec and may be absent from a file, then NULL) of files with a
 * header (or Parquet, whose columns are named), unless the DML says `missing_columns: "null"`.
 */
export function checksHeader(body: LoadBody, cdmTarget: boolean): boolean {
  return !cdmTarget && body.missingColumns !== "null" && (body.format.type === "parquet" || body.format.header);
}

/**
 * A query returning one row with a `msg` when a declared column of `body` is in no file's header, else no row: a
 * declared `icd9code` for a file whose header says `ICD9_CODE_X` loaded 1,761 NULL codes before. Columns match the
 * header by name, ignoring case, as the load itself matches them; a column present in some of several files is
 * NULL for the others (the files' union, as DuckDB's union_by_name reads them). `headerNames` is a query over the
 * files' header names with columns `name` and `pos` (first appearance order), which each engine reads its own way;
 * the message is built here so that it is the same text on every engine. The first missing column (in declared
 * order) is named, with a did-you-mean for a header name that differs only in case and punctuation.
 */
export function headerMismatchSelect(g: HeaderCheckGenerator, body: LoadBody, headerNames: string): string {
  const lit = (s: string): string => g.stringLiteral(s);
  const squash = (x: string): string => g.replaceAll(`lower(${x})`, "'[^a-z0-9]'", "''");
  const wanted = body.columns.map((c, i) => `(${i + 1}, ${lit(c.name.toLowerCase())})`).join(", ");
  const files = body.files.join(", ");
  const msg = [
    lit(`LOAD_HEADER_MISMATCH: the declared column "`),
    "w.name",
    lit(`" is in no header of ${files}.`),
    `coalesce(${lit(' Did you mean "')} || (SELECT min(${g.textOrder("h.name")}) FROM hdr AS h WHERE ${squash("h.name")} = ${squash("w.name")}) || ${lit('"?')}, '')`,
    lit(" The header has: "),
    `coalesce((SELECT ${g.stringAgg("h.name", "', '", "h.pos")} FROM hdr AS h), '')`,
    lit(". Columns match the header by name, ignoring case: rename the column under the load's columns: (or fix the file)."),
  ].join(" || ");
  return [
    `WITH hdr AS (\n  ${headerNames.split("\n").join("\n  ")}\n)`,
    `SELECT ${msg} AS msg`,
    `FROM (VALUES ${wanted}) AS w(pos, name)`,
    "WHERE NOT EXISTS (SELECT 1 FROM hdr AS h WHERE lower(h.name) = w.name)",
    "ORDER BY w.pos",
    "LIMIT 1",
  ].join("\n");
}
