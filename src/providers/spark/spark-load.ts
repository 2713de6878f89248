/**
 * Loads on Spark: the files are read by Spark itself (a temporary view per file, `USING csv`), never by omopetl.
 * Every field is read as text with the header read as a row (so a file's columns are matched to the load's by name,
 * ignoring case, whatever the file holds, and a column the file lacks is NULL), then the load's value checks
 * (load-values.ts, the same grammar as every engine) run over the staged text before anything is written, and the
 * typed rows and their key are checked before the one atomic Delta write (INSERT OVERWRITE of a CDM table; the
 * recreated table of a staging target).
 */
import type { LoadBody } from "../../core/model/plan.js";
import { localPath, uriScheme } from "../base/file-patterns.js";
import { emptyFileMessage } from "../base/load-empty-file.js";
import { STAGE_FILE_COLUMN, STAGE_ROW_COLUMN } from "../base/load-values.js";
import { indent } from "../base/sql-text.js";
import { invalidPlan, UnsupportedFeatureError } from "../provider-errors.js";

/** The temporary view reading the load's i-th file (1-based). */
export const fileView = (i: number): string => `omopetl_load_file_${i}`;
/** The cached temporary view of a load's rows as text, numbered in file order. */
export const SPARK_STAGE = "omopetl_load_stage";
/** The cached temporary view of a load's typed rows, written in one statement once checked. */
export const SPARK_TYPED = "omopetl_load_typed";

/**
 * The value of Spark's `nullValue` option (SQL text; Spark reads the escapes): a text no file holds, so that an unquoted empty field is NULL and a quoted
 * empty field ("") the empty string, as on the other engines (Spark's default nullValue "" made both NULL).
 */
const NO_NULL_TEXT = "'\\u0001omopetl-no-null\\u0001'";

/** Characters Hadoop's path globbing reads in a path (Spark expands them itself; loads name plain files only). */
const HADOOP_GLOB = /[*?[\]{}\\]/;

/**
 * Cloud storage URI schemes a Databricks SQL warehouse reads (S3, Azure Data Lake / Blob storage, Google Cloud
 * Storage, DBFS). A load of such a file is landed with `COPY INTO` (see {@link cloudFileStatements}); a Spark Thrift
 * server does not take COPY INTO (open-source Spark has no such statement): its connection says so.
 */
export const CLOUD_SCHEMES: readonly string[] = ["s3", "s3a", "s3n", "abfs", "abfss", "wasb", "wasbs", "gs", "dbfs"];

/** True when `path` (as sparkLoadFiles returns it) is a cloud URI, loaded with COPY INTO. */
export function isCloudFile(path: string): boolean {
  const scheme = uriScheme(path);
  return scheme !== undefined && CLOUD_SCHEMES.includes(scheme);
}

/** What the Spark load needs of the generator: pure SQL text. */
export interface SparkLoadHooks {
  readonly dialect: string;
  ident(name: string): string;
  stringLiteral(s: string): string;
  failIfAny(select: string): string;
}

/** The load's files as local paths, each a plain file (no URI other than file://, no glob). */
export function sparkLoadFiles(g: SparkLoadHooks, body: LoadBody): string[] {
  const where = `${body.target.schema}.${body.target.name}`;
  if (body.files.length === 0) throw invalidPlan(`load of ${where} lists no file.`);
  if (body.columns.length === 0) throw invalidPlan(`load of ${where} has no columns.`);
  if (body.format.type === "parquet") {
    throw new UnsupportedFeatureError(g.dialect, "loading Parquet files", `load of ${where}`, "Convert the files to CSV, or load them with the duckdb provider.");
  }
  return body.files.map((f) => {
    const scheme = uriScheme(f);
    if (scheme !== undefined && scheme !== "file" && !CLOUD_SCHEMES.includes(scheme)) {
      throw new UnsupportedFeatureError(
        g.dialect,
        `loading from ${scheme}:// URIs`,
        f,
        `Spark loads local paths and, on Databricks, ${CLOUD_SCHEMES.map((c) => `${c}://`).join(", ")}; copy the files there, or use the duckdb provider.`,
      );
    }
    const local = scheme === undefined || scheme === "file";
    const path = scheme === "file" ? localPath(f) : f;
    // A cloud URI's authority (bucket, container@account) is not part of its path.
    if (HADOOP_GLOB.test(local ? path : path.replace(/^[^:]+:\/\/[^/]*/, ""))) {
      throw new UnsupportedFeatureError(g.dialect, "glob patterns (or the characters * ? [ ] { } \\) in load file names", f, "List the files one by one under files:.");
    }
    if (isCloudFile(path)) return path;
    if (!path.startsWith("/")) throw invalidPlan(`load file "${f}" is not an absolute path; the Spark server resolves paths.`);
    return path;
  });
}

