/**
 * The small, deliberately awkward workload the conformance suite runs: a patients file with quoting corner cases,
 * a staging table written by slices, and CDM steps (person by merge with assigned ids, observation_period by rebuild).
 */
import type { PlanStep, TableDef, TransformBody } from "../../core/model/plan.js";
import * as b from "./plan-builders.js";

/** source.patients: what the patients file is loaded into. */
export const PATIENTS = b.tableDef("source", "patients", [
  b.column("id", b.varchar()),
  b.column("gender", b.varchar()),
  b.column("birthdate", b.DATE),
  b.column("race", b.varchar()),
  b.column("weight", b.FLOAT),
]);

/** staging.visits: written by replace steps, each owning the rows of one `kind`. */
export const VISITS = b.tableDef("staging", "visits", [
  b.column("visit_key", b.varchar(), true),
  b.column("kind", b.varchar(10), true),
  b.column("patient", b.varchar()),
  b.column("n", b.INT),
]);

/** staging.weights: a non-CDM merge target with a declared primary key. */
export const WEIGHTS = b.tableDef("staging", "weights", [b.column("id", b.varchar(), true), b.column("weight", b.FLOAT), b.column("half", b.FLOAT)], {
  primaryKey: ["id"],
});

/** The patients file: header in another order and case, an extra column, `race` missing, quoting corner cases. */
export const PATIENTS_CSV =
  "ID,Extra,Birthdate,GENDER,weight\n" +
  "p1,x,1980-02-29,M,70.5\n" +
  '"p2, the ""second""",y,1975-12-31,F,\n' +
  'p3,"multi\nline",2001-01-01,"",NA\n' +
  "pä4 ✓,z,1999-07-04,M,80\n";

/** The patient ids of {@link PATIENTS_CSV}, in byte order. */
export const PATIENT_IDS = ["p1", 'p2, the "second"', "p3", "pä4 ✓"];

/** Its format: CSV with "NA" as a null value. */
export const PATIENTS_FORMAT = { ...b.CSV, nullValues: ["NA"] };

/** Loads `file` into source.patients. */
export function loadPatientsStep(file: string): PlanStep {
  return b.loadStep("load_patients", b.ref("source", "patients"), [file], PATIENTS.columns, PATIENTS_FORMAT);
}

/**
 * cdm.person from the patients: person_id assigned from the patient id, gender mapped by CASE, birth fields from
 * date_part. Mode merge (keyed on person_id) unless told otherwise.
 */
export function personStep(person: TableDef, mode: TransformBody["mode"] = "merge", genderOverride?: ReturnType<typeof b.lit>): PlanStep {
  const id = b.idFor("person_id", "person", b.col("p", "id"));
  const gender =
    genderOverride ??
    b.caseWhen(
      [
        { when: b.lit("M"), then: b.lit(8507) },
        { when: b.lit("F"), then: b.lit(8532) },
      ],
      b.lit(0),
      "integer",
      b.col("p", "gender"),
    );
  const sel = b.select(
    { table: b.ref("source", "patients"), alias: "p" },
    {
      person_id: id.value,
      gender_concept_id: gender,
      year_of_birth: b.fn("date_part", [b.lit("year"), b.col("p", "birthdate", "date")], "integer"),
      month_of_birth: b.fn("date_part", [b.lit("month"), b.col("p", "birthdate", "date")], "integer"),
      birth_datetime: b.cast(b.col("p", "birthdate", "date"), b.DATETIME),
      race_concept_id: b.lit(0),
      ethnicity_concept_id: b.lit(0),
      person_source_value: b.col("p", "id"),
      gender_source_value: b.col("p", "gender"),
    },
    { joins: [id.join], ids: [id.id], where: b.isNull(b.col("p", "birthdate", "date"), true) },
  );
  return b.transformStep("person", b.ref(person.schema, person.name), mode, person.columns, [sel], { key: ["person_id"] });
}

/** staging.weights by merge: a float column and a float division, which must not look changed on a re-run. */
export function weightsStep(): PlanStep {
  const w = b.col("p", "weight", "float");
  const sel = b.select({ table: b.ref("source", "patients"), alias: "p" }, { id: b.col("p", "id"), weight: w, half: b.bin("/", w, b.lit(3), "float") });
  return b.transformStep("weights", b.ref("staging", "weights"), "merge", WEIGHTS.columns, [sel], { key: ["id"] });
}

/** staging.visits rows of one `kind` (the step's slice), with `n` = length(id) + tag's length. */
export function visitsStep(kind: string, tag: string): PlanStep {
  const sel = b.select(
    { table: b.ref("source", "patients"), alias: "p" },
    {
      visit_key: b.bin("||", b.lit(`${kind}:`), b.col("p", "id")),
      kind: b.lit(kind),
      patient: b.col("p", "id"),
      n: b.bin("+", b.fn("length", [b.col("p", "id")], "integer"), b.lit(tag.length)),
    },
  );
  return b.transformStep(`visits_${kind}`, b.ref("staging", "visits"), "replace", VISITS.columns, [sel], {
    slice: b.eq(b.col("t", "kind"), b.lit(kind)),
  });
}

/**
 * cdm.observation_period by rebuild: one period per person (birth to one year later), reading the person ids
 * assigned by {@link personStep}. `typeConcept` replaces the (required) period type, e.g. with NULL to fail.
 */
export function observationPeriodStep(observationPeriod: TableDef, typeConcept = b.lit(32817)): PlanStep {
  const id = b.idFor("observation_period_id", "observation_period", b.col("p", "id"));
  const person = b.idFor("person_id", "person", b.col("p", "id"), false);
  const sel = b.select(
    { table: b.ref("source", "patients"), alias: "p" },
    {
      observation_period_id: id.value,
      person_id: person.value,
      observation_period_start_date: b.col("p", "birthdate", "date"),
      observation_period_end_date: b.fn("date_add", [b.col("p", "birthdate", "date"), b.lit(1), b.lit("year")], "date"),
      period_type_concept_id: typeConcept,
    },
    { joins: [id.join, person.join], ids: [id.id, person.id], where: b.isNull(person.value, true) },
  );
  return b.transformStep("observation_period", b.ref(observationPeriod.schema, observationPeriod.name), "rebuild", observationPeriod.columns, [sel], {
    key: ["observation_period_id"],
  });
}

/** A sql step with a variant for `dialect` (and a wrong default that must not run) counting the patients. */
export function patientCountStep(dialect: string): PlanStep {
  return b.step("count_patients", {
    kind: "sql",
    statements: {
      default: ["CREATE TABLE ${schemas.staging}.wrong AS SELECT 1 AS x"],
      [dialect]: [
        "CREATE TABLE IF NOT EXISTS ${schemas.staging}.patient_count (n BIGINT)",
        "DELETE FROM ${ schemas.staging }.patient_count",
        "INSERT INTO ${schemas.staging}.patient_count SELECT count(*) FROM ${schemas.source}.patients",
      ],
    },
    transactional: true,
  });
}
