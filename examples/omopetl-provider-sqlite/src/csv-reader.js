/**
 * SQLite has no CSV reader. The connection registers two table-valued functions (better-sqlite3's `db.table`), so
 * that a load stays one SQL statement the engine runs, as `read_csv(...)` is on DuckDB and `COPY` on PostgreSQL:
 *
 * - `omopetl_read_csv(spec)`: one row per data row of the files — `file` (its path), `rn` (increasing in file order
 *   across all files) and `v`, a JSON array holding the row's field for each of `spec.columns` (matched to the
 *   header by name, ignoring case; NULL where a file has no such column, or where the field is empty and unquoted);
 * - `omopetl_csv_header(spec)`: the header names of the files (`name`, `pos` in first-appearance order).
 *
 * `spec` is JSON the generator writes: `{ files, delimiter, quote, header, columns }`. Files are read when the
 * statement runs; a glob in the last path segment is expanded then (sorted), and a pattern matching nothing fails
 * the statement, as DuckDB's reader does. Parsing is csv-parse's.
 */
import { readdirSync, readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { globToRegex, hasGlob, splitDirectory } from "omopetl/provider";

/** The files of one pattern, sorted; a pattern that matches nothing is an error. */
function expand(pattern) {
  if (!hasGlob(pattern)) return [pattern];
  const { dir, base } = splitDirectory(pattern);
  const re = globToRegex(base);
  if (re === undefined || hasGlob(dir)) throw new Error(`the load pattern "${pattern}" is not supported (a glob is allowed in the file name only)`);
  let names;
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new Error(`No files found that match the pattern "${pattern}" (${e.message})`);
  }
  const r = new RegExp(re);
  const files = names.filter((n) => r.test(n)).sort().map((n) => `${dir === "/" ? "" : dir}/${n}`);
  if (files.length === 0) throw new Error(`No files found that match the pattern "${pattern}"`);
  return files;
}

/**
 * The records of one file as arrays of fields; an empty unquoted field is null, a quoted one ''. csv-parse's `cast`
 * option says whether a field was quoted, but costs 14x the parse (measured: 23 s instead of 1.7 s for the 266,588
 * rows of the shard's CONCEPT_RELATIONSHIP.csv); its `raw` option (3.5 s) gives each record's text, in which the
 * few records with an empty field are looked at ({@link quotedFields}).
 */
function records(file, spec) {
  const text = readFileSync(file, "utf8");
  const quote = spec.quote ?? null;
  const options = { delimiter: spec.delimiter, bom: true, relax_column_count: true, skip_empty_lines: true };
  if (quote === null) return parse(text, { ...options, quote: false }).map((r) => r.map((v) => (v === "" ? null : v)));
  return parse(text, { ...options, quote, escape: quote, raw: true }).map(({ record, raw }) => {
    if (!record.includes("")) return record;
    if (!raw.includes(quote)) return record.map((v) => (v === "" ? null : v));
    const quoted = quotedFields(raw, spec.delimiter, quote);
    return record.map((v, i) => (v === "" && !quoted[i] ? null : v));
  });
}

/** Which fields of one record's raw text start with the quote character (quotes inside are doubled). */
export function quotedFields(raw, delimiter, quote) {
  const out = [];
  let inQuotes = false;
  let start = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (start) {
      start = false;
      out.push(c === quote);
      if (c === quote) {
        inQuotes = true;
        continue;
      }
    }
    if (inQuotes) {
      if (c === quote) {
        if (raw[i + 1] === quote) i++;
        else inQuotes = false;
      }
    } else if (raw.startsWith(delimiter, i)) {
      start = true;
      i += delimiter.length - 1;
    }
  }
  if (start) out.push(false);
  return out;
}

/** The header names of `spec.files` (each file's first record), in first-appearance order, distinct ignoring case. */
function* headerRows(specText) {
  const spec = JSON.parse(specText);
  const seen = new Set();
  let pos = 0;
  for (const pattern of spec.files) {
    for (const file of expand(pattern)) {
      const first = records(file, spec)[0] ?? [];
      for (const name of first) {
        const n = name ?? "";
        if (seen.has(n.toLowerCase())) continue;
        seen.add(n.toLowerCase());
        yield { name: n, pos: ++pos };
      }
    }
  }
}

/** The data rows of `spec.files`, each as a JSON array of `spec.columns`' fields. */
function* dataRows(specText) {
  const spec = JSON.parse(specText);
  const wanted = spec.columns.map((c) => c.toLowerCase());
  let rn = 0;
  for (const pattern of spec.files) {
    for (const file of expand(pattern)) {
      const recs = records(file, spec);
      let index;
      let start = 0;
      if (spec.header) {
        const header = (recs[0] ?? []).map((h) => (h ?? "").toLowerCase());
        index = wanted.map((w) => header.indexOf(w));
        start = 1;
      } else index = wanted.map((_, i) => i);
      for (let r = start; r < recs.length; r++) {
        const rec = recs[r];
        yield { file, rn: ++rn, v: JSON.stringify(index.map((i) => (i < 0 || i >= rec.length ? null : rec[i]))) };
      }
    }
  }
}

/** Registers the two table-valued functions on a better-sqlite3 database. */
export function registerCsvReader(db) {
  db.table("omopetl_read_csv", { columns: ["file", "rn", "v"], parameters: ["spec"], rows: dataRows });
  db.table("omopetl_csv_header", { columns: ["name", "pos"], parameters: ["spec"], rows: headerRows });
}
