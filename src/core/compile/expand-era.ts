import type { SubSelectDml, TransformDml } from "../model/dml-schema.js";
import type { EraDml } from "../model/derivation-dml-schema.js";
import type { PathOrigin } from "../yaml/mapped-yaml-file.js";
import type { YamlPath } from "../yaml/yaml-file.js";
import type { SourceCheck, SourceColumn } from "./check-derivation-source.js";

/**
 * `kind: era` expanded into an ordinary transform (issue 18): each stage of OHDSI's era algorithms is a `with:`
 * sub-select of the select model, so the plan, the providers and `compile --sql-dir` see a plain transform.
 *
 * The algorithms (OHDSI CommonDataModel, "SQL scripts": condition eras and drug eras; the dose era is the drug era's
 * roll-up with the dose as part of the key, without sub-exposures):
 *
 * 1. Events: each source row with a known concept (concept 0 is left out: unknown concepts would merge into one
 *    era), its end date defaulted (the recorded end, else start + days_supply when positive, else start + 1 day),
 *    rows with a negative days_supply left out; drug and dose eras roll each drug up to its RxNorm ingredients
 *    through concept_ancestor (one event per ingredient).
 * 2. Gaps and islands per partition (person and concept; for dose eras also unit and dose): ordered by start, end
 *    and id, a row starts a new group when it is the first or starts after the latest end of every row before it
 *    (plus the persistence window); the group number is the running count of starts.
 * 3. Drug eras do step 2 twice: first with no window, giving sub-exposures (runs of overlapping exposures: their
 *    exposures and their days exposed), then over the sub-exposures with the window, giving eras whose gap days
 *    are the era's length less the days its sub-exposures cover.
 * 4. One era per group: its first start, its last end, its count of rows; surrogate ids keyed by person, concept
 *    (unit, dose) and start, so an era keeps its id across runs.
 *
 * Ties are impossible within a partition (the id is the last ordering key), so every engine gives the same eras.
 */

/** A derivation expanded: the transform, where its parts were written, and what to check of its sources first. */
export interface DerivationExpansion {
  dml: TransformDml;
  origins: PathOrigin[];
  fallback: YamlPath;
  checks: SourceCheck[];
  /** Fields that mean nothing here (a dose column on a condition era): each an INVALID_VALUE at its path. */
  invalid: { path: YamlPath; field: string; detail: string }[];
}

/** The default source and columns of each era, after the CDM tables OHDSI's scripts read. */
const DEFAULTS = {
  condition: {
    target: "cdm.condition_era",
    source: "cdm.condition_occurrence",
    columns: { person: "person_id", concept: "condition_concept_id", start: "condition_start_date", end: "condition_end_date", id: "condition_occurrence_id" },
  },
  drug: {
    target: "cdm.drug_era",
    source: "cdm.drug_exposure",
    columns: { person: "person_id", concept: "drug_concept_id", start: "drug_exposure_start_date", end: "drug_exposure_end_date", id: "drug_exposure_id", days_supply: "days_supply" },
  },
  dose: {
    target: "cdm.dose_era",
    source: "cdm.drug_exposure",
    columns: {
      person: "person_id",
      concept: "drug_concept_id",
      start: "drug_exposure_start_date",
      end: "drug_exposure_end_date",
      id: "drug_exposure_id",
      days_supply: "days_supply",
      dose_value: "dose_value",
      unit: "unit_concept_id",
    },
  },
} as const;

/** What source_rows calls each role's column (role names like `end` are keywords of the expression language). */
const AS_COLUMN: Record<string, string> = {
  person: "person_id",
  concept: "concept_id",
  start: "start_date",
  end: "end_date",
  id: "row_id",
  days_supply: "days_supply",
  dose_value: "dose_value",
  unit: "unit_concept_id",
};

/** The persistence window of OHDSI's era scripts, in days. */
export const DEFAULT_PERSISTENCE_WINDOW = 30;

/** `schema.table [AS alias]` of a derivation's `source:`. */
export function parseSource(text: string): { table: string; alias: string } {
  const m = /^\s*([A-Za-z_]\w*\.[A-Za-z_]\w*)(?:\s+(?:as\s+)?([A-Za-z_]\w*))?\s*$/i.exec(text)!;
  return { table: m[1]!, alias: m[2] ?? "src" };
}

