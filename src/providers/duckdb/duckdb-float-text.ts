/**
 * DuckDB prints a double as `2.0`, `100000.0`, `1000000000000000.0` and `-0.0` where PostgreSQL prints `2`, `100000`,
 * `1e+15` and `-0` (both print the shortest digits that read back as the same double; they differ in the trailing
 * `.0` and in where the exponent starts: DuckDB from 1e16, PostgreSQL from 1e15). This rewrites DuckDB's text into
 * PostgreSQL's, so a float written to a text column is the same string on both.
 */
export function duckDbFloatText(x: string): string {
  const plain = `regexp_replace(CAST(${x} AS VARCHAR), '\\.0$', '')`;
  // In [1e15, 1e16) DuckDB prints all 16 integer digits (and any fraction): move the point after the first digit.
  const digits = `replace(regexp_replace(CAST(abs(${x}) AS VARCHAR), '\\.0$', ''), '.', '')`;
  const mantissa = `rtrim(substr(${digits}, 2), '0')`;
  const exp = `CASE WHEN ${x} < 0 THEN '-' ELSE '' END || substr(${digits}, 1, 1) || CASE WHEN ${mantissa} = '' THEN '' ELSE '.' || ${mantissa} END || 'e+15'`;
  return `(CASE WHEN abs(${x}) >= 1e15 AND abs(${x}) < 1e16 THEN ${exp} ELSE ${plain} END)`;
}
