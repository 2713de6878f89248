import type { SubSelectDml, SubSelectUnionDml, TransformDml } from "../model/dml-schema.js";
import type { ObservationPeriodDml } from "../model/derivation-dml-schema.js";
import type { PathOrigin } from "../yaml/mapped-yaml-file.js";
import type { YamlPath } from "../yaml/yaml-file.js";
import type { SourceColumn } from "./check-derivation-source.js";
import { parseSource, type DerivationExpansion } from "./expand-era.js";

/**
 * `kind: observation_period` expanded into an ordinary transform (issue 18). A person is observed from their first
 * dated row to their last (OHDSI's convention when a source records no enrolment: "the span of time during which
 * clinical events are recorded"); with `gap_days`, a stretch of more than that many days that no row covers ends a
 * period and the next row starts another (the era algorithm's gaps and islands, over every row of the person).
 *
 * Stages (`with:` sub-selects):
 * 1. `dated`: a union_all with a branch per table: its rows as (person_id, start_date, end_date), dates (a datetime
 *    cast to its day), the end defaulted to the start (NULL without a start), the person found in cdm.person by
 *    person_id or person_source_value (rows of no person are left out).
 * 2. Rows without a start are left out of the periods.
 * 3. Without gap_days: one period per person (min start, max end). With it: `period_flags` / `period_members` as in
 *    `kind: era`, then one period per person and period number.
 * Surrogate ids: keyed by person (one period per person) or by person and start.
 */

/** The CDM tables whose rows date a person, with their start and end columns. */
const CDM_EVENTS: readonly { table: string; start: string; end?: string }[] = [
  { table: "visit_occurrence", start: "visit_start_date", end: "visit_end_date" },
  { table: "condition_occurrence", start: "condition_start_date", end: "condition_end_date" },
  { table: "drug_exposure", start: "drug_exposure_start_date", end: "drug_exposure_end_date" },
  { table: "procedure_occurrence", start: "procedure_date", end: "procedure_end_date" },
  { table: "device_exposure", start: "device_exposure_start_date", end: "device_exposure_end_date" },
  { table: "measurement", start: "measurement_date" },
  { table: "observation", start: "observation_date" },
];

/** OMOP's period type "EHR". */
export const DEFAULT_PERIOD_TYPE = 32817;