/** Expands a validated `kind: era` document into the transform that computes it. */
export function expandEra(era: EraDml): DerivationExpansion {
  const d = DEFAULTS[era.era];
  const sourceGiven = era.source !== undefined;
  const { table, alias } = parseSource(era.source ?? d.source);
  const window = era.persistence_window ?? DEFAULT_PERSISTENCE_WINDOW;
  const origins: PathOrigin[] = [];
  const given = (era.columns ?? {}) as Record<string, string | null | undefined>;

  // The source's columns by role; a role's path is where the user named it, else `source:` (or `era:`).
  const roles = Object.keys(d.columns) as (keyof typeof d.columns)[];
  const columns: SourceColumn[] = [];
  const sourceRows: Record<string, string> = {};
  const expect: Record<string, SourceColumn["expect"]> = {
    person: "integer",
    concept: "integer",
    start: "date",
    end: "date",
    id: "integer",
    days_supply: "integer",
    dose_value: "number",
    unit: "integer",
  };
  for (const role of roles) {
    const named = given[role];
    if (named === null) continue; // days_supply: null — the source has none
    const column = named ?? (d.columns as Record<string, string>)[role]!;
    const path: YamlPath = named !== undefined ? ["columns", role] : sourceGiven ? ["source"] : ["era"];
    columns.push({ role, column, expect: expect[role]!, path, field: `columns.${role}` });
    sourceRows[AS_COLUMN[role]!] = `${alias}.${column}`;
    origins.push({ generated: ["with", "source_rows", "columns", AS_COLUMN[role]!], written: path });
  }
  const hasDaysSupply = "days_supply" in sourceRows;
  const isDrug = era.era !== "condition";

  const w: Record<string, SubSelectDml> = {};
  w.source_rows = {
    from: `${table} AS ${alias}`,
    ...(era.where !== undefined ? { where: era.where } : {}),
    columns: sourceRows,
  };
  origins.push({ generated: ["with", "source_rows", "from"], written: sourceGiven ? ["source"] : ["era"] });
  if (era.where !== undefined) origins.push({ generated: ["with", "source_rows", "where"], written: ["where"], verbatim: true });

  // 1. Events: the algorithm's filters, the defaulted end, drugs rolled up to ingredients.
  const end = hasDaysSupply
    ? "coalesce(s.end_date, CASE WHEN s.days_supply > 0 THEN s.start_date + s.days_supply END, s.start_date + 1)"
    : "coalesce(s.end_date, s.start_date + 1)";
  const filters = ["s.concept_id <> 0", ...(hasDaysSupply ? ["coalesce(s.days_supply, 0) >= 0"] : [])];
  const doseColumns: Record<string, string> = era.era === "dose" ? { unit_concept_id: "s.unit_concept_id", dose_value: "s.dose_value" } : {};
  w.events = {
    from: "source_rows AS s",
    ...(isDrug
      ? {
          joins: [
            { table: "vocab.concept_ancestor", as: "ca", on: "ca.descendant_concept_id = s.concept_id", type: "inner" as const },
            {
              table: "vocab.concept",
              as: "ing",
              on: "ing.concept_id = ca.ancestor_concept_id AND ing.vocabulary_id = 'RxNorm' AND ing.concept_class_id = 'Ingredient'",
              type: "inner" as const,
            },
          ],
        }
      : {}),
    where: filters.join(" AND "),
    columns: {
      person_id: "s.person_id",
      concept_id: isDrug ? "ing.concept_id" : "s.concept_id",
      ...doseColumns,
      event_id: "s.row_id",
      start_date: "s.start_date",
      end_date: end,
    },
  };
  if (era.era === "dose") w.events.where = `${w.events.where} AND s.dose_value IS NOT NULL`;

  const partition = ["person_id", "concept_id", ...Object.keys(doseColumns)];
  const carried = [...partition];
  if (era.era === "drug") {
    // 3. Sub-exposures: runs of overlapping exposures (no window), then eras over them.
    islands(w, "event", "events", partition, ["start_date", "end_date", "event_id"], "start_date", "end_date", 0, [...carried, "event_id", "start_date", "end_date"], "sub_no");
    w.sub_exposures = {
      from: "event_members AS m",
      group_by: [...partition.map((c) => `m.${c}`), "m.sub_no"],
      columns: {
        ...Object.fromEntries(partition.map((c) => [c, `m.${c}`])),
        sub_no: "m.sub_no",
        sub_start: "min(m.start_date)",
        sub_end: "max(m.end_date)",
        exposure_count: "count(*)",
        days_exposed: "max(m.end_date) - min(m.start_date)",
      },
    };
    islands(w, "sub_exposure", "sub_exposures", partition, ["sub_start", "sub_end", "sub_no"], "sub_start", "sub_end", window, [...carried, "sub_no", "sub_start", "sub_end", "exposure_count", "days_exposed"], "era_no");
    w.eras = {
      from: "sub_exposure_members AS m",
      group_by: [...partition.map((c) => `m.${c}`), "m.era_no"],
      columns: {
        ...Object.fromEntries(partition.map((c) => [c, `m.${c}`])),
        era_start: "min(m.sub_start)",
        era_end: "max(m.sub_end)",
        row_count: "sum(m.exposure_count)",
        gap_days: "(max(m.sub_end) - min(m.sub_start)) - sum(m.days_exposed)",
      },
    };
  } else {
    islands(w, "event", "events", partition, ["start_date", "end_date", "event_id"], "start_date", "end_date", window, [...carried, "event_id", "start_date", "end_date"], "era_no");
    w.eras = {
      from: "event_members AS m",
      group_by: [...partition.map((c) => `m.${c}`), "m.era_no"],
      columns: {
        ...Object.fromEntries(partition.map((c) => [c, `m.${c}`])),
        era_start: "min(m.start_date)",
        era_end: "max(m.end_date)",
        row_count: "count(*)",
      },
    };
  }

  // 4. The era table.
  const target = era.target ?? d.target;
  const prefix = era.era;
  const out: Record<string, string> =
    era.era === "condition"
      ? {
          person_id: "e.person_id",
          condition_concept_id: "e.concept_id",
          condition_era_start_date: "e.era_start",
          condition_era_end_date: "e.era_end",
          condition_occurrence_count: "CAST(e.row_count AS integer)",
        }
      : era.era === "drug"
        ? {
            person_id: "e.person_id",
            drug_concept_id: "e.concept_id",
            drug_era_start_date: "e.era_start",
            drug_era_end_date: "e.era_end",
            drug_exposure_count: "CAST(e.row_count AS integer)",
            gap_days: "CAST(e.gap_days AS integer)",
          }
        : {
            person_id: "e.person_id",
            drug_concept_id: "e.concept_id",
            unit_concept_id: "e.unit_concept_id",
            dose_value: "e.dose_value",
            dose_era_start_date: "e.era_start",
            dose_era_end_date: "e.era_end",
          };
  const key = ["e.person_id", "e.concept_id", ...(era.era === "dose" ? ["e.unit_concept_id", "e.dose_value"] : []), "e.era_start"];
  const dml: TransformDml = {
    kind: "transform",
    ...(era.description !== undefined ? { description: era.description } : {}),
    target,
    mode: "replace",
    with: w,
    from: "eras AS e",
    ids: { [`${prefix}_era_id`]: { source_key: key } },
    columns: out,
  };
  origins.push({ generated: ["target"], written: era.target !== undefined ? ["target"] : ["era"] });
  origins.push({ generated: ["description"], written: ["description"], verbatim: true });
  // A role the era does not read would be silently ignored: refuse it.
  const invalid = Object.keys(given)
    .filter((role) => !(role in d.columns))
    .map((role) => ({
      path: ["columns", role] as YamlPath,
      field: `columns.${role}`,
      detail: `a ${era.era} era reads no ${role} column (its roles: ${Object.keys(d.columns).join(", ")})`,
    }));
  return { dml, origins, fallback: ["era"], checks: [{ owner: "era", table, columns }], invalid };
}

