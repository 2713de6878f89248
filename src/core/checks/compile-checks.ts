import type { Expr, ValueType } from "../expr/ast.js";
import type { TableRef } from "../model/plan.js";
import type { CdmSpec, CdmTable } from "../spec/spec-model.js";
import { getColumn, getTable } from "../spec/spec-model.js";
import type { CheckJoin, CheckMeasure, CheckRowSet, CompiledCheck } from "./check-model.js";
import { and, asDate, bin, cast, col, dateLit, fn, int, isNull, notNull, str } from "./check-exprs.js";
import type { SelectedCheck } from "./dqd-select.js";
import { conceptMeasure } from "./concept-measures.js";

/** The alias of the checked table in every measure (DQD's `cdmTable`). */
const T = "t";

/** The check types {@link compileCheck} measures; the others compile to an `unsupported` measure. */
export const SUPPORTED_CHECK_NAMES: readonly string[] = [
  "cdmTable",
  "cdmField",
  "measurePersonCompleteness",
  "measureConditionEraCompleteness",
  "isRequired",
  "cdmDatatype",
  "isPrimaryKey",
  "isForeignKey",
  "fkDomain",
  "fkClass",
  "isStandardValidConcept",
  "measureValueCompleteness",
  "standardConceptRecordCompleteness",
  "sourceConceptRecordCompleteness",
  "sourceValueCompleteness",
  "plausibleValueLow",
  "plausibleValueHigh",
  "plausibleAfterBirth",
  "plausibleBeforeDeath",
  "plausibleStartBeforeEnd",
  "withinVisitDates",
  "measureObservationPeriodOverlap",
  "plausibleTemporalAfter",
  "plausibleDuringLife",
  "plausibleGender",
  "plausibleGenderUseDescendants",
  "plausibleUnitConceptIds",
];

/** Compiles the selected checks against the spec, in their order. */
export function compileChecks(checks: readonly SelectedCheck[], spec: CdmSpec): CompiledCheck[] {
  return checks.map((c) => compileCheck(c, spec));
}

/** One check's measure in the plan's model, DQD 2.8's semantics (its SQL templates' numerators and denominators). */
export function compileCheck(check: SelectedCheck, spec: CdmSpec): CompiledCheck {
  const { params: _params, file, line, ...meta } = check;
  const measure = measureOf(check, spec);
  return { ...meta, measure, reads: readsOf(measure), definedAt: `${file}:${line}` };
}

/** The logical schema of a CDM table: vocabulary tables live in `vocab`, the others in `cdm`. */
function refOf(spec: CdmSpec, name: string): TableRef {
  const t = getTable(spec, name);
  return { schema: t?.schema === "VOCAB" ? "vocab" : "cdm", name: name.toLowerCase() };
}

function typeOf(table: CdmTable | undefined, column: string): ValueType {
  const c = table ? getColumn(table, column) : undefined;
  if (!c) return "any";
  return c.type.kind === "varchar" ? "string" : c.type.kind;
}

function rows(from: TableRef, alias: string, joins: CheckJoin[] = [], where?: Expr): CheckRowSet {
  const r: CheckRowSet = { from, alias, joins, count: { kind: "rows" } };
  if (where) r.where = where;
  return r;
}

