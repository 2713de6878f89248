import type { JoinDmlSchema, SubSelectDml, TransformDml } from "../model/dml-schema.js";
import type { ObservationPeriodDml } from "../model/derivation-dml-schema.js";
import type { PathOrigin } from "../yaml/mapped-yaml-file.js";
import type { YamlPath } from "../yaml/yaml-file.js";
import type { z } from "zod";
import type { SourceColumn } from "./check-derivation-source.js";
import { parseSource, type DerivationExpansion } from "./expand-era.js";

/**
 * `kind: observation_period` expanded into an ordinary transform (issue 18). A person is observed from their first
 * dated row to their last (OHDSI's convention when a source records no enrolment: "the span of time during which
 * clinical events are recorded"); with `gap_days`, a stretch of more than that many days that no row covers ends a
 * period and the next row starts another (the era algorithm's gaps and islands, over every row of the person).
 *
 * Stages (`with:` sub-selects):
 * 1. `events_<i>`: each table's rows as (person_id, start_date, end_date, part = i): dates (a datetime cast to its
 *    day), the end defaulted to the start, the person found in cdm.person by person_id or person_source_value (rows
 *    of no person are left out).
 * 2. `dated`: all of them as one relation. Sub-selects have no UNION, so it is written as a join: the table numbers
 *    1..n (`range(1, n)`), each table left-joined on its own number (`part`); the rows that matched are exactly the
 *    union of the tables' rows. Rows without a start are left out.
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

type Join = z.output<typeof JoinDmlSchema>;

/** Expands a validated `kind: observation_period` document into the transform that computes it. */
export function expandObservationPeriod(op: ObservationPeriodDml): DerivationExpansion {
  const origins: PathOrigin[] = [];
  const w: Record<string, SubSelectDml> = {};
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
    const name = `events_${i + 1}`;
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
    // A row without a start dates nothing: its end is NULL too (min and max skip it; `dated` leaves it out).
    const endDate = `CAST(CASE WHEN ${start} IS NOT NULL THEN ${e.end !== undefined ? `coalesce(${alias}.${e.end}, ${start})` : start} END AS date)`;
    w[name] = {
      from: `${table} AS ${alias}`,
      joins: [
        {
          table: "cdm.person",
          as: "per",
          on: bySourceValue ? `per.person_source_value = ${alias}.${personColumn}` : `per.person_id = ${alias}.${personColumn}`,
          type: "inner" as const,
        },
      ],
      ...(e.where !== undefined ? { where: e.where } : {}),
      // Grouped: one row per person (first start, last end) without gap_days, else per distinct dated row (a
      // duplicate changes no period). Grouping also keeps engines from folding the constant `part` into the join
      // of `dated` (PostgreSQL then joined the tables as a cross product: 27 s at x10).
      group_by: gap === undefined ? ["per.person_id"] : ["per.person_id", startDate, endDate],
      columns: {
        person_id: "per.person_id",
        start_date: gap === undefined ? `min(${startDate})` : startDate,
        end_date: gap === undefined ? `max(${endDate})` : endDate,
        part: String(i + 1),
      },
    };
    origins.push({ generated: ["with", name, "from"], written: written("source") });
    origins.push({ generated: ["with", name, "columns", "person_id"], written: columns[0]!.path });
    origins.push({ generated: ["with", name, "columns", "start_date"], written: written("start") });
    origins.push({ generated: ["with", name, "columns", "end_date"], written: written(e.end !== undefined ? "end" : "start") });
    if (e.where !== undefined) origins.push({ generated: ["with", name, "where"], written: [...e.path, "where"], verbatim: true });
  }

  // 2. The union of the tables' rows, as a join on the table number (see above): an equi-join, which every engine
  // runs as a hash join (DuckDB ran the same join written `ON k.n = 1` as a nested loop: 40x slower at x10).
  const n = sources.length;
  const pick = (column: string) =>
    n === 1 ? `e1.${column}` : `CASE k.n ${sources.map((_, i) => `WHEN ${i + 1} THEN e${i + 1}.${column}`).join(" ")} END`;
  w.dated = {
    from: `range(1, ${n}) AS k`,
    joins: sources.map((_, i): Join => ({ table: `events_${i + 1}`, as: `e${i + 1}`, on: `e${i + 1}.part = k.n`, type: "left" })),
    where: `${pick("start_date")} IS NOT NULL`,
    columns: { person_id: pick("person_id"), start_date: pick("start_date"), end_date: pick("end_date") },
  };

  // 3. The periods.
  let key: string[];
  if (gap === undefined) {
    w.periods = {
      from: "dated AS d",
      group_by: ["d.person_id"],
      columns: { person_id: "d.person_id", period_start: "min(d.start_date)", period_end: "max(d.end_date)" },
    };
    key = ["o.person_id"];
  } else {
    const over = (a: string, frame = "") => `OVER (PARTITION BY ${a}.person_id ORDER BY ${a}.start_date, ${a}.end_date${frame})`;
    const previousEnd = `max(x.end_date) ${over("x", " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING")}`;
    w.period_flags = {
      from: "dated AS x",
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
  return { dml, origins, fallback, checks };
}
