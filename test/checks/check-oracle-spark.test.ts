/**
 * The checks' oracle (helpers/oracle-fixture.ts) on the real Spark Thrift server with Delta. Spark takes 0.1-1 s a
 * statement (more on this shared machine), so: a subset of the checks — the check types the issue's breakages
 * concern, and cdmTable, cdmField, measureValueCompleteness, which not-applicable needs, on the tables they touch —
 * and two fixtures: the clean one, and one holding all six breakages of the issue at once (a duplicate primary key,
 * an orphan foreign key, a concept of the wrong domain, a date before birth, a value below plausibleValueLow, an
 * empty required field), in different rows and fields so that each flags its own checks. The checks that change
 * status must be exactly the union of those the oracle lists for each breakage (DuckDB and PostgreSQL run each
 * breakage alone in check-oracle.test.ts), and Spark must count every check of both fixtures as DuckDB does.
 * Skipped where no server answers, except with CI set.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckMeasure, CompiledCheck } from "../../src/core/checks/check-model.js";
import { compileChecks } from "../../src/core/checks/compile-checks.js";
import { loadDqdDefinitions } from "../../src/core/checks/dqd-definitions.js";
import { selectDqdChecks } from "../../src/core/checks/dqd-select.js";
import { evaluateChecks, type CheckResult } from "../../src/core/checks/evaluate-results.js";
import { cdmTableDefs } from "../../src/core/compile/cdm-table-defs.js";
import { SpecificationManager } from "../../src/core/spec/specification-manager.js";
import { checkHooksOf, measureChecks } from "../../src/orchestrators/checks/measure-checks.js";
import type { CheckSqlGenerator } from "../../src/providers/base/check-sql.js";
import { uniqueTag } from "../../src/providers/conformance/conformance-harness.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import type { Connection, Provider, RenderContext } from "../../src/providers/provider-api.js";
import { sparkProvider } from "../../src/providers/spark/index.js";
import { dqdDir, specDir } from "../helpers/paths.js";
import { SPARK_HOST, SPARK_PORT, sparkRunsHere } from "../providers/helpers/spark-server.js";
import { BREAKAGES, cleanRows, COLUMNS, FIXTURE_TABLES } from "./helpers/oracle-fixture.js";

/** The check types the issue's breakages concern, and those the not-applicable rules need. */
const CHECK_NAMES = ["cdmTable", "cdmField", "measureValueCompleteness", "isRequired", "isPrimaryKey", "isForeignKey", "fkDomain", "plausibleAfterBirth", "plausibleTemporalAfter", "withinVisitDates", "plausibleValueLow"];
/** The tables the issue's breakages touch. */
const TABLES = new Set(["PERSON", "CONDITION_OCCURRENCE", "MEASUREMENT"]);
/** The issue's six breakages (the oracle's other two concern concept-level checks, left to DuckDB and PostgreSQL). */
const ISSUE_BREAKAGES = BREAKAGES.filter((b) => !["an implausible unit", "a condition of the implausible gender"].includes(b.name));

const d = (iso: string): string => `DATE '${iso}'`;

/** The six breakages in one fixture: the clean rows of PERSON, CONDITION_OCCURRENCE and MEASUREMENT, changed. */
function allBroken(): Record<string, string[]> {
  const rows = cleanRows();
  // A negative value below plausibleValueLow: person 2's month of birth.
  rows.person![1] = rows.person![1]!.replace("(2, 8532, 1980, 1, 1,", "(2, 8532, 1980, -1, 1,");
  rows.condition_occurrence = [
    // A date before birth (person 1 was born in 1970), so also out of its visit's dates.
    `(1, 1, 201826, ${d("1965-01-01")}, ${d("2020-03-10")}, 32817, 1, 'E11', 45576876)`,
    // An empty required field, and an orphan foreign key (there is no visit 99).
    `(2, 2, NULL, ${d("2020-06-02")}, ${d("2020-06-20")}, 32817, 99, 'E11', 45576876)`,
    // A duplicate primary key.
    `(1, 1, 201826, ${d("2020-03-03")}, ${d("2020-03-10")}, 32817, 1, 'E11', 45576876)`,
  ];
  // A concept of the wrong domain: a condition as a measurement.
  rows.measurement![1] = rows.measurement![1]!.replace("(2, 2, 3004410,", "(2, 2, 201826,");
  return { person: rows.person!, condition_occurrence: rows.condition_occurrence, measurement: rows.measurement! };
}

const spec = await new SpecificationManager({ dir: specDir, offline: true }).load("5.4");
/**
 * The fields the breakages touch: the checks that join other tables (each a costly query on Spark) are kept for
 * these only; the plain filters of a table cost one scan of it whatever their number, so they are all kept.
 */
const TOUCHED = new Set(["PERSON_ID", "MONTH_OF_BIRTH", "YEAR_OF_BIRTH", "CONDITION_OCCURRENCE_ID", "CONDITION_CONCEPT_ID", "CONDITION_START_DATE", "VISIT_OCCURRENCE_ID", "MEASUREMENT_CONCEPT_ID", "MEASUREMENT_DATE"]);
/** Both counts plain filters of the checked table: no join, no duplicates restriction, counting rows. */
const plainFilters = (m: CheckMeasure): boolean =>
  m.kind === "ratio" && [m.numerator, m.denominator].every((r) => r.joins.length === 0 && r.duplicatesOf === undefined && r.count.kind === "rows");
const checks: CompiledCheck[] = compileChecks(selectDqdChecks(loadDqdDefinitions(dqdDir, "5.4"), { checkNames: CHECK_NAMES }), spec).filter(
  (c) => TABLES.has(c.cdmTableName) && (plainFilters(c.measure) || c.measure.kind !== "ratio" || TOUCHED.has(c.cdmFieldName ?? "")),
);

