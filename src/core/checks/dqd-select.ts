import type { DqdCheckDescription, DqdCheckLevel, DqdDefinitions, DqdLevelRow, DqdSeverity } from "./dqd-definitions.js";
import { DQD_CHECK_LEVELS, DQD_SEVERITIES } from "./dqd-definitions.js";
import { dqdParseError } from "./dqd-errors.js";
import { parseEvaluationFilter, rowMatches } from "./evaluation-filter.js";

/**
 * DQD's default `tablesToExclude` (executeDqChecks, DQD 2.8): the vocabulary tables, which an ETL does not write.
 * SOURCE_TO_CONCEPT_MAP, DRUG_STRENGTH and the CDM's own tables stay in.
 */
export const DQD_DEFAULT_EXCLUDED_TABLES: readonly string[] = [
  "CONCEPT",
  "VOCABULARY",
  "CONCEPT_ANCESTOR",
  "CONCEPT_RELATIONSHIP",
  "CONCEPT_CLASS",
  "CONCEPT_SYNONYM",
  "RELATIONSHIP",
  "DOMAIN",
];

/** Which checks to select; every option defaults to DQD's `executeDqChecks` default. */
export interface DqdSelectOptions {
  /** Upper- or lower-case CDM table names; default {@link DQD_DEFAULT_EXCLUDED_TABLES}. */
  tablesToExclude?: readonly string[];
  checkLevels?: readonly DqdCheckLevel[];
  severities?: readonly DqdSeverity[];
  /** Only these check types (DQD's `checkNames`); empty or absent: all. */
  checkNames?: readonly string[];
}

/** One check DQD would run: a check type applied to a table, a field or a concept (and unit) of the CDM. */
export interface SelectedCheck {
  /** DQD's checkId: level, name, table, field, concept and unit joined by `_`, lower-case (DQD's .getCheckId). */
  checkId: string;
  checkName: string;
  checkLevel: DqdCheckLevel;
  /** The description with its `@placeholders` filled from the row, upper-cased as DQD's recordResult does. */
  checkDescription: string;
  kahnContext: string;
  kahnCategory: string;
  kahnSubcategory: string;
  severity: DqdSeverity;
  sqlFile: string;
  /** Upper-case, as in DQD's files and results. */
  cdmTableName: string;
  /** Upper-case (DQD upper-cases field names before running); undefined for TABLE checks. */
  cdmFieldName?: string;
  conceptId?: string;
  unitConceptId?: string;
  /** Percent of violating rows allowed (`<checkName>Threshold`); undefined when the file gives none (then 0 applies). */
  threshold?: number;
  /** `<checkName>Notes`, when the file has any. */
  notes?: string;
  /** The row's values: the check's parameters (fkTableName, plausibleValueLow, standardConceptFieldName, ...). */
  params: Readonly<Record<string, string>>;
  /** The row the check comes from, for errors. */
  file: string;
  line: number;
}

/**
 * The checks DQD selects for these definitions, in DQD's order (check types in the descriptions file's order, then
 * the level file's rows in order), as `executeDqChecks` does: rows of excluded tables and the field `offset`
 * dropped, check types kept when their level and severity are selected and a level file has their column, then each
 * type's evaluationFilter applied to its level's rows.
 */
