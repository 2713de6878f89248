import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import type { SourceLocation } from "../diagnostics/diagnostic.js";
import { specParseError } from "./spec-errors.js";
import { computeContentHash, fieldFileName, sha256Hex, tableFileName, toBytes } from "./spec-files.js";
import type {
  CdmColumn,
  CdmDataType,
  CdmForeignKey,
  CdmSchemaKind,
  CdmSpec,
  CdmTable,
  CdmVersion,
} from "./spec-model.js";

/** Provenance of the CSVs handed to {@link parseSpec}. */
export interface ParseSpecMeta {
  /** Git ref for GitHub/cache, "local" for a folder. */
  ref: string;
  source: CdmSpec["source"];
  /** Name (or path/URL) of the field CSV in error locations; defaults to OHDSI's file name. */
  fieldFile?: string;
  /** Name (or path/URL) of the table CSV in error locations; defaults to OHDSI's file name. */
  tableFile?: string;
}

/** One CSV record with the 1-based physical line it starts on (records may span lines). */
interface CsvRecord {
  line: number;
  fields: string[];
}

/** A parsed CSV: header names lower-cased to their index, and the data records. */
interface CsvTable {
  file: string;
  columns: Map<string, number>;
  records: CsvRecord[];
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * Parses the two OHDSI spec CSVs of one CDM version into a {@link CdmSpec}.
 *
 * Tolerates what the published files actually contain: CRLF or LF line endings, quoted multi-line fields, a UTF-8
 * BOM, literal `NA` for missing values, `Yes`/`No` in any case, and mixed-case types (`Integer`, `varchar(MAX)`).
 * A record with more fields than the header (an unquoted comma in a free-text column, as in the 5.4 field file of
 * v5.4.2) is repaired by folding the surplus into the first free-text column; the structural columns are then
 * validated strictly, so a wrong repair surfaces as an error rather than as a silently shifted spec.
 *
 * @throws OmopetlError SPEC_PARSE_ERROR naming the file and line of the first problem.
 */
export function parseSpec(
  version: CdmVersion,
  fieldCsv: string | Uint8Array,
  tableCsv: string | Uint8Array,
  meta: ParseSpecMeta,
): CdmSpec {
  const fieldBytes = toBytes(fieldCsv);
  const tableBytes = toBytes(tableCsv);
  const fieldFile = meta.fieldFile ?? fieldFileName(version);
  const tableFile = meta.tableFile ?? tableFileName(version);

  const tableCsvParsed = readCsv(tableBytes, tableFile, ["tabledescription", "userguidance", "etlconventions"]);
  const fieldCsvParsed = readCsv(fieldBytes, fieldFile, ["userguidance", "etlconventions"]);

  const tables = readTables(tableCsvParsed);
  const tableLines = new Map<string, number>();
  for (const t of tables) tableLines.set(t.table.name, t.line);
  const byName = new Map<string, CdmTable>(tables.map((t) => [t.table.name, t.table]));

  addColumns(fieldCsvParsed, byName, tableFile);

  for (const { table, line } of tables) {
    if (table.columns.length === 0) {
      throw specParseError(
        { file: tableFile, line, column: 1 },
        `table "${table.name}" has no fields in ${fieldFile}.`,
      );
    }
    table.primaryKey = table.columns.filter((c) => c.primaryKey).map((c) => c.name);
  }

  return {
    version,
    ref: meta.ref,
    source: meta.source,
    contentHash: computeContentHash(fieldBytes, tableBytes),
    tables: byName,
    tableNames: tables.map((t) => t.table.name),
  };
}

let fingerprint: string | undefined;

/**
 * Identifies this parser's code (a hash of its own module file): parsed specs cached under it are never read by a
 * parser that might parse the same CSVs differently.
 */
export function parserFingerprint(): string {
  return (fingerprint ??= sha256Hex(readFileSync(fileURLToPath(import.meta.url))).slice(0, 16));
}

/**
 * Normalises a spec type string to a {@link CdmDataType}, or undefined when it is not one the spec uses.
 * Case and inner blanks are ignored: "Integer", "VARCHAR(MAX)", "varchar( 50 )".
 */
export function parseCdmDataType(raw: string): CdmDataType | undefined {
  const s = raw.trim().toLowerCase().replace(/\s+/g, "");
  switch (s) {
    case "integer":
      return { kind: "integer" };
    case "bigint":
      return { kind: "bigint" };
    case "float":
      return { kind: "float" };
    case "date":
      return { kind: "date" };
    case "datetime":
      return { kind: "datetime" };
  }
  const m = /^varchar\((max|\d+)\)$/.exec(s);
  if (!m) return undefined;
  if (m[1] === "max") return { kind: "varchar" };
  const length = Number(m[1]);
  return length > 0 ? { kind: "varchar", length } : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// CSV reading

/**
 * Parses CSV bytes into records that remember their starting line.
 * `freeText` names the header columns (lower-case) whose text may contain stray commas, in column order.
 */
function readCsv(bytes: Buffer, file: string, freeText: readonly string[]): CsvTable {
  // Strip the BOM ourselves so csv-parse's byte offsets line up with `body` for line numbering.
  const hasBom = bytes.length >= 3 && UTF8_BOM.every((b, i) => bytes[i] === b);
  const body = hasBom ? bytes.subarray(3) : bytes;
  const lines = new LineCounter(body);

  let parsed: Array<{ record: string[]; info: { bytes: number } }>;
  try {
    parsed = parse(body, {
      info: true,
      skip_empty_lines: true,
      // Column-count and stray-quote problems are handled (and reported with context) below.
      relax_column_count: true,
      relax_quotes: true,
      // Both, explicitly: auto-detection locks onto the first delimiter seen and would then keep a bare "\n".
      record_delimiter: ["\r\n", "\n"],
    }) as unknown as Array<{ record: string[]; info: { bytes: number } }>;
  } catch (err) {
    const offset = typeof (err as { bytes?: unknown }).bytes === "number" ? (err as { bytes: number }).bytes : 0;
    throw specParseError(
      { file, line: lines.lineAt(Math.min(offset, body.length)), column: 1 },
      `malformed CSV: ${(err as Error).message}`,
    );
  }

  // csv-parse's own line counter miscounts CRLF inside quoted fields, so derive lines from byte offsets.
  const records: CsvRecord[] = [];
  let prevEnd = 0;
  for (const { record, info } of parsed) {
    records.push({ line: lines.lineAt(lines.skipLineBreaks(prevEnd)), fields: record });
    prevEnd = info.bytes;
  }

  const header = records.shift();
  if (!header) throw specParseError({ file, line: 1, column: 1 }, "the file is empty (no header row).");
  const columns = new Map<string, number>();
  header.fields.forEach((name, i) => columns.set(name.trim().toLowerCase(), i));
  const headerWidth = header.fields.length;

  const mergeAt = freeText.map((c) => columns.get(c)).find((i): i is number => i !== undefined);
  for (const rec of records) {
    if (rec.fields.length > headerWidth && mergeAt !== undefined) {
      const surplus = rec.fields.length - headerWidth;
      const merged = rec.fields.slice(mergeAt, mergeAt + surplus + 1).join(",");
      rec.fields = [...rec.fields.slice(0, mergeAt), merged, ...rec.fields.slice(mergeAt + surplus + 1)];
    }
    if (rec.fields.length !== headerWidth) {
      throw specParseError(
        { file, line: rec.line, column: 1 },
        `expected ${headerWidth} fields as in the header, found ${rec.fields.length}.`,
      );
    }
  }
  return { file, columns, records };
}

/** Maps byte offsets to 1-based line numbers ("\n" ends a line; "\r\n" counts once). */
class LineCounter {
  private readonly newlines: number[] = [];
  constructor(private readonly body: Buffer) {
    for (let i = body.indexOf(0x0a); i !== -1; i = body.indexOf(0x0a, i + 1)) this.newlines.push(i);
  }

  /** Line of the byte at `offset`: one more than the number of newlines before it. */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.newlines[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }

  /** First offset at or after `offset` that is not a line break (skipped empty lines sit between records). */
  skipLineBreaks(offset: number): number {
    let i = offset;
    while (i < this.body.length && (this.body[i] === 0x0a || this.body[i] === 0x0d)) i++;
    return i;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Cell access

/** Reads cells of one record by (lower-case) header name, mapping `NA` and blanks to undefined. */
class Row {
  constructor(
    private readonly csv: CsvTable,
    readonly rec: CsvRecord,
  ) {}

  location(column?: string): SourceLocation {
    return { file: this.csv.file, line: this.rec.line, column: this.columnNumber(column) };
  }

  /** The cell's text, trimmed; undefined for a missing column, blank, or the literal NA. */
  optional(column: string): string | undefined {
    const i = this.csv.columns.get(column);
    if (i === undefined) return undefined;
    const v = this.rec.fields[i]?.trim();
    return v === undefined || v === "" || v === "NA" ? undefined : v;
  }

  required(column: string, label: string): string {
    const v = this.optional(column);
    if (v === undefined) throw specParseError(this.location(column), `missing ${label} (column "${column}").`);
    return v;
  }

  /** Yes/No in any case; missing means No. */
  flag(column: string): boolean {
    const v = this.optional(column);
    if (v === undefined) return false;
    const l = v.toLowerCase();
    if (l === "yes") return true;
    if (l === "no") return false;
    throw specParseError(this.location(column), `column "${column}" must be Yes or No, found "${v}".`);
  }

  /** Approximate 1-based character column of a cell on its starting line (exact for single-line records). */
  private columnNumber(column: string | undefined): number {
    const i = column === undefined ? undefined : this.csv.columns.get(column);
    if (i === undefined) return 1;
    let col = 1;
    for (let k = 0; k < i; k++) col += (this.rec.fields[k]?.length ?? 0) + 1;
    return col;
  }
}

/** Fails early, naming the file, when a column the parser depends on is absent from the header. */
function requireHeader(csv: CsvTable, names: readonly string[]): void {
  for (const name of names) {
    if (!csv.columns.has(name)) {
      throw specParseError({ file: csv.file, line: 1, column: 1 }, `the header has no "${name}" column.`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tables and columns

const SCHEMA_KINDS: readonly CdmSchemaKind[] = ["CDM", "VOCAB", "RESULTS"];

function readTables(csv: CsvTable): Array<{ table: CdmTable; line: number }> {
  requireHeader(csv, ["cdmtablename"]);
  const out: Array<{ table: CdmTable; line: number }> = [];
  const seen = new Map<string, number>();
  for (const rec of csv.records) {
    const row = new Row(csv, rec);
    const name = row.required("cdmtablename", "table name").toLowerCase();
    const previous = seen.get(name);
    if (previous !== undefined) {
      throw specParseError(row.location("cdmtablename"), `table "${name}" is listed twice (first on line ${previous}).`);
    }
    seen.set(name, rec.line);

    // Older table files have no schema column; everything there is a CDM table unless it says otherwise.
    const rawSchema = row.optional("schema");
    const schema = rawSchema === undefined ? "CDM" : (rawSchema.toUpperCase() as CdmSchemaKind);
    if (!SCHEMA_KINDS.includes(schema)) {
      throw specParseError(
        row.location("schema"),
        `table "${name}" has unknown schema "${rawSchema}"; expected one of ${SCHEMA_KINDS.join(", ")}.`,
      );
    }
    const table: CdmTable = { name, schema, columns: [], primaryKey: [] };
    const description = row.optional("tabledescription");
    if (description !== undefined) table.description = description;
    out.push({ table, line: rec.line });
  }
  return out;
}

function addColumns(csv: CsvTable, tables: Map<string, CdmTable>, tableFile: string): void {
  requireHeader(csv, ["cdmtablename", "cdmfieldname", "isrequired", "cdmdatatype", "isprimarykey"]);
  for (const rec of csv.records) {
    const row = new Row(csv, rec);
    const tableName = row.required("cdmtablename", "table name").toLowerCase();
    // OHDSI writes reserved words quoted in the spec ("offset" of note_nlp) because its DDL is generated from it;
    // the column's name is the word itself, and our generators quote every identifier anyway.
    const name = row.required("cdmfieldname", "field name").toLowerCase().replace(/^"(.*)"$/, "$1");
    const table = tables.get(tableName);
    if (!table) {
      throw specParseError(
        row.location("cdmtablename"),
        `field "${tableName}.${name}" belongs to table "${tableName}", which ${tableFile} does not list.`,
      );
    }
    if (table.columns.some((c) => c.name === name)) {
      throw specParseError(row.location("cdmfieldname"), `field "${tableName}.${name}" is listed twice.`);
    }

    const rawType = row.required("cdmdatatype", `data type of "${tableName}.${name}"`);
    const type = parseCdmDataType(rawType);
    if (!type) {
      throw specParseError(
        row.location("cdmdatatype"),
        `unknown data type "${rawType}" for field "${tableName}.${name}".`,
        "Known types: integer, bigint, float, date, datetime, varchar(<n>), varchar(max) (any letter case).",
      );
    }

    const column: CdmColumn = {
      name,
      rawType,
      type,
      required: row.flag("isrequired"),
      primaryKey: row.flag("isprimarykey"),
      ordinal: table.columns.length,
    };
    const foreignKey = readForeignKey(row, `${tableName}.${name}`);
    if (foreignKey) column.foreignKey = foreignKey;
    const description = row.optional("userguidance");
    if (description !== undefined) column.description = description;
    table.columns.push(column);
  }
}

/** The FK target when the spec names one; isForeignKey=Yes without a target is an error (it cannot be checked). */
function readForeignKey(row: Row, field: string): CdmForeignKey | undefined {
  const table = row.optional("fktablename");
  const column = row.optional("fkfieldname");
  const flagged = row.flag("isforeignkey");
  if (table === undefined && column === undefined) {
    if (flagged) throw specParseError(row.location("isforeignkey"), `field "${field}" is a foreign key without fkTableName/fkFieldName.`);
    return undefined;
  }
  if (table === undefined || column === undefined) {
    throw specParseError(
      row.location(table === undefined ? "fktablename" : "fkfieldname"),
      `field "${field}" names only half of its foreign key (fkTableName "${table ?? "NA"}", fkFieldName "${column ?? "NA"}").`,
    );
  }
  const fk: CdmForeignKey = { table: table.toLowerCase(), column: column.toLowerCase() };
  const domain = row.optional("fkdomain");
  if (domain !== undefined) fk.domain = domain;
  const conceptClass = row.optional("fkclass");
  if (conceptClass !== undefined) fk.conceptClass = conceptClass;
  return fk;
}
