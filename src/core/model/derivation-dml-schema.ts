import { z } from "zod";
import { ExpressionSchema, QualifiedTableSchema } from "./dml-schema.js";

const Identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an identifier (letters, digits, _)");
const Description = z.string().optional().describe("What the step does, shown by omopetl graph and in the plan.");

/**
 * `source:` of a derivation: the table it reads, optionally `AS alias` (the alias `where:` names it by; default
 * `src`).
 */
const DerivationSource = z
  .string()
  .regex(
    /^\s*[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*(\s+(?:[Aa][Ss]\s+)?[A-Za-z_][A-Za-z0-9_]*)?\s*$/,
    'must be "schema.table" or "schema.table AS alias", e.g. "cdm.condition_occurrence AS co"',
  );

/** The source columns an era reads, by role; each defaults to the CDM column of the era's source table. */
const EraColumnsSchema = z
  .strictObject({
    person: Identifier.optional().describe("The person (integer). Default person_id."),
    concept: Identifier.optional().describe(
      "The concept the eras are built per (integer; rows with concept 0 are left out). Default condition_concept_id / drug_concept_id; for drug and dose eras it is rolled up to its RxNorm ingredients.",
    ),
    start: Identifier.optional().describe("The start date (date). Default condition_start_date / drug_exposure_start_date."),
    end: Identifier.optional().describe(
      "The end date (date; when NULL: start + days_supply when that is positive, else start + 1 day). Default condition_end_date / drug_exposure_end_date.",
    ),
    id: Identifier.optional().describe(
      "The row's unique id (integer), the last tie-breaker of the ordering. Default condition_occurrence_id / drug_exposure_id.",
    ),
    days_supply: Identifier.nullable()
      .optional()
      .describe(
        "Drug and dose eras: the days supplied (integer; rows with a negative one are left out). Default days_supply; null when the source has none.",
      ),
    dose_value: Identifier.optional().describe("Dose eras: the dose (float or integer); rows without one are left out. Default dose_value."),
    unit: Identifier.optional().describe("Dose eras: the dose's unit concept (integer). Default unit_concept_id."),
  })
  .describe("The source columns by role (person, concept, start, end, id, days_supply, dose_value, unit): each defaults to the CDM column of the era's source table.");

/**
 * `kind: era` — condition, drug or dose eras by OHDSI's era algorithms, expanded by the compiler into an ordinary
 * transform whose `with:` sub-selects hold each stage (README, DML kinds: era).
 */
export const EraDmlSchema = z.strictObject({
  kind: z.literal("era").describe("An era table (condition_era, drug_era, dose_era) computed by OHDSI's era algorithms."),
  description: Description,
  era: z
    .enum(["condition", "drug", "dose"])
    .describe(
      "condition: condition_era from condition_occurrence; drug: drug_era per RxNorm ingredient (through concept_ancestor) from drug_exposure, with sub-exposures and gap days; dose: dose_era per ingredient, unit and dose value.",
    ),
  target: QualifiedTableSchema.optional().describe("The era table written. Default cdm.condition_era / cdm.drug_era / cdm.dose_era."),
  source: DerivationSource.optional().describe(
    'The table read, "schema.table [AS alias]". Default cdm.condition_occurrence (condition) or cdm.drug_exposure (drug, dose).',
  ),
  columns: EraColumnsSchema.optional(),
  where: ExpressionSchema.optional().describe(
    "A filter on the source rows, over the source's alias (default src), applied before the algorithm's own (concept 0 and negative days_supply are always left out).",
  ),
  persistence_window: z
    .number()
    .int()
    .min(0)
    .max(3650)
    .optional()
    .describe(
      "Days between two eras that still join them (OHDSI: 30): a row starting more than this many days after every earlier row of its person and concept has ended starts a new era.",
    ),
});
export type EraDml = z.infer<typeof EraDmlSchema>;

/** One kind of dated row of a person, for `kind: observation_period`. */
export const ObservationEventsSchema = z
  .strictObject({
    source: DerivationSource.describe('The table read, "schema.table [AS alias]" (default alias src).'),
    person_id: Identifier.optional().describe("The column holding the person's person_id (integer). Default person_id unless person_source_value is given."),
    person_source_value: Identifier.optional().describe(
      "Instead of person_id: the column holding the person's source value (text), matched to cdm.person.person_source_value.",
    ),
    start: Identifier.describe("The row's start (date or datetime; rows without one are left out)."),
    end: Identifier.optional().describe("The row's end (date or datetime); when NULL or not named, the start."),
    where: ExpressionSchema.optional().describe("A filter on the rows, over the source's alias."),
  })
  .describe("A table of dated rows: every row is a day (or span) the person was observed.");

/**
 * `kind: observation_period` — each person's observation periods from their dated rows, expanded by the compiler
 * into an ordinary transform (README, DML kinds: observation_period).
 */
export const ObservationPeriodDmlSchema = z.strictObject({
  kind: z.literal("observation_period").describe("Each person's observation periods, from the rows that date them."),
  description: Description,
  target: QualifiedTableSchema.optional().describe("The table written. Default cdm.observation_period."),
  from: z
    .enum(["events", "visits"])
    .optional()
    .describe(
      "Without events: which CDM tables date a person: events (the default: visit_occurrence, condition_occurrence, drug_exposure, procedure_occurrence, device_exposure, measurement, observation) or visits (visit_occurrence only).",
    ),
  events: z.array(ObservationEventsSchema).min(1).max(50).optional().describe("The tables of dated rows, instead of from:'s CDM tables."),
  gap_days: z
    .number()
    .int()
    .min(0)
    .max(36500)
    .optional()
    .describe(
      "Split a person's periods where no row covers more than this many days (a row starting more than gap_days after the latest end before it starts a new period). Without it: one period per person, from the first date to the last.",
    ),
  period_type_concept_id: z
    .number()
    .int()
    .optional()
    .describe("The period_type_concept_id written. Default 32817 (EHR)."),
});
export type ObservationPeriodDml = z.infer<typeof ObservationPeriodDmlSchema>;
