import type { CdmSpec } from "./spec-model.js";

/**
 * The secondary indexes OHDSI's generated DDL creates (inst/ddl/5.x/<dialect>/OMOPCDM_<dialect>_5.x_indices.sql),
 * one single-column index per list entry, written down by table.
 *
 * Why a table and not a rule: the pattern is "person_id, the table's main concept, visit_occurrence_id" for most
 * clinical tables, but too many exceptions break any rule derivable from the field CSV: `note` indexes
 * note_type_concept_id (not note_concept_id), `note_nlp` indexes note_id instead of person_id, `observation_period`
 * and `death` index only person_id, `cost` indexes cost_event_id, `fact_relationship` indexes both domain concepts
 * and the relationship, the vocabulary tables index their lookup columns, and the episode tables (5.4) and
 * RESULTS tables have none (OHDSI ships those lines commented out).
 *
 * For each table the first list is the one OHDSI clusters the table on (PostgreSQL `CLUSTER ... USING`), except
 * for `fact_relationship` and `cost`, which OHDSI does not cluster.
 */
export const OHDSI_STANDARD_INDEXES: Readonly<Record<string, readonly (readonly string[])[]>> = {
  // Standardized clinical data
  person: [["person_id"], ["gender_concept_id"]],
  observation_period: [["person_id"]],
  visit_occurrence: [["person_id"], ["visit_concept_id"]],
  visit_detail: [["person_id"], ["visit_detail_concept_id"], ["visit_occurrence_id"]],
  condition_occurrence: [["person_id"], ["condition_concept_id"], ["visit_occurrence_id"]],
  drug_exposure: [["person_id"], ["drug_concept_id"], ["visit_occurrence_id"]],
  procedure_occurrence: [["person_id"], ["procedure_concept_id"], ["visit_occurrence_id"]],
  device_exposure: [["person_id"], ["device_concept_id"], ["visit_occurrence_id"]],
  measurement: [["person_id"], ["measurement_concept_id"], ["visit_occurrence_id"]],
  observation: [["person_id"], ["observation_concept_id"], ["visit_occurrence_id"]],
  death: [["person_id"]],
  note: [["person_id"], ["note_type_concept_id"], ["visit_occurrence_id"]],
  note_nlp: [["note_id"], ["note_nlp_concept_id"]],
  specimen: [["person_id"], ["specimen_concept_id"]],
  fact_relationship: [["domain_concept_id_1"], ["domain_concept_id_2"], ["relationship_concept_id"]],
  // Standardized health system data
  location: [["location_id"]],
  care_site: [["care_site_id"]],
  provider: [["provider_id"]],
  // Standardized health economics
  payer_plan_period: [["person_id"]],
  cost: [["cost_event_id"]],
  // Standardized derived elements
  drug_era: [["person_id"], ["drug_concept_id"]],
  dose_era: [["person_id"], ["drug_concept_id"]],
  condition_era: [["person_id"], ["condition_concept_id"]],
  // Standardized metadata
  metadata: [["metadata_concept_id"]],
  // Standardized vocabularies
  concept: [["concept_id"], ["concept_code"], ["vocabulary_id"], ["domain_id"], ["concept_class_id"]],
  vocabulary: [["vocabulary_id"]],
  domain: [["domain_id"]],
  concept_class: [["concept_class_id"]],
  concept_relationship: [["concept_id_1"], ["concept_id_2"], ["relationship_id"]],
  relationship: [["relationship_id"]],
  concept_synonym: [["concept_id"]],
  concept_ancestor: [["ancestor_concept_id"], ["descendant_concept_id"]],
  source_to_concept_map: [["target_concept_id"], ["source_vocabulary_id"], ["target_vocabulary_id"], ["source_code"]],
  drug_strength: [["drug_concept_id"], ["ingredient_concept_id"]],
};

/**
 * The OHDSI standard indexes that apply to `spec`: table name -> index column lists, in spec table order.
 * Tables the spec lacks, and indexes naming a column the spec's table lacks, are left out, so the result is
 * always valid DDL input for that CDM version. Tables without standard indexes are absent from the map.
 */
export function standardIndexes(spec: CdmSpec): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const name of spec.tableNames) {
    // hasOwn: a table called e.g. "constructor" must not pick up Object.prototype members.
    const wanted = Object.hasOwn(OHDSI_STANDARD_INDEXES, name) ? OHDSI_STANDARD_INDEXES[name] : undefined;
    const table = spec.tables.get(name);
    if (!wanted || !table) continue;
    const present = new Set(table.columns.map((c) => c.name));
    const lists = wanted.filter((cols) => cols.every((c) => present.has(c))).map((cols) => [...cols]);
    if (lists.length > 0) out.set(name, lists);
  }
  return out;
}