function measureOf(check: SelectedCheck, spec: CdmSpec): CheckMeasure {
  const table = refOf(spec, check.cdmTableName);
  const tableDef = getTable(spec, check.cdmTableName);
  const p = check.params;
  if (check.checkName === "cdmTable") return { kind: "tableExists", table };
  if (check.checkName === "measurePersonCompleteness") {
    const person = refOf(spec, "person");
    const personId = col("p", "person_id", "integer");
    return {
      kind: "ratio",
      numerator: rows(person, "p", [{ type: "left", table, alias: T, on: bin("=", personId, col(T, "person_id", "integer")) }], isNull(col(T, "person_id", "integer"))),
      denominator: rows(person, "p"),
    };
  }
  if (check.checkName === "measureConditionEraCompleteness") {
    // Persons with a condition occurrence and no condition era at all.
    const co = refOf(spec, "condition_occurrence");
    const personId = col(T, "person_id", "integer");
    const numerator: CheckRowSet = {
      ...rows(co, T, [{ type: "left", table: refOf(spec, "condition_era"), alias: "ce", on: bin("=", personId, col("ce", "person_id", "integer")) }], isNull(col("ce", "person_id", "integer"))),
      count: { kind: "distinct", value: personId, nullIsValue: false },
    };
    return { kind: "ratio", numerator, denominator: { ...rows(co, T), count: { kind: "distinct", value: personId, nullIsValue: false } } };
  }
  if (check.checkName === "measureObservationPeriodOverlap") {
    // Persons with two periods that overlap or touch (one ends the day before the other starts).
    const op = refOf(spec, "observation_period");
    const d = (alias: string, c: string): Expr => col(alias, `observation_period_${c}_date`, "date");
    const dayAfter = (e: Expr): Expr => fn("date_add", [e, int(1), str("day")], "date");
    const other: CheckJoin = {
      type: "inner",
      table: op,
      alias: "t2",
      on: and(bin("=", col(T, "person_id", "integer"), col("t2", "person_id", "integer")), bin("<>", col(T, "observation_period_id", "integer"), col("t2", "observation_period_id", "integer")))!,
    };
    const overlap = bin(
      "or",
      bin("or", bin("and", bin("<=", d(T, "start"), d("t2", "end")), bin(">=", d(T, "end"), d("t2", "start"))), bin("=", dayAfter(d(T, "end")), d("t2", "start"))),
      bin("=", dayAfter(d("t2", "end")), d(T, "start")),
    );
    const persons = { kind: "distinct" as const, value: col(T, "person_id", "integer"), nullIsValue: false };
    return { kind: "ratio", numerator: { ...rows(op, T, [other], overlap), count: persons }, denominator: { ...rows(op, T), count: persons } };
  }
  if (check.checkLevel === "CONCEPT") return conceptMeasure(check, (name) => refOf(spec, name)) ?? unsupported(check);
  if (check.checkLevel !== "FIELD") return unsupported(check);

  const fieldName = check.cdmFieldName!.toLowerCase();
  const field = col(T, fieldName, typeOf(tableDef, fieldName));
  const all = rows(table, T);
  const ratio = (where: Expr | undefined, joins: CheckJoin[] = [], denominator: CheckRowSet = all): CheckMeasure => ({
    kind: "ratio",
    numerator: rows(table, T, joins, where),
    denominator,
  });
  const concept = (type: CheckJoin["type"]): CheckJoin => ({ type, table: refOf(spec, "concept"), alias: "co", on: bin("=", field, col("co", "concept_id", "integer")) });
  const conceptNotZero = bin("<>", col("co", "concept_id", "integer"), int(0));

  switch (check.checkName) {
    case "cdmField":
      return { kind: "fieldExists", table, column: fieldName };
    case "isRequired":
    case "measureValueCompleteness":
      return ratio(isNull(field));
    case "cdmDatatype": {
      // DQD: ISNUMERIC(x) = 0 or x has a decimal point. On a typed engine: a non-integral value (a text column's
      // non-numeric value fails the cast, reported as the check's error).
      const asFloat = cast(field, "float");
      return ratio(and(notNull(field), bin("<>", asFloat, fn("floor", [asFloat], "float"))));
    }
    case "isPrimaryKey":
      return { kind: "ratio", numerator: { ...all, duplicatesOf: fieldName }, denominator: all };
    case "isForeignKey": {
      const fkTable = refOf(spec, p.fkTableName!);
      const fkField = p.fkFieldName!.toLowerCase();
      const fk = col("fk", fkField, typeOf(getTable(spec, p.fkTableName!), fkField));
      return ratio(and(isNull(fk), notNull(field)), [{ type: "left", table: fkTable, alias: "fk", on: bin("=", field, fk) }]);
    }
    case "fkDomain":
      return ratio(and(conceptNotZero, bin("<>", col("co", "domain_id", "string"), str(p.fkDomain!))), [concept("left")]);
    case "fkClass":
      return ratio(and(conceptNotZero, bin("<>", col("co", "concept_class_id", "string"), str(p.fkClass!))), [concept("left")]);
    case "isStandardValidConcept":
      // As DQD: a concept whose standard_concept is NULL (a non-standard one) and that is valid is not counted,
      // since `NULL != 'S'` is not true.
      return ratio(
        and(conceptNotZero, bin("or", bin("<>", col("co", "standard_concept", "string"), str("S")), notNull(col("co", "invalid_reason", "string")))),
        [concept("inner")],
      );
    case "standardConceptRecordCompleteness":
    case "sourceConceptRecordCompleteness": {
      // DQD counts a unit only where there is a value to have one.
      const valued = fieldName === "unit_concept_id" && ["MEASUREMENT", "OBSERVATION"].includes(check.cdmTableName) ? notNull(col(T, "value_as_number", "float")) : undefined;
      return ratio(and(bin("=", field, int(0)), valued), [], rows(table, T, [], valued));
    }
    case "sourceValueCompleteness": {
      const standard = col(T, p.standardConceptFieldName!.toLowerCase(), "integer");
      const distinct = { kind: "distinct" as const, value: field, nullIsValue: true };
      return { kind: "ratio", numerator: { ...rows(table, T, [], bin("=", standard, int(0))), count: distinct }, denominator: { ...all, count: distinct } };
    }
    case "plausibleValueLow":
    case "plausibleValueHigh": {
      const low = check.checkName === "plausibleValueLow";
      const bound = boundOf(low ? p.plausibleValueLow! : p.plausibleValueHigh!);
      if (!bound) return unsupported(check, `its bound ${low ? p.plausibleValueLow : p.plausibleValueHigh} is not one omopetl reads`);
      const temporal = field.type === "date" || field.type === "datetime";
      const lhs = temporal ? asDate(field) : field;
      const rhs = temporal ? asDate(bound) : bound;
      return ratio(bin(low ? "<" : ">", lhs, rhs), [], rows(table, T, [], notNull(field)));
    }
    case "plausibleAfterBirth": {
      const pp = (c: string): Expr => col("p", c, "integer");
      // DQD's COALESCE(birth_datetime, year-month-day): a CASE, so the parts are not made a date (which fails on
      // an implausible month) where birth_datetime is set — engines may evaluate every COALESCE argument.
      const birthDatetime = col("p", "birth_datetime", "datetime");
      const fromParts = fn("make_date", [pp("year_of_birth"), fn("coalesce", [pp("month_of_birth"), int(1)], "integer"), fn("coalesce", [pp("day_of_birth"), int(1)], "integer")], "date");
      const birth: Expr = { k: "case", whens: [{ when: notNull(birthDatetime), then: cast(birthDatetime, "date") }], else: fromParts, type: "date" };
      const join: CheckJoin = { type: "inner", table: refOf(spec, "person"), alias: "p", on: bin("=", col(T, "person_id", "integer"), pp("person_id")) };
      return ratio(and(notNull(field), bin("<", asDate(field), birth)), [join], rows(table, T, [], notNull(field)));
    }
    case "plausibleDuringLife": {
      // DQD's deprecated form of plausibleBeforeDeath: no NOT NULL filter, the denominator the rows of the dead.
      const join: CheckJoin = { type: "inner", table: refOf(spec, "death"), alias: "de", on: bin("=", col(T, "person_id", "integer"), col("de", "person_id", "integer")) };
      const after60 = fn("date_add", [asDate(col("de", "death_date", "date")), int(60), str("day")], "date");
      return ratio(bin(">", asDate(field), after60), [join], rows(table, T, [join]));
    }
    case "plausibleTemporalAfter": {
      // DQD's deprecated form of plausibleAfterBirth/plausibleStartBeforeEnd. As its SQL: another table is joined on
      // person_id (every pair counts), and but for PERSON the earlier date is read from the checked table itself.
      const otherName = p.plausibleTemporalAfterTableName!;
      const otherField = p.plausibleTemporalAfterFieldName!.toLowerCase();
      const sameTable = otherName.toUpperCase() === check.cdmTableName;
      const joins: CheckJoin[] = sameTable
        ? []
        : [{ type: "inner", table: refOf(spec, otherName), alias: "pt", on: bin("=", col(T, "person_id", "integer"), col("pt", "person_id", "integer")) }];
      const pa = sameTable ? T : "pt";
      const earlier: Expr =
        otherName.toUpperCase() === "PERSON"
          ? {
              k: "case",
              whens: [{ when: notNull(col(pa, otherField, "datetime")), then: asDate(col(pa, otherField, "datetime")) }],
              else: fn("make_date", [col(pa, "year_of_birth", "integer"), int(6), int(1)], "date"),
              type: "date",
            }
          : asDate(col(T, otherField, typeOf(tableDef, otherField)));
      return ratio(bin(">", earlier, asDate(field)), joins);
    }
    case "plausibleBeforeDeath": {
      const join: CheckJoin = { type: "inner", table: refOf(spec, "death"), alias: "de", on: bin("=", col(T, "person_id", "integer"), col("de", "person_id", "integer")) };
      const after60 = fn("date_add", [col("de", "death_date", "date"), int(60), str("day")], "date");
      return ratio(and(notNull(field), bin(">", asDate(field), after60)), [join], rows(table, T, [join], notNull(field)));
    }
    case "plausibleStartBeforeEnd": {
      const endName = p.plausibleStartBeforeEndFieldName!.toLowerCase();
      const end = col(T, endName, typeOf(tableDef, endName));
      const both = and(notNull(field), notNull(end));
      return ratio(and(both, bin(">", asDate(field), asDate(end))), [], rows(table, T, [], both));
    }
    case "withinVisitDates": {
      const join: CheckJoin = { type: "inner", table: refOf(spec, "visit_occurrence"), alias: "vo", on: bin("=", col(T, "visit_occurrence_id", "integer"), col("vo", "visit_occurrence_id", "integer")) };
      const week = (c: string, n: number): Expr => fn("date_add", [col("vo", c, "date"), int(n), str("day")], "date");
      return ratio(bin("or", bin("<", field, week("visit_start_date", -7)), bin(">", field, week("visit_end_date", 7))), [join], rows(table, T, [join]));
    }
    default:
      return unsupported(check);
  }
}