/** Expands a validated `kind: observation_period` document into the transform that computes it. */
export function expandObservationPeriod(op: ObservationPeriodDml): DerivationExpansion {
  const origins: PathOrigin[] = [];
  const w: Record<string, SubSelectDml | SubSelectUnionDml> = {};
  const branches: SubSelectDml[] = [];
  const checks: DerivationExpansion["checks"] = [];
  const fallback: YamlPath = op.events ? ["events"] : op.from ? ["from"] : ["kind"];
  const gap = op.gap_days;

  const sources =
    op.events?.map((e, i) => ({ ...e, path: ["events", i] as YamlPath })) ??
    CDM_EVENTS.filter((e) => op.from !== "visits" || e.table === "visit_occurrence").map((e) => ({
      source: `cdm.${e.table}`,
      person_id: "person_id",
      person_source_value: undefined,
      start: e.start,
      end: e.end,
      where: undefined,
      path: fallback,
    }));

  for (const [i, e] of sources.entries()) {
    const at: YamlPath = ["with", "dated", "union_all", i];
    const { table, alias } = parseSource(e.source);
    const written = (field: string): YamlPath => (op.events ? [...e.path, field] : fallback);
    const bySourceValue = e.person_source_value !== undefined;
    const personColumn = e.person_source_value ?? e.person_id ?? "person_id";
    const columns: SourceColumn[] = [
      {
        role: bySourceValue ? "person_source_value" : "person_id",
        column: personColumn,
        expect: bySourceValue ? "text" : "integer",
        path: written(bySourceValue ? "person_source_value" : e.person_id !== undefined ? "person_id" : "source"),
        field: `events[${i}].${bySourceValue ? "person_source_value" : "person_id"}`,
      },
      { role: "start", column: e.start, expect: "date_or_datetime", path: written("start"), field: `events[${i}].start` },
      ...(e.end !== undefined
        ? [{ role: "end", column: e.end, expect: "date_or_datetime" as const, path: written("end"), field: `events[${i}].end` }]
        : []),
    ];
    checks.push({ owner: "observation period", table, columns });
    const start = `${alias}.${e.start}`;
    const startDate = `CAST(${start} AS date)`;
    // A row without a start dates nothing: its end is NULL too (the periods leave it out).
    const endDate = `CAST(CASE WHEN ${start} IS NOT NULL THEN ${e.end !== undefined ? `coalesce(${alias}.${e.end}, ${start})` : start} END AS date)`;
    branches.push({
      from: `${table} AS ${alias}`,
      joins: [
        {
          table: "cdm.person",
          as: "per",
          on: bySourceValue ? `per.person_source_value = ${alias}.${personColumn}` : `per.person_id = ${alias}.${personColumn}`,
          type: "inner",
        },
      ],
      ...(e.where !== undefined ? { where: e.where } : {}),
      columns: { person_id: "per.person_id", start_date: startDate, end_date: endDate },
    });
    origins.push({ generated: [...at], written: written("source") });
    origins.push({ generated: [...at, "columns", "person_id"], written: columns[0]!.path });
    origins.push({ generated: [...at, "columns", "start_date"], written: written("start") });
    origins.push({ generated: [...at, "columns", "end_date"], written: written(e.end !== undefined ? "end" : "start") });
    if (e.where !== undefined) origins.push({ generated: [...at, "where"], written: [...e.path, "where"], verbatim: true });
  }

  w.dated = { union_all: branches };

  // 2. The periods.
  let key: string[];
  if (gap === undefined) {
    w.periods = {
      from: "dated AS d",
      where: "d.start_date IS NOT NULL",
      group_by: ["d.person_id"],
      columns: { person_id: "d.person_id", period_start: "min(d.start_date)", period_end: "max(d.end_date)" },
    };
    key = ["o.person_id"];
  } else {
    const over = (a: string, frame = "") => `OVER (PARTITION BY ${a}.person_id ORDER BY ${a}.start_date, ${a}.end_date${frame})`;
    const previousEnd = `max(x.end_date) ${over("x", " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING")}`;
    w.period_flags = {
      from: "dated AS x",
      where: "x.start_date IS NOT NULL",
      columns: {
        person_id: "x.person_id",
        start_date: "x.start_date",
        end_date: "x.end_date",
        starts_period: `CASE WHEN ${previousEnd} IS NULL THEN 1 WHEN x.start_date > ${previousEnd}${gap > 0 ? ` + ${gap}` : ""} THEN 1 ELSE 0 END`,
      },
    };
    w.period_members = {
      from: "period_flags AS f",
      columns: { person_id: "f.person_id", start_date: "f.start_date", end_date: "f.end_date", period_no: `sum(f.starts_period) ${over("f")}` },
    };
    w.periods = {
      from: "period_members AS m",
      group_by: ["m.person_id", "m.period_no"],
      columns: { person_id: "m.person_id", period_start: "min(m.start_date)", period_end: "max(m.end_date)" },
    };
    key = ["o.person_id", "o.period_start"];
  }

  const dml: TransformDml = {
    kind: "transform",
    ...(op.description !== undefined ? { description: op.description } : {}),
    target: op.target ?? "cdm.observation_period",
    mode: "replace",
    with: w,
    from: "periods AS o",
    ids: { observation_period_id: { source_key: key } },
    columns: {
      person_id: "o.person_id",
      observation_period_start_date: "o.period_start",
      observation_period_end_date: "o.period_end",
      period_type_concept_id: String(op.period_type_concept_id ?? DEFAULT_PERIOD_TYPE),
    },
  };
  origins.push({ generated: ["target"], written: op.target !== undefined ? ["target"] : fallback });
  origins.push({ generated: ["columns", "period_type_concept_id"], written: op.period_type_concept_id !== undefined ? ["period_type_concept_id"] : fallback });
  // Both person columns would leave it unclear which one finds the person: refuse it.
  const invalid = (op.events ?? []).flatMap((e, i) =>
    e.person_id !== undefined && e.person_source_value !== undefined
      ? [{ path: ["events", i, "person_source_value"] as YamlPath, field: `events[${i}]`, detail: "name the person by person_id or by person_source_value, not both" }]
      : [],
  );
  return { dml, origins, fallback, checks, invalid };
}