/** A one-character CSV option as a Spark literal ('\u0000' turns quoting off). */
function charOption(g: SparkLoadHooks, ch: string | null): string {
  return ch === null || ch === "" ? "'\\u0000'" : g.stringLiteral(ch);
}

/** `CREATE OR REPLACE TEMPORARY VIEW` reading file `i` (1-based) as rows of text, its header line a row too. */
export function fileViewSql(g: SparkLoadHooks, body: LoadBody, path: string, i: number): string {
  const options = [
    `path ${g.stringLiteral(path)}`,
    // The header is read as the first row: the columns are matched to it here, by name and ignoring case.
    "header 'false'",
    ...csvReadOptions(g, body).map(([k, v]) => `${k} ${v}`),
  ];
  return `CREATE OR REPLACE TEMPORARY VIEW ${g.ident(fileView(i))}\nUSING csv\nOPTIONS (\n${indent(options.join(",\n"))}\n)`;
}

/** Spark's CSV reader options of a load (name, SQL literal), besides path and header: the same for a view and COPY INTO. */
function csvReadOptions(g: SparkLoadHooks, body: LoadBody): [string, string][] {
  const f = body.format;
  if (f.delimiter.length !== 1) throw new UnsupportedFeatureError(g.dialect, `the delimiter ${JSON.stringify(f.delimiter)}`, "Spark's CSV reader takes one character");
  if (f.quote !== null && f.quote.length > 1) throw new UnsupportedFeatureError(g.dialect, `the quote ${JSON.stringify(f.quote)}`, "Spark's CSV reader takes one character");
  return [
    ["sep", charOption(g, f.delimiter)],
    ["quote", charOption(g, f.quote)],
    // A quote inside a quoted field is doubled (RFC 4180), as DuckDB and PostgreSQL read it.
    ["escape", charOption(g, f.quote)],
    // Quoted fields may span lines; the file is then read whole by one task, in order.
    ["multiLine", "'true'"],
    ["nullValue", NO_NULL_TEXT],
    ["emptyValue", "''"],
    ["ignoreLeadingWhiteSpace", "'false'"],
    ["ignoreTrailingWhiteSpace", "'false'"],
    // A row with more or fewer fields than the first line fails the load instead of being padded or cut.
    ["mode", "'FAILFAST'"],
    ["encoding", "'UTF-8'"],
  ];
}

/** The Delta table a cloud file `i` (1-based) of a load into `target` is copied into, in the target's schema. */
export const copyTable = (targetName: string, i: number): string => `omopetl_copy_${targetName}_${i}`;

/**
 * A cloud file (Databricks): landed with `COPY INTO` in a Delta table of its own (`raw`, qualified), recreated empty
 * first so that COPY INTO gives it the file's columns (mergeSchema) and copies the file again at every run (force:
 * COPY INTO otherwise skips a file it loaded before), then read like a local file's view. Every field is text
 * (inferSchema off). With a header, COPY INTO names the columns after it, so the header is never a row: a row's
 * values are matched to the load's columns by those names (stagedRowsSelect), which needs no row order. COPY INTO
 * keeps no line order, so a bad value's message names no row (the generator's loadRowsInFileOrder).
 */
export function cloudFileStatements(g: SparkLoadHooks, body: LoadBody, uri: string, i: number, raw: string): string[] {
  const options = [["header", body.format.header ? "'true'" : "'false'"], ["inferSchema", "'false'"], ["mergeSchema", "'true'"], ...csvReadOptions(g, body)];
  return [
    `DROP TABLE IF EXISTS ${raw}`,
    `CREATE TABLE ${raw}`,
    [
      `COPY INTO ${raw}`,
      `FROM ${g.stringLiteral(uri)}`,
      "FILEFORMAT = CSV",
      `FORMAT_OPTIONS (\n${indent(options.map(([k, v]) => `'${k}' = ${v}`).join(",\n"))}\n)`,
      "COPY_OPTIONS ('mergeSchema' = 'true', 'force' = 'true')",
    ].join("\n"),
    `CREATE OR REPLACE TEMPORARY VIEW ${g.ident(fileView(i))} AS\nSELECT * FROM ${raw}`,
  ];
}

