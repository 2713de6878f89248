/**
 * Words that cannot be used as bare identifiers in PostgreSQL 15 or DuckDB 1.5: the union of PostgreSQL's
 * reserved, type/function-name and column-name keywords (`pg_get_keywords()` with catcode R, T, C) and DuckDB's
 * non-unreserved keywords (`duckdb_keywords()`). Quoting a few words one engine would accept bare costs nothing;
 * a shared list keeps generated names identical across dialects.
 */
export const NON_BARE_WORDS: ReadonlySet<string> = new Set(
  `all analyse analyze and anti any array as asc asof asymmetric at authorization between bigint binary bit boolean
  both by case cast char character check coalesce collate collation column columns concurrently constraint create
  cross current_catalog current_date current_role current_schema current_time current_timestamp current_user dec
  decimal default deferrable desc describe distinct do else end except exists extract false fetch float for foreign
  freeze from full generated glob grant greatest group grouping grouping_id having ilike in initially inner inout int
  integer intersect interval into is isnull join lambda lateral leading least left like limit localtime
  localtimestamp map national natural nchar none normalize not notnull null nullif numeric offset on only or order out
  outer overlaps overlay pivot pivot_longer pivot_wider placing position positional precision primary qualify real
  references returning right row select semi session_user setof show similar smallint some struct substring summarize
  symmetric table tablesample then time timestamp to trailing treat trim true try_cast union unique unpack unpivot
  user using values varchar variadic verbose when where window with xmlattributes xmlconcat xmlelement xmlexists
  xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`
    .split(/\s+/)
    .filter((w) => w !== ""),
);
