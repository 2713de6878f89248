/**
 * The hand-made CDM of the checks' oracle (check-oracle.test.ts, check-oracle-spark.test.ts): rows written by hand,
 * whose expected counts are computed by hand, and the one-row breakages each of which must be flagged by exactly
 * the checks listed with it.
 */
/** The tables the fixture fills, and NOTE, which it leaves out (a missing table). */
export const FIXTURE_TABLES = ["person", "observation_period", "visit_occurrence", "condition_occurrence", "measurement", "death"];
export const CHECKED_TABLES = new Set([...FIXTURE_TABLES, "note"].map((t) => t.toUpperCase()));

const CONCEPTS: [number, string, string, string, string, string | null][] = [
  // concept_id, name, domain, vocabulary, class, standard
  [0, "No matching concept", "Metadata", "None", "Undefined", null],
  [8507, "MALE", "Gender", "Gender", "Gender", "S"],
  [8532, "FEMALE", "Gender", "Gender", "Gender", "S"],
  [8527, "White", "Race", "Race", "Race", "S"],
  [38003564, "Not Hispanic", "Ethnicity", "Ethnicity", "Ethnicity", "S"],
  [32817, "EHR", "Type Concept", "Type Concept", "Type Concept", "S"],
  [9201, "Inpatient Visit", "Visit", "Visit", "Visit", "S"],
  [201826, "Type 2 diabetes mellitus", "Condition", "SNOMED", "Clinical Finding", "S"],
  [45576876, "Type 2 diabetes mellitus (ICD10CM E11)", "Condition", "ICD10CM", "3-char nonbill code", null],
  [3004410, "Hemoglobin A1c", "Measurement", "LOINC", "Lab Test", "S"],
  [8554, "percent", "Unit", "UCUM", "Unit", "S"],
  [9529, "kilogram", "Unit", "UCUM", "Unit", "S"],
  [192367, "Dysplasia of cervix", "Condition", "SNOMED", "Clinical Finding", "S"],
];

const d = (iso: string): string => `DATE '${iso}'`;
const ts = (iso: string): string => `TIMESTAMP '${iso} 00:00:00'`;

/** The clean fixture: two persons, each with one period, visit, condition and measurement; no death. */
export function cleanRows(): Record<string, string[]> {
  return {
    concept: CONCEPTS.map(
      ([id, name, domain, vocab, cls, std]) =>
        `(${id}, '${name}', '${domain}', '${vocab}', '${cls}', ${std ? `'${std}'` : "NULL"}, 'c${id}', ${d("1970-01-01")}, ${d("2099-12-31")}, NULL)`,
    ),
    person: [
      `(1, 8507, 1970, 5, 10, ${ts("1970-05-10")}, 8527, 38003564, 'p1', 'M', 'white', 'nh')`,
      `(2, 8532, 1980, 1, 1, ${ts("1980-01-01")}, 8527, 38003564, 'p2', 'F', 'white', 'nh')`,
    ],
    observation_period: [`(1, 1, ${d("2015-01-01")}, ${d("2021-12-31")}, 32817)`, `(2, 2, ${d("2016-01-01")}, ${d("2021-12-31")}, 32817)`],
    visit_occurrence: [
      `(1, 1, 9201, ${d("2020-03-01")}, ${d("2020-03-05")}, 32817, 'IP')`,
      `(2, 2, 9201, ${d("2020-06-01")}, ${d("2020-06-03")}, 32817, 'IP')`,
    ],
    condition_occurrence: [
      `(1, 1, 201826, ${d("2020-03-02")}, ${d("2020-03-10")}, 32817, 1, 'E11', 45576876)`,
      `(2, 2, 201826, ${d("2020-06-02")}, ${d("2020-06-20")}, 32817, 2, 'E11', 45576876)`,
    ],
    measurement: [
      `(1, 1, 3004410, ${d("2020-03-02")}, 32817, 6.5, 8554, 1, 'HbA1c', '%')`,
      `(2, 2, 3004410, ${d("2020-06-02")}, 32817, 7.1, 8554, 2, 'HbA1c', '%')`,
    ],
  };
}