export function selectDqdChecks(defs: DqdDefinitions, options: DqdSelectOptions = {}): SelectedCheck[] {
  const excluded = new Set((options.tablesToExclude ?? DQD_DEFAULT_EXCLUDED_TABLES).map((t) => t.toUpperCase()));
  const levels = new Set(options.checkLevels ?? DQD_CHECK_LEVELS);
  const severities = new Set(options.severities ?? DQD_SEVERITIES);
  const names = options.checkNames && options.checkNames.length > 0 ? new Set(options.checkNames) : undefined;
  const rowsOf = (level: DqdCheckLevel): DqdLevelRow[] =>
    defs.levels[level].filter((r) => !excluded.has(r.values.cdmTableName!) && !(level === "FIELD" && r.values.cdmFieldName === "offset"));
  // DQD keeps a check type when `levelChecks$<checkName>` is not NULL in R, where `$` on a data.frame also matches
  // a unique column name the check name is a prefix of: cdmTable and cdmField stand for cdmTableName and cdmFieldName.
  const hasColumn = (name: string): boolean =>
    DQD_CHECK_LEVELS.some((l) => {
      const columns = Object.keys(defs.levels[l][0]?.values ?? {});
      return columns.includes(name) || columns.filter((c) => c.startsWith(name)).length === 1;
    });

  const out: SelectedCheck[] = [];
  for (const d of defs.descriptions) {
    if (!levels.has(d.checkLevel) || !severities.has(d.severity)) continue;
    if (d.evaluationFilter === "" || d.sqlFile === "" || !hasColumn(d.checkName)) continue;
    if (names && !names.has(d.checkName)) continue;
    const terms = parseEvaluationFilter(d);
    const rows = rowsOf(d.checkLevel);
    const columns = new Set(defs.levels[d.checkLevel].flatMap((r) => Object.keys(r.values)));
    for (const t of terms) {
      if (!columns.has(t.column)) {
        throw dqdParseError({ file: d.file, line: d.line, column: 1 }, `the evaluationFilter of check ${d.checkName} reads column ${t.column}, which the ${d.checkLevel.toLowerCase()}-level file does not have.`);
      }
    }
    for (const row of rows) if (rowMatches(terms, row)) out.push(selectedCheck(d, row));
  }
  return out;
}

function selectedCheck(d: DqdCheckDescription, row: DqdLevelRow): SelectedCheck {
  const v = row.values;
  const field = d.checkLevel === "TABLE" ? undefined : v.cdmFieldName!.toUpperCase();
  const conceptId = d.checkLevel === "CONCEPT" ? v.conceptId || undefined : undefined;
  const unitConceptId = d.checkLevel === "CONCEPT" ? v.unitConceptId || undefined : undefined;
  const thresholdText = v[`${d.checkName}Threshold`] ?? "";
  let threshold: number | undefined;
  if (thresholdText !== "") {
    threshold = Number(thresholdText);
    if (!Number.isFinite(threshold)) {
      throw dqdParseError({ file: row.file, line: row.line, column: 1 }, `${d.checkName}Threshold "${thresholdText}" is not a number.`);
    }
  }
  const notes = v[`${d.checkName}Notes`] || undefined;
  const idParts = [d.checkLevel, d.checkName, v.cdmTableName!, field, conceptId, unitConceptId]
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/ /g, ""))
    .filter((p) => p !== "");
  const check: SelectedCheck = {
    checkId: idParts.join("_").toLowerCase(),
    checkName: d.checkName,
    checkLevel: d.checkLevel,
    checkDescription: fillPlaceholders(d.checkDescription, { ...v, ...(field ? { cdmFieldName: field } : {}) }),
    kahnContext: d.kahnContext,
    kahnCategory: d.kahnCategory,
    kahnSubcategory: d.kahnSubcategory,
    severity: d.severity,
    sqlFile: d.sqlFile,
    cdmTableName: v.cdmTableName!.toUpperCase(),
    params: v,
    file: row.file,
    line: row.line,
  };
  if (field !== undefined) check.cdmFieldName = field;
  if (conceptId !== undefined) check.conceptId = conceptId;
  if (unitConceptId !== undefined) check.unitConceptId = unitConceptId;
  if (threshold !== undefined) check.threshold = threshold;
  if (notes !== undefined) check.notes = notes;
  return check;
}

/** `@name` replaced by the row's value upper-cased (SqlRender::render over toupper'd values, as DQD's recordResult). */
function fillPlaceholders(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (all, name: string) => (name in values ? values[name]!.toUpperCase() : all));
}
