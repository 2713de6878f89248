import { z } from "zod";
import { ExpressionSchema, QualifiedTableSchema } from "./dml-schema.js";

const Identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an identifier (letters, digits, _)");
const Description = z.string().optional();

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
  kind: z.literal("era"),
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