/**
 * Gaps and islands over `from` as two sub-selects: `<stage>_flags` says whether a row starts a new group (it is the
 * first of its partition, or starts more than `window` days after the latest end of every row before it: a max over
 * the ROWS frame ending one row before it), and `<stage>_members` numbers the groups by the running count of starts.
 * The ORDER BY ends with a unique id, so no two rows of a partition tie and every engine frames the same rows.
 */
function islands(
  w: Record<string, SubSelectDml>,
  stage: string,
  from: string,
  partition: readonly string[],
  order: readonly string[],
  start: string,
  end: string,
  window: number,
  carried: readonly string[],
  groupName: string,
): void {
  const over = (a: string, frame = "") => `OVER (PARTITION BY ${partition.map((c) => `${a}.${c}`).join(", ")} ORDER BY ${order.map((c) => `${a}.${c}`).join(", ")}${frame})`;
  const pass = (a: string) => Object.fromEntries(carried.map((c) => [c, `${a}.${c}`]));
  const previousEnd = `max(x.${end}) ${over("x", " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING")}`;
  w[`${stage}_flags`] = {
    from: `${from} AS x`,
    columns: {
      ...pass("x"),
      starts_group: `CASE WHEN ${previousEnd} IS NULL THEN 1 WHEN x.${start} > ${previousEnd}${window > 0 ? ` + ${window}` : ""} THEN 1 ELSE 0 END`,
    },
  };
  w[`${stage}_members`] = { from: `${stage}_flags AS f`, columns: { ...pass("f"), [groupName]: `sum(f.starts_group) ${over("f")}` } };
}