/**
 * A plausibleValueLow/High bound as DQD's files write it (OHDSI-SQL): a number, a date `'YYYYMMDD'`, tomorrow
 * `DATEADD(dd,1,GETDATE())` or next year `YEAR(GETDATE())+1` — evaluated by the engine, so the plan stays the same
 * from day to day. Undefined for any other form.
 */
export function boundOf(text: string): Expr | undefined {
  const s = text.replace(/\s+/g, "");
  if (/^-?\d+(\.\d+)?$/.test(s)) return int(Number(s));
  const d = /^'(\d{4})(\d{2})(\d{2})'$/.exec(s);
  if (d) return dateLit(`${d[1]}-${d[2]}-${d[3]}`);
  const today = fn("current_date", [], "date");
  const add = /^DATEADD\(dd,(-?\d+),GETDATE\(\)\)$/i.exec(s);
  if (add) return fn("date_add", [today, int(Number(add[1])), str("day")], "date");
  const year = /^YEAR\(GETDATE\(\)\)([+-]\d+)?$/i.exec(s);
  if (year) {
    const y = fn("date_part", [str("year"), today], "integer");
    return year[1] ? bin("+", y, int(Number(year[1]))) : y;
  }
  return undefined;
}

function unsupported(check: SelectedCheck, why?: string): CheckMeasure {
  return { kind: "unsupported", reason: why ? `omopetl does not compile check ${check.checkName}: ${why}.` : `omopetl does not compile check type ${check.checkName} yet.` };
}

function readsOf(m: CheckMeasure): string[] {
  const out = new Set<string>();
  const add = (t: TableRef): void => void out.add(`${t.schema}.${t.name}`);
  if (m.kind === "tableExists" || m.kind === "fieldExists") add(m.table);
  if (m.kind === "ratio") {
    for (const r of [m.numerator, m.denominator]) {
      add(r.from);
      for (const j of r.joins) add(j.table);
    }
  }
  return [...out].sort();
}