export const COLUMNS: Record<string, string> = {
  concept: "concept_id, concept_name, domain_id, vocabulary_id, concept_class_id, standard_concept, concept_code, valid_start_date, valid_end_date, invalid_reason",
  person:
    "person_id, gender_concept_id, year_of_birth, month_of_birth, day_of_birth, birth_datetime, race_concept_id, ethnicity_concept_id, person_source_value, gender_source_value, race_source_value, ethnicity_source_value",
  observation_period: "observation_period_id, person_id, observation_period_start_date, observation_period_end_date, period_type_concept_id",
  visit_occurrence: "visit_occurrence_id, person_id, visit_concept_id, visit_start_date, visit_end_date, visit_type_concept_id, visit_source_value",
  condition_occurrence:
    "condition_occurrence_id, person_id, condition_concept_id, condition_start_date, condition_end_date, condition_type_concept_id, visit_occurrence_id, condition_source_value, condition_source_concept_id",
  measurement: "measurement_id, person_id, measurement_concept_id, measurement_date, measurement_type_concept_id, value_as_number, unit_concept_id, visit_occurrence_id, measurement_source_value, unit_source_value",
};

/** The breakages of the issue, each a change of one row of the clean fixture, and the checks it must flag. */
export const BREAKAGES: { name: string; change: (rows: Record<string, string[]>) => void; flagged: string[]; from?: string }[] = [
  {
    name: "an implausible unit",
    change: (r) => (r.measurement![1] = `(2, 2, 3004410, ${d("2020-06-02")}, 32817, 7.1, 9529, 2, 'HbA1c', 'kg')`),
    flagged: ["concept_plausibleunitconceptids_measurement_measurement_concept_id_3004410"],
  },
  {
    name: "a condition of the implausible gender",
    // Person 1 is male; DQD's Concept_Level says 192367 is a condition of females. Absent from the clean fixture,
    // the check was not applicable there (no record of the concept).
    change: (r) => (r.condition_occurrence![0] = `(1, 1, 192367, ${d("2020-03-02")}, ${d("2020-03-10")}, 32817, 1, 'E11', 45576876)`),
    flagged: ["concept_plausiblegender_condition_occurrence_condition_concept_id_192367"],
    from: "not_applicable",
  },
  {
    name: "a duplicate primary key",
    change: (r) => r.condition_occurrence!.push(`(1, 1, 201826, ${d("2020-03-03")}, ${d("2020-03-10")}, 32817, 1, 'E11', 45576876)`),
    flagged: ["field_isprimarykey_condition_occurrence_condition_occurrence_id"],
  },
  {
    name: "an orphan foreign key",
    change: (r) => (r.condition_occurrence![1] = `(2, 2, 201826, ${d("2020-06-02")}, ${d("2020-06-20")}, 32817, 99, 'E11', 45576876)`),
    flagged: ["field_isforeignkey_condition_occurrence_visit_occurrence_id"],
  },
  {
    name: "a concept of the wrong domain",
    change: (r) => (r.measurement![1] = `(2, 2, 201826, ${d("2020-06-02")}, 32817, 7.1, 8554, 2, 'HbA1c', '%')`),
    flagged: ["field_fkdomain_measurement_measurement_concept_id"],
  },
  {
    name: "a date before birth",
    // Person 1 was born on 1970-05-10; the condition's visit is in 2020, so it is also out of its visit's dates.
    change: (r) => (r.condition_occurrence![0] = `(1, 1, 201826, ${d("1965-01-01")}, ${d("2020-03-10")}, 32817, 1, 'E11', 45576876)`),
    // DQD still runs its deprecated plausibleTemporalAfter by default: it flags the same date.
    flagged: [
      "field_plausibleafterbirth_condition_occurrence_condition_start_date",
      "field_plausibletemporalafter_condition_occurrence_condition_start_date",
      "field_withinvisitdates_condition_occurrence_condition_start_date",
    ],
  },
  {
    name: "a negative value below plausibleValueLow",
    change: (r) => (r.person![1] = `(2, 8532, 1980, -1, 1, ${ts("1980-01-01")}, 8527, 38003564, 'p2', 'F', 'white', 'nh')`),
    flagged: ["field_plausiblevaluelow_person_month_of_birth"],
  },
  {
    name: "an empty required field",
    change: (r) => (r.condition_occurrence![1] = `(2, 2, NULL, ${d("2020-06-02")}, ${d("2020-06-20")}, 32817, 2, 'E11', 45576876)`),
    // measureValueCompleteness of a field DQD requires has a threshold of 0: it flags the NULL too.
    flagged: ["field_isrequired_condition_occurrence_condition_concept_id", "field_measurevaluecompleteness_condition_occurrence_condition_concept_id"],
  },
];

