/**
 * Loads of cloud URIs on Spark (issue 17): rendered as COPY INTO for Databricks, which no engine here runs. What is
 * executed on the real Spark server: everything after the COPY INTO, over a copy table shaped as COPY INTO leaves it
 * (header: columns named after the file's header, every value text; no header: _c0, _c1, ...), must load the same
 * rows as the same file read from a local path, and fail a bad value with the same located error naming the URI;
 * and the COPY INTO itself is UNSUPPORTED_FEATURE on a Spark Thrift server, saying why.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connection } from "../../src/providers/provider-api.js";
import { sparkProvider } from "../../src/providers/spark/index.js";
import * as b from "./helpers/plan-builders.js";
import { readableTempDir, removeDir } from "./helpers/engines.js";
import { SPARK_HOST, SPARK_PORT, sparkRunsHere } from "./helpers/spark-server.js";

const URI = "s3://omop-bucket/extract/events.csv";
const events = b.tableDef("source", "events", [b.column("event_id", b.BIGINT, true), b.column("code", b.varchar(20)), b.column("day", b.DATE)]);
/** The file: its header in another case than the load's columns, and a column the load does not read. */
const HEADER = ["EVENT_ID", "Code", "ignored", "Day"];
const ROWS = [
  ["1", "A, quoted", "x", "2020-01-01"],
  ["2", "", "y", "2020-02-29"],
  ["3", null, "z", null],
];

const title = sparkRunsHere
  ? "Spark loads of cloud URIs (COPY INTO)"
  : `Spark loads of cloud URIs (skipped: no Spark Thrift server answers at ${SPARK_HOST}:${SPARK_PORT}; scripts/services.sh up spark starts one)`;

describe.skipIf(!sparkRunsHere)(title, () => {
  const schema = `omopetl_cloud_${randomBytes(4).toString("hex")}`;
  const ctx = b.context([events], { source: schema });
  let conn: Connection;
  let dir: string;

  beforeAll(async () => {
    conn = await sparkProvider.connect!({ provider: "spark", host: SPARK_HOST, port: SPARK_PORT, retries: 0, poolSize: 1 });
    dir = await readableTempDir();
  }, 120_000);
  afterAll(async () => {
    await conn?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await conn?.close();
    if (dir) await removeDir(dir);
  }, 120_000);

  const q = (v: string | null): string => (v === null ? "NULL" : `'${v.replace(/'/g, "\\'")}'`);
  /**
   * Runs the load's statements in one session with the COPY INTO replaced by what it leaves: the copy table with
   * `columns` filled with `rows` (and the probe of the cloud file for emptiness, which reads the store, left out).
   */
  async function runCopied(step: ReturnType<typeof b.loadStep>, columns: string[], rows: (string | null)[][]): Promise<void> {
    const statements = sparkProvider.generator.renderStep(step, ctx).statements;
    expect(statements.filter((s) => s.startsWith("COPY INTO "))).toHaveLength(1);
    await conn.session(async (s) => {
      for (const sql of statements) {
        if (sql.includes("FROM text.`s3://")) continue;
        const copy = /^COPY INTO (\S+)/.exec(sql);
        if (copy) {
          await s.execute(`CREATE OR REPLACE TABLE ${copy[1]} (${columns.map((c) => `\`${c}\` STRING`).join(", ")}) USING DELTA`);
          await s.execute(`INSERT INTO ${copy[1]} VALUES ${rows.map((r) => `(${r.map(q).join(", ")})`).join(", ")}`);
          continue;
        }
        await s.execute(sql);
      }
    });
  }

  async function localLoad(csv: string, format = b.CSV): Promise<Record<string, unknown>[]> {
    const file = join(dir, `events-${randomBytes(3).toString("hex")}.csv`);
    writeFileSync(file, csv);
    await conn.session(async (s) => {
      for (const sql of sparkProvider.generator.renderStep(b.loadStep("load_local", b.ref("source", "events"), [file], events.columns, format), ctx).statements) await s.execute(sql);
    });
    return conn.query(`SELECT * FROM ${schema}.events ORDER BY event_id`);
  }

  const csvLine = (r: (string | null)[]): string => r.map((v) => (v === null ? "" : v.includes(",") ? `"${v}"` : v === "" ? '""' : v)).join(",");

  it("with a header: the copy table's columns matched by name, ignoring case, give the rows a local load gives", async () => {
    await runCopied(b.loadStep("load_s3", b.ref("source", "events"), [URI], events.columns, b.CSV), HEADER, ROWS);
    const fromCloud = await conn.query(`SELECT * FROM ${schema}.events ORDER BY event_id`);
    expect(fromCloud).toEqual([
      { event_id: "1", code: "A, quoted", day: "2020-01-01" },
      { event_id: "2", code: "", day: "2020-02-29" },
      { event_id: "3", code: null, day: null },
    ]);
    expect(await localLoad([HEADER.join(","), ...ROWS.map(csvLine)].join("\n") + "\n")).toEqual(fromCloud);
  }, 600_000);

  it("without a header: the copy table's columns _c0, _c1, ... in order", async () => {
    const rows = ROWS.map((r) => [r[0]!, r[1]!, r[3]!]);
    await runCopied(b.loadStep("load_s3", b.ref("source", "events"), [URI], events.columns, { ...b.CSV, header: false }), ["_c0", "_c1", "_c2"], rows);
    expect(await conn.query(`SELECT * FROM ${schema}.events ORDER BY event_id`)).toEqual([
      { event_id: "1", code: "A, quoted", day: "2020-01-01" },
      { event_id: "2", code: "", day: "2020-02-29" },
      { event_id: "3", code: null, day: null },
    ]);
  }, 600_000);

  it("a bad value fails the load with its code naming the URI and the column (no row number: COPY INTO keeps no line order); a declared column no header has, LOAD_HEADER_MISMATCH", async () => {
    const bad = [["1", "ok", "x", "2020-01-01"], ["2", "ok", "y", "2020-02-30"]];
    await expect(runCopied(b.loadStep("load_s3", b.ref("source", "events"), [URI], events.columns, b.CSV), HEADER, bad)).rejects.toThrow(
      `LOAD_BAD_DATE: ${URI} (a row of the file: the load copies it with COPY INTO, which keeps no line order), column day: "2020-02-30" is not an ISO date`,
    );
    // strict: a declared column in no header fails the load (the compiler's default for declared columns)
    await expect(runCopied(b.loadStep("load_s3", b.ref("source", "events"), [URI], events.columns, b.CSV, true), ["EVENT_ID", "Code", "Dayz"], [["1", "a", "2020-01-01"]])).rejects.toThrow(
      /LOAD_HEADER_MISMATCH: the declared column "day" is in no header of s3:\/\/omop-bucket\/extract\/events\.csv/,
    );
  }, 600_000);

  it("the COPY INTO itself is UNSUPPORTED_FEATURE on a Spark Thrift server, naming Databricks", async () => {
    const statements = sparkProvider.generator.renderStep(b.loadStep("load_s3", b.ref("source", "events"), [URI], events.columns, b.CSV), ctx).statements;
    await expect(
      conn.session(async (s) => {
        for (const sql of statements) await s.execute(sql);
      }),
    ).rejects.toMatchObject({ diagnostic: { code: "UNSUPPORTED_FEATURE", message: expect.stringContaining("COPY INTO, which Databricks runs and open-source Spark does not") } });
  }, 600_000);
});