/** One engine holding the fixture: its tables made once, their rows replaced for each breakage. */
class FixtureDb {
  readonly ctx: RenderContext;
  constructor(
    readonly provider: Provider,
    readonly conn: Connection,
    tag: string,
  ) {
    this.ctx = { tables: [], schemas: { cdm: `t_${tag}_cdm`, vocab: `t_${tag}_vocab` }, idMap: { schema: "staging", name: "omopetl_id_map" } };
  }

  private table(name: string): string {
    return (this.provider.generator as unknown as CheckSqlGenerator).table({ schema: name === "concept" ? "vocab" : "cdm", name }, this.ctx);
  }

  async create(): Promise<void> {
    // Tables as another tool may have made them: no NOT NULL, no keys (DQD checks exactly what those would stop).
    const defs = cdmTableDefs(spec, [...FIXTURE_TABLES, "concept"]).map((t) => ({ ...t, columns: t.columns.map((c) => ({ ...c, required: false })) }));
    for (const sql of this.provider.generator.renderDdl(defs, "tables", this.ctx)) if (!sql.trimStart().startsWith("--")) await this.conn.execute(sql);
  }

  /** The given tables' rows replaced by the fixture's, then the checks measured and evaluated. */
  async run(rows: Record<string, string[]>): Promise<Map<string, CheckResult>> {
    for (const [table, values] of Object.entries(rows)) {
      await this.conn.execute(`DELETE FROM ${this.table(table)}`);
      if (values.length > 0) await this.conn.execute(`INSERT INTO ${this.table(table)} (${COLUMNS[table]}) VALUES ${values.join(", ")}`);
    }
    const hooks = checkHooksOf(this.provider.generator)!;
    const measured = await measureChecks(checks, hooks.generator, this.conn, this.ctx, hooks.options);
    return new Map(evaluateChecks(checks, measured).map((r) => [r.checkId, r]));
  }

  async drop(): Promise<void> {
    for (const s of Object.values(this.ctx.schemas)) await this.conn.execute(`DROP SCHEMA IF EXISTS ${(this.provider.generator as unknown as CheckSqlGenerator).ident(s)} CASCADE`).catch(() => undefined);
  }
}

const summary = (m: Map<string, CheckResult>) => [...m.values()].map((r) => `${r.checkId} ${r.numViolatedRows}/${r.numDenominatorRows} ${r.status} ${r.notApplicableReason ?? ""}`);

const title = sparkRunsHere
  ? "DQD checks on a hand-made CDM (Spark)"
  : `DQD checks on a hand-made CDM (Spark; skipped: no Spark Thrift server answers at ${SPARK_HOST}:${SPARK_PORT}; scripts/services.sh up spark starts one)`;

describe.skipIf(!sparkRunsHere)(title, () => {
  const tag = `dqd_${uniqueTag()}`;
  let spark: FixtureDb;
  let duck: FixtureDb;
  let clean: Map<string, CheckResult>;
  let duckClean: Map<string, CheckResult>;
  let broken: Map<string, CheckResult>;
  let duckBroken: Map<string, CheckResult>;
  beforeAll(async () => {
    spark = new FixtureDb(sparkProvider, await sparkProvider.connect!({ provider: "spark", host: SPARK_HOST, port: SPARK_PORT, retries: 0 }), tag);
    duck = new FixtureDb(duckdbProvider, await duckdbProvider.connect!({ provider: "duckdb", path: ":memory:" }), tag);
    await spark.create();
    await duck.create();
    clean = await spark.run(cleanRows());
    duckClean = await duck.run(cleanRows());
    broken = await spark.run(allBroken());
    duckBroken = await duck.run(allBroken());
  }, 900_000);
  afterAll(async () => {
    await spark?.drop();
    await spark?.conn.close();
    await duck?.conn.close();
  });

  it("counts every check of the subset on the clean fixture as DuckDB does, with the hand-computed values", () => {
    expect(checks.length).toBeGreaterThan(100);
    expect(summary(clean)).toEqual(summary(duckClean));
    const pick = (id: string) => {
      const r = clean.get(id)!;
      return [r.numViolatedRows, r.numDenominatorRows, r.status];
    };
    expect(pick("field_isprimarykey_person_person_id")).toEqual([0, 2, "passed"]);
    expect(pick("field_isforeignkey_condition_occurrence_visit_occurrence_id")).toEqual([0, 2, "passed"]);
    expect(pick("field_plausiblevaluelow_person_year_of_birth")).toEqual([0, 2, "passed"]);
    expect(pick("field_plausibleafterbirth_measurement_measurement_date")).toEqual([0, 2, "passed"]);
    expect(pick("field_withinvisitdates_measurement_measurement_date")).toEqual([0, 2, "passed"]);
    expect(pick("table_cdmtable_person")).toEqual([0, 1, "passed"]);
  });

  it("the six breakages together are flagged by exactly the checks that flag each, counted as DuckDB counts them", () => {
    const changed = [...broken.values()].filter((r) => r.status !== clean.get(r.checkId)?.status).map((r) => `${r.checkId}: ${clean.get(r.checkId)?.status} -> ${r.status}`);
    expect(changed.sort()).toEqual([...new Set(ISSUE_BREAKAGES.flatMap((b) => b.flagged))].map((id) => `${id}: passed -> failed`).sort());
    expect(summary(broken)).toEqual(summary(duckBroken));
    // The duplicated key counts both rows that share it.
    expect([broken.get("field_isprimarykey_condition_occurrence_condition_occurrence_id")!.numViolatedRows, broken.get("field_isprimarykey_condition_occurrence_condition_occurrence_id")!.numDenominatorRows]).toEqual([2, 3]);
  });
});
