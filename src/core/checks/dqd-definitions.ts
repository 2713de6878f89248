import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import type { CdmVersion } from "../spec/spec-model.js";
import { dqdNotFound, dqdParseError } from "./dqd-errors.js";

/** The three levels DQD checks at. */
export type DqdCheckLevel = "TABLE" | "FIELD" | "CONCEPT";
export const DQD_CHECK_LEVELS: readonly DqdCheckLevel[] = ["TABLE", "FIELD", "CONCEPT"];

/** DQD's severities, from the most to the least serious. */
export type DqdSeverity = "fatal" | "convention" | "characterization";
export const DQD_SEVERITIES: readonly DqdSeverity[] = ["fatal", "convention", "characterization"];

/** One row of `OMOP_CDMv<version>_Check_Descriptions.csv`: a check type. */
export interface DqdCheckDescription {
  checkLevel: DqdCheckLevel;
  checkName: string;
  /** With `@cdmTableName`-style placeholders, filled per check (see selectDqdChecks). */
  checkDescription: string;
  kahnContext: string;
  kahnCategory: string;
  kahnSubcategory: string;
  sqlFile: string;
  /** An R filter over the level's rows, e.g. `isForeignKey=='Yes' & fkDomain!= ''` (see evaluation-filter.ts). */
  evaluationFilter: string;
  severity: DqdSeverity;
  /** Where the row is, for errors. */
  file: string;
  line: number;
}

/**
 * One row of a Table/Field/Concept_Level file: the values by column name, empty string for an empty cell (R reads
 * those as NA, which no filter matches), and where the row is.
 */
export interface DqdLevelRow {
  values: Readonly<Record<string, string>>;
  file: string;
  line: number;
}

/** DQD's check definitions for one CDM version, as read from its CSVs. */
export interface DqdDefinitions {
  cdmVersion: CdmVersion;
  /** The folder the CSVs were read from. */
  dir: string;
  descriptions: DqdCheckDescription[];
  levels: Record<DqdCheckLevel, DqdLevelRow[]>;
}

const LEVEL_FILE: Record<DqdCheckLevel, string> = { TABLE: "Table_Level", FIELD: "Field_Level", CONCEPT: "Concept_Level" };

/** The columns each file must have (more are allowed: a later DQD adds check columns). */
const REQUIRED_COLUMNS: Record<DqdCheckLevel | "DESCRIPTIONS", readonly string[]> = {
  DESCRIPTIONS: ["checkLevel", "checkName", "checkDescription", "kahnContext", "kahnCategory", "kahnSubcategory", "sqlFile", "evaluationFilter", "severity"],
  TABLE: ["cdmTableName"],
  FIELD: ["cdmTableName", "cdmFieldName"],
  CONCEPT: ["cdmTableName", "cdmFieldName", "conceptId", "unitConceptId"],
};

/**
 * The folder holding the CSVs: `dir` itself when it has them, else `dir/inst/csv` (a checkout of the DQD repository
 * or of ../shared/dqd).
 */
export function resolveDqdCsvDir(dir: string, cdmVersion: CdmVersion): string {
  const name = descriptionsFile(cdmVersion);
  if (existsSync(path.join(dir, name))) return dir;
  const nested = path.join(dir, "inst", "csv");
  if (existsSync(path.join(nested, name))) return nested;
  throw dqdNotFound(path.join(dir, name), "no such file here nor in inst/csv/");
}

function descriptionsFile(v: CdmVersion): string {
  return `OMOP_CDMv${v}_Check_Descriptions.csv`;
}

/**
 * Reads DQD's four CSVs for `cdmVersion` from `dir` (or `dir/inst/csv`). I/O fails fast: a missing file is
 * DQD_NOT_FOUND, a missing column or an unknown level or severity DQD_PARSE_ERROR with its file and line.
 */
export function loadDqdDefinitions(dir: string, cdmVersion: CdmVersion): DqdDefinitions {
  const csvDir = resolveDqdCsvDir(dir, cdmVersion);
  const descFile = path.join(csvDir, descriptionsFile(cdmVersion));
  const descRows = readCsvRows(descFile, REQUIRED_COLUMNS.DESCRIPTIONS);
  const descriptions = descRows.map((r): DqdCheckDescription => {
    const v = r.values;
    const level = v.checkLevel as DqdCheckLevel;
    if (!DQD_CHECK_LEVELS.includes(level)) {
      throw dqdParseError({ file: r.file, line: r.line, column: 1 }, `unknown checkLevel "${v.checkLevel}" (expected ${DQD_CHECK_LEVELS.join(", ")}).`);
    }
    const severity = v.severity as DqdSeverity;
    if (!DQD_SEVERITIES.includes(severity)) {
      throw dqdParseError({ file: r.file, line: r.line, column: 1 }, `unknown severity "${v.severity}" of check ${v.checkName} (expected ${DQD_SEVERITIES.join(", ")}).`);
    }
    return {
      checkLevel: level,
      checkName: v.checkName!,
      checkDescription: v.checkDescription!.trim(),
      kahnContext: v.kahnContext!,
      kahnCategory: v.kahnCategory!,
      kahnSubcategory: v.kahnSubcategory!,
      sqlFile: v.sqlFile!,
      evaluationFilter: v.evaluationFilter!,
      severity,
      file: r.file,
      line: r.line,
    };
  });
  const levels = {} as Record<DqdCheckLevel, DqdLevelRow[]>;
  for (const level of DQD_CHECK_LEVELS) {
    levels[level] = readCsvRows(path.join(csvDir, `OMOP_CDMv${cdmVersion}_${LEVEL_FILE[level]}.csv`), REQUIRED_COLUMNS[level]);
  }
  return { cdmVersion, dir: csvDir, descriptions, levels };
}

/** Parses one CSV into rows keyed by header, each with the 1-based line its record starts on. */
function readCsvRows(file: string, required: readonly string[]): DqdLevelRow[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw dqdNotFound(file, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, relax_column_count: false, info: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (e) {
    const line = (e as { lines?: number }).lines ?? 1;
    throw dqdParseError({ file, line, column: 1 }, (e as Error).message);
  }
  const [header, ...data] = records;
  if (!header) throw dqdParseError({ file, line: 1, column: 1 }, "the file is empty.");
  const names = header.record.map((h) => h.trim());
  const missing = required.filter((c) => !names.includes(c));
  if (missing.length > 0) throw dqdParseError({ file, line: 1, column: 1 }, `missing column(s) ${missing.join(", ")}.`);
  // csv-parse's info.lines is the line a record ends on; a record starts one line after the previous one ends.
  let previousEnd = header.info.lines;
  return data.map(({ record, info }) => {
    const values: Record<string, string> = {};
    // readr (DQD reads with it) trims blanks and reads "" and "NA" as NA: both are "" here.
    names.forEach((n, i) => {
      const v = (record[i] ?? "").trim();
      values[n] = v === "NA" ? "" : v;
    });
    const row = { values, file, line: previousEnd + 1 };
    previousEnd = info.lines;
    return row;
  });
}
