/**
 * A step whose selects assign ids of one domain gives them in one pass: the keys of every select are recorded in one
 * insert and the new ones get ids in one insert (each assignment reads the whole id map, so one per select cost
 * Synthea's cost step 28 of its 58 s at x1000). The ids of new keys follow UTF-8 byte order over all the selects,
 * identically on DuckDB and PostgreSQL, and a re-run after new keys arrived keeps every old id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RenderContext } from "../../src/providers/provider-api.js";
import type { BaseSqlGenerator } from "../../src/providers/base/base-generator.js";
import * as b from "./helpers/plan-builders.js";
import type { Engine } from "./helpers/engines.js";
import { openEngine, runStep } from "./helpers/engines.js";

const { col } = b;

describe("id assignment, one pass per domain", () => {
  const engines: Engine[] = [];
  beforeAll(async () => {
    engines.push(await openEngine("duckdb", "iddom"), await openEngine("postgres", "iddom"));
  });
  afterAll(async () => {
    for (const e of engines) await e.dispose();
  });

  const srcA = b.tableDef("source", "a", [b.column("k", b.varchar())]);
  const srcB = b.tableDef("source", "b", [b.column("k", b.varchar())]);
  const target = b.tableDef("staging", "events", [b.column("id", b.INT, true), b.column("k", b.varchar()), b.column("src", b.varchar())]);

  /** Two selects (from a and from b) assigning the domain "events"; b's keys overlap a's. */
  function transform(): ReturnType<typeof b.transformStep> {
    const sel = (table: "a" | "b") => {
      const id = b.idFor("id", "events", col(table, "k"));
      return b.select({ table: b.ref("source", table), alias: table }, { id: id.value, k: col(table, "k"), src: b.lit(table) }, { joins: [id.join], ids: [id.id] });
    };
    return b.transformStep("events", b.ref("staging", "events"), "replace", target.columns, [sel("a"), sel("b")]);
  }

  async function fill(engine: Engine, ctx: RenderContext, rows: Record<"a" | "b", string[]>, create: boolean): Promise<void> {
    const gen = engine.provider.generator as BaseSqlGenerator;
    const statements = create ? ["CREATE SCHEMA IF NOT EXISTS ${schemas.source}", "CREATE TABLE ${schemas.source}.a (k VARCHAR)", "CREATE TABLE ${schemas.source}.b (k VARCHAR)"] : [];
    for (const t of ["a", "b"] as const) {
      statements.push(`DELETE FROM \${schemas.source}.${t}`);
      statements.push(`INSERT INTO \${schemas.source}.${t} VALUES ${rows[t].map((k) => `(${gen.stringLiteral(k)})`).join(", ")}`);
    }
    await runStep(engine, b.step(`fill_${create ? 1 : 2}`, { kind: "sql", statements: { default: statements }, transactional: true }), ctx);
  }

  it("renders one key insert and one id-map insert for the domain", () => {
    const engine = engines[0]!;
    const ctx = b.context([srcA, srcB, target], engine.schemas);
    const sql = engine.provider.generator.renderStep(transform(), ctx).statements;
    const idMapInserts = sql.filter((s) => /^INSERT INTO \S+\.omopetl_id_map \(/.test(s));
    const keyInserts = sql.filter((s) => /^INSERT INTO \S+\.omopetl_id_map_keys \(/.test(s));
    expect(idMapInserts).toHaveLength(1);
    expect(keyInserts).toHaveLength(1);
    expect(keyInserts[0]).toContain("UNION");
  });

  it("gives ids in byte order over all selects, the same on every engine, and keeps them when new keys arrive", async () => {
    const first = { a: ["m", "b", "Z", "é"], b: ["b", "a", "zz", "e"] };
    const second = { a: ["m", "b", "Z", "é", "c"], b: ["b", "a", "zz", "e", "A", "éa"] };
    const byteOrder = (keys: string[]): string[] => [...new Set(keys)].sort((p, q) => Buffer.compare(Buffer.from(p), Buffer.from(q)));
    const results: unknown[][] = [];
    for (const engine of engines) {
      const ctx = b.context([srcA, srcB, target], engine.schemas);
      await fill(engine, ctx, first, true);
      await runStep(engine, transform(), ctx);
      const fresh = await engine.conn.query(`SELECT id, k, src FROM "${engine.schemas["staging"]}".events ORDER BY src, k`);
      await fill(engine, ctx, second, false);
      await runStep(engine, transform(), ctx);
      const rerun = await engine.conn.query(`SELECT id, k, src FROM "${engine.schemas["staging"]}".events ORDER BY src, k`);
      results.push([fresh, rerun]);
    }
    const idsFirst = new Map(byteOrder([...first.a, ...first.b]).map((k, i) => [k, i + 1]));
    const newKeys = byteOrder([...second.a, ...second.b].filter((k) => !idsFirst.has(k)));
    const idsSecond = new Map([...idsFirst, ...newKeys.map((k, i) => [k, idsFirst.size + i + 1] as const)]);
    const expected = (rows: Record<"a" | "b", string[]>, ids: Map<string, number>) =>
      (["a", "b"] as const).flatMap((src) => [...rows[src]].sort().map((k) => ({ id: ids.get(k), k, src })));
    const sortRows = (rows: unknown) => [...(rows as { id: number; k: string; src: string }[])].sort((p, q) => (p.src === q.src ? Buffer.compare(Buffer.from(p.k), Buffer.from(q.k)) : p.src < q.src ? -1 : 1));
    const sortExpected = (rows: { id: number | undefined; k: string; src: string }[]) => sortRows(rows);
    for (const [fresh, rerun] of results) {
      expect(sortRows(fresh)).toEqual(sortExpected(expected(first, idsFirst)));
      expect(sortRows(rerun)).toEqual(sortExpected(expected(second, idsSecond)));
    }
    expect(results[1]).toEqual(results[0]);
  });

  it("leaves fresh statistics on PostgreSQL's id map and key table, so the settle and the select are not planned blind", async () => {
    // Statistics autovacuum took while a domain had few keys made the liveness settle a nested loop over every key of
    // the domain (the Synthea x100 run: 28 s, over 400 s with autovacuum analysing mid-run). The step analyses both
    // tables itself: their planner row estimates equal their row counts when it ends.
    const engine = engines[1]!;
    const ctx = b.context([srcA, srcB, target], engine.schemas);
    await fill(engine, ctx, { a: ["k1", "k2", "k3"], b: ["k3", "k4"] }, false);
    await runStep(engine, transform(), ctx);
    const schema = engine.schemas[ctx.idMap.schema]!;
    for (const table of [ctx.idMap.name, `${ctx.idMap.name}_keys`]) {
      const [stats] = (await engine.conn.query(
        `SELECT c.reltuples::int AS estimated, s.last_analyze IS NOT NULL AS analysed FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE n.nspname = '${schema}' AND c.relname = '${table}'`,
      )) as { estimated: number; analysed: boolean }[];
      const [count] = (await engine.conn.query(`SELECT count(*)::int AS n FROM "${schema}"."${table}"`)) as { n: number }[];
      expect({ table, ...stats }).toEqual({ table, estimated: count!.n, analysed: true });
    }
  });

  /**
   * One select assigning several domains (Synthea's visits: visit_occurrence and visit_detail) enumerates its keys in
   * one evaluation of its FROM and joins, one insert for every domain, instead of one per domain: the same keys
   * recorded (NULL keys left out), the same ids in byte order per domain, on DuckDB and PostgreSQL, kept on a re-run.
   */
  describe("several domains of one select", () => {
    const src = b.tableDef("source", "c", [b.column("k", b.varchar()), b.column("j", b.varchar())]);
    const target = b.tableDef("staging", "pairs", [b.column("id_k", b.INT, true), b.column("id_j", b.INT), b.column("k", b.varchar()), b.column("j", b.varchar())]);

    function transform(): ReturnType<typeof b.transformStep> {
      const idK = b.idFor("id_k", "pairs_k", col("c", "k"));
      const idJ = b.idFor("id_j", "pairs_j", col("c", "j"));
      const sel = b.select({ table: b.ref("source", "c"), alias: "c" }, { id_k: idK.value, id_j: idJ.value, k: col("c", "k"), j: col("c", "j") }, { joins: [idK.join, idJ.join], ids: [idK.id, idJ.id] });
      return b.transformStep("pairs", b.ref("staging", "pairs"), "replace", target.columns, [sel]);
    }

    async function fill(engine: Engine, ctx: RenderContext, rows: [string, string | null][], create: boolean): Promise<void> {
      const gen = engine.provider.generator as BaseSqlGenerator;
      const statements = create ? ["CREATE SCHEMA IF NOT EXISTS ${schemas.source}", "CREATE TABLE ${schemas.source}.c (k VARCHAR, j VARCHAR)"] : [];
      statements.push("DELETE FROM ${schemas.source}.c");
      statements.push(`INSERT INTO \${schemas.source}.c VALUES ${rows.map(([k, j]) => `(${gen.stringLiteral(k)}, ${j === null ? "NULL" : gen.stringLiteral(j)})`).join(", ")}`);
      await runStep(engine, b.step(`fill_${create ? 1 : 2}`, { kind: "sql", statements: { default: statements }, transactional: true }), ctx);
    }

    it("records the keys of both domains in one insert", () => {
      const engine = engines[0]!;
      const ctx = b.context([src, target], engine.schemas);
      const sql = engine.provider.generator.renderStep(transform(), ctx).statements;
      expect(sql.filter((s) => /^INSERT INTO \S+\.omopetl_id_map_keys \(/.test(s))).toHaveLength(1);
      expect(sql.filter((s) => /^INSERT INTO \S+\.omopetl_id_map \(/.test(s))).toHaveLength(2);
    });

    it("gives each domain's ids in byte order of its keys, the same on every engine, and keeps them on a re-run", async () => {
      const first: [string, string | null][] = [["m", "x"], ["b", "x"], ["Z", null], ["é", "a"], ["b", "y"]];
      const second: [string, string | null][] = [...first, ["c", "é"], ["A", "b"]];
      const results: unknown[][] = [];
      for (const engine of engines) {
        const ctx = b.context([src, target], engine.schemas);
        const staging = engine.schemas["staging"];
        const read = async () => [
          await engine.conn.query(`SELECT id_k, id_j, k, j FROM "${staging}".pairs ORDER BY id_k, id_j`),
          await engine.conn.query(`SELECT domain, source_key, step FROM "${engine.schemas[ctx.idMap.schema]}"."${ctx.idMap.name}_keys" WHERE domain IN ('pairs_k', 'pairs_j') ORDER BY domain, source_key`),
        ];
        await fill(engine, ctx, first, true);
        await runStep(engine, transform(), ctx);
        const fresh = await read();
        await fill(engine, ctx, second, false);
        await runStep(engine, transform(), ctx);
        results.push([fresh, await read()]);
      }
      // k: A < Z < b < c < m < é (bytes); j: a < b < x < y < é. First run: Z 1, b 2, m 3, é 4 / a 1, x 2, y 3.
      const [fresh, rerun] = results[0] as [unknown[][], unknown[][]];
      const num = (rows: unknown[]) => (rows as Record<string, unknown>[]).map((r) => ({ ...r, id_k: Number(r["id_k"]), id_j: r["id_j"] === null ? null : Number(r["id_j"]) }));
      const firstRows = [
        { id_k: 1, id_j: null, k: "Z", j: null },
        { id_k: 2, id_j: 2, k: "b", j: "x" },
        { id_k: 2, id_j: 3, k: "b", j: "y" },
        { id_k: 3, id_j: 2, k: "m", j: "x" },
        { id_k: 4, id_j: 1, k: "é", j: "a" },
      ];
      expect(num(fresh[0]!)).toEqual(firstRows);
      // The re-run's new keys follow: A 5, c 6 / b 4, é 5.
      expect(num(rerun[0]!)).toEqual([...firstRows, { id_k: 5, id_j: 4, k: "A", j: "b" }, { id_k: 6, id_j: 5, k: "c", j: "é" }]);
      // Recorded: each domain's distinct keys, no NULL.
      expect((rerun[1] as { domain: string }[]).filter((r) => r.domain === "pairs_j")).toHaveLength(5);
      expect((rerun[1] as { domain: string }[]).filter((r) => r.domain === "pairs_k")).toHaveLength(6);
      expect(results[1]).toEqual(results[0]);
    });
  });
});