/** A cloud file's rows (header consumed by COPY INTO) as a map of lower-cased column name -> text, and a row id. */
function namedRows(g: SparkLoadHooks, i: number): string {
  // to_json keeps NULL fields (ignoreNullFields false) so that a NULL and a missing column read the same.
  return `SELECT transform_keys(from_json(to_json(struct(*), map('ignoreNullFields', 'false')), 'map<string,string>'), (k, v) -> lower(k)) AS m, monotonically_increasing_id() AS mid FROM ${g.ident(fileView(i))}`;
}

/** The statement failing the load with LOAD_EMPTY_FILE for the first 0-byte file (Spark's text reader gives it no line). */
export function emptyFilesCheck(g: SparkLoadHooks, body: LoadBody, paths: readonly string[]): string {
  const probes = paths.map(
    (p, i) =>
      `SELECT ${i + 1} AS i, ${emptyFileMessage((s) => g.stringLiteral(s), g.stringLiteral(body.files[i]!), body)} AS msg WHERE NOT EXISTS (SELECT 1 FROM text.\`${p.replace(/`/g, "``")}\`)`,
  );
  return g.failIfAny(`SELECT e.msg FROM (\n${indent(probes.join("\nUNION ALL\n"))}\n) AS e\nORDER BY e.i\nLIMIT 1`);
}

/**
 * The rows of every file as text, one column per load column, with the file (as the load names it) and the row's
 * number across all files in file order: the header row of each file names its columns (lower-cased; a column the
 * file lacks reads NULL), or, without a header, the fields are the load's columns in order.
 */
export function stagedRowsSelect(g: SparkLoadHooks, body: LoadBody, paths: readonly string[]): string {
  const perFile = paths.map((p, i) => {
    const rows = `SELECT array(*) AS v, monotonically_increasing_id() AS mid FROM ${g.ident(fileView(i + 1))}`;
    const head = [`SELECT ${i + 1} AS fidx, ${g.stringLiteral(body.files[i]!)} AS file, r.mid`];
    if (body.format.header && isCloudFile(p)) return [`${head[0]}, r.m`, `FROM (${namedRows(g, i + 1)}) AS r`].join("\n");
    if (body.format.header) {
      // The header line is the file's first row (the smallest id: one task reads the file in order).
      const header = `SELECT transform(min_by(v, mid), x -> lower(x)) AS names, min(mid) AS mid FROM (${rows})`;
      head[0] += ", map_from_arrays(h.names, r.v) AS m";
      return [...head, `FROM (${rows}) AS r`, `CROSS JOIN (${header}) AS h`, "WHERE r.mid > h.mid"].join("\n");
    }
    head[0] += ", r.v";
    return [...head, `FROM (${rows}) AS r`].join("\n");
  });
  const value = (name: string, i: number): string => (body.format.header ? `u.m[${g.stringLiteral(name.toLowerCase())}]` : `u.v[${i}]`);
  return [
    "SELECT",
    indent(
      [
        `row_number() OVER (ORDER BY u.fidx, u.mid) AS ${STAGE_ROW_COLUMN}`,
        `u.file AS ${STAGE_FILE_COLUMN}`,
        ...body.columns.map((c, i) => `${value(c.name, i)} AS ${g.ident(c.name)}`),
      ].join(",\n"),
    ),
    `FROM (\n${indent(perFile.join("\nUNION ALL\n"))}\n) AS u`,
  ].join("\n");
}

/** The header names of every file (`name`, `pos` in first-appearance order), for the header check. */
export function headerNamesSelect(g: SparkLoadHooks, paths: readonly string[]): string {
  const perFile = paths.map((p, i) =>
    isCloudFile(p)
      ? // The copied table's columns, in the header's order (a header-only file copies no row: no names to check).
        `SELECT ${i + 1} AS fidx, map_keys(from_json(to_json(first(struct(*)), map('ignoreNullFields', 'false')), 'map<string,string>')) AS names FROM ${g.ident(fileView(i + 1))}`
      : `SELECT ${i + 1} AS fidx, min_by(r.v, r.mid) AS names FROM (SELECT array(*) AS v, monotonically_increasing_id() AS mid FROM ${g.ident(fileView(i + 1))}) AS r`,
  );
  return [
    "SELECT n.name, row_number() OVER (ORDER BY min(n.fidx), min(n.p)) AS pos",
    `FROM (SELECT f.fidx, x.p, x.name FROM (${perFile.join(" UNION ALL ")}) AS f LATERAL VIEW posexplode(f.names) x AS p, name) AS n`,
    "GROUP BY n.name",
  ].join("\n");
}
