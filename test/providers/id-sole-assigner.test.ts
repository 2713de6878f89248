/**
 * A step that is the only assigner of its id domain (every domain of Synthea's workflow) writes no row into the id
 * map's key table: it enumerates its keys once into a temporary table, gives the new ones ids from it and settles the
 * map's `live` flags against it (the domain's live keys are its record). The ids, live flags and rows are those of the
 * recorded path, on DuckDB and PostgreSQL alike, on a fresh run and on re-runs after keys left and came back; and when
 * a second assigner joins the domain later, the first one's keys stay live until it runs again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RenderContext } from "../../src/providers/provider-api.js";
import type { BaseSqlGenerator } from "../../src/providers/base/base-generator.js";
import * as b from "./helpers/plan-builders.js";
import type { Engine } from "./helpers/engines.js";
import { openEngine, runStep } from "./helpers/engines.js";

const { col } = b;

describe("id assignment by a domain's only assigner", () => {
  const engines: Engine[] = [];
  beforeAll(async () => {
    engines.push(await openEngine("duckdb", "idsole"), await openEngine("postgres", "idsole"));
  });
  afterAll(async () => {
    for (const e of engines) await e.dispose();
  });

  const src = b.tableDef("source", "a", [b.column("k", b.varchar()), b.column("j", b.varchar())]);
  const target = (name: string) => b.tableDef("staging", name, [b.column("id", b.INT, true), b.column("id_j", b.INT), b.column("k", b.varchar())]);
  const targets = ["ev_sole", "ev_recorded", "ev_sole1", "ev_recorded1", "ev_one", "ev_two"].map(target);
  const tables = [src, ...targets];

  /** Step `name` writing staging.<name>, assigning `domain` over a.k and, given `jDomain`, that domain over a.j. */
  function transform(name: string, domain: string, jDomain?: string): ReturnType<typeof b.transformStep> {
    const id = b.idFor("id", domain, col("a", "k"));
    const idJ = jDomain === undefined ? undefined : b.idFor("id_j", jDomain, col("a", "j"));
    const sel = b.select(
      { table: b.ref("source", "a"), alias: "a" },
      { id: id.value, id_j: idJ?.value ?? b.cast(b.lit(null), b.INT), k: col("a", "k") },
      { joins: [id.join, ...(idJ ? [idJ.join] : [])], ids: [id.id, ...(idJ ? [idJ.id] : [])] },
    );
    return b.transformStep(name, b.ref("staging", name), "replace", target(name).columns, [sel]);
  }

  async function fill(engine: Engine, ctx: RenderContext, rows: [string, string | null][]): Promise<void> {
    const gen = engine.provider.generator as BaseSqlGenerator;
    const statements = ["CREATE SCHEMA IF NOT EXISTS ${schemas.source}", "CREATE TABLE IF NOT EXISTS ${schemas.source}.a (k VARCHAR, j VARCHAR)"];
    statements.push("DELETE FROM ${schemas.source}.a");
    statements.push(`INSERT INTO \${schemas.source}.a VALUES ${rows.map(([k, j]) => `(${gen.stringLiteral(k)}, ${j === null ? "NULL" : gen.stringLiteral(j)})`).join(", ")}`);
    await runStep(engine, b.step("fill", { kind: "sql", statements: { default: statements }, transactional: true }), ctx);
  }

  const sole = (ctx: RenderContext, assigners: Record<string, string[]>): RenderContext => ({ ...ctx, idAssigners: assigners });

  it("renders no insert into the key table, and assigns from a temporary table of the step's keys", () => {
    for (const engine of engines) {
      const ctx = sole(b.context(tables, engine.schemas), { s_k: ["ev_sole"], s_j: ["ev_sole"] });
      const sql = engine.provider.generator.renderStep(transform("ev_sole", "s_k", "s_j"), ctx).statements;
      expect(sql.filter((s) => /^INSERT INTO \S+\.omopetl_id_map_keys/.test(s))).toEqual([]);
      expect(sql.filter((s) => /CREATE (OR REPLACE )?TEMPORARY TABLE "?omopetl_step_keys"?/.test(s))).toHaveLength(1);
      expect(sql.filter((s) => /^INSERT INTO \S+\.omopetl_id_map \(/.test(s))).toHaveLength(2);
      // A run that found the map empty reads the keys straight from the enumeration, in as many statements.
      const fresh = engine.provider.generator.renderStep(transform("ev_sole", "s_k", "s_j"), { ...ctx, idMapEmptyAtStart: true }).statements;
      expect(fresh).toHaveLength(sql.length);
      // Without the plan's assigners (or with a second assigner) the keys are recorded as before.
      const recorded = engine.provider.generator.renderStep(transform("ev_sole", "s_k", "s_j"), b.context(tables, engine.schemas)).statements;
      expect(recorded.filter((s) => /^INSERT INTO \S+\.omopetl_id_map_keys/.test(s))).toHaveLength(1);
    }
  });

  it.each([
    ["one domain", "1"],
    ["two domains of one select", ""],
  ])("gives the ids and live flags of the recorded path (%s), on every engine, across re-runs where keys leave and come back", async (_shape, n) => {
    const two = n === "";
    const runs: [string, string | null][][] = [
      [["m", "x"], ["b", "x"], ["Z", null], ["é", "y"]],
      [["m", "x"], ["Z", "é"], ["c", null]], // b and é leave, c arrives; y leaves, é arrives
      [["b", "y"], ["c", "x"]], // b and y come back with their old ids; m and Z leave
    ];
    const results: unknown[] = [];
    for (const engine of engines) {
      const base = b.context(tables, engine.schemas);
      const [soleStep, recordedStep] = [`ev_sole${n}`, `ev_recorded${n}`];
      const [sk, sj, rk, rj] = [`s${n}_k`, `s${n}_j`, `r${n}_k`, `r${n}_j`];
      const ctx = sole(base, { [sk]: [soleStep], [sj]: [soleStep], [rk]: [recordedStep], [rj]: [recordedStep] });
      const staging = `"${engine.schemas["staging"]}"`;
      const map = `"${engine.schemas[ctx.idMap.schema]}"."${ctx.idMap.name}"`;
      const perRun: unknown[] = [];
      for (const [i, rows] of runs.entries()) {
        await fill(engine, ctx, rows);
        // The first run finds the map empty (as the local orchestrator tells it): the assignment enumerates the keys itself.
        await runStep(engine, transform(soleStep, sk, two ? sj : undefined), i === 0 ? { ...ctx, idMapEmptyAtStart: true } : ctx);
        // The recorded path: the same step shape without the plan's assigners.
        await runStep(engine, transform(recordedStep, rk, two ? rj : undefined), base);
        const read = async (t: string, d: string) => ({
          rows: (await engine.conn.query(`SELECT id, id_j, k FROM ${staging}.${t} ORDER BY id`)).map((r) => ({ ...r, id: Number(r["id"]), id_j: r["id_j"] === null ? null : Number(r["id_j"]) })),
          map: (await engine.conn.query(`SELECT replace(domain, '${d}_', '') AS d, source_key, id, live FROM ${map} WHERE domain IN ('${d}_k', '${d}_j') ORDER BY domain, id`)).map((r) => ({ ...r, id: Number(r["id"]) })),
        });
        const soleSide = await read(soleStep, `s${n}`);
        expect(soleSide).toEqual(await read(recordedStep, `r${n}`));
        const [keyRows] = (await engine.conn.query(`SELECT count(*) AS n FROM ${map.slice(0, -1)}_keys" WHERE domain IN ('${sk}', '${sj}')`)) as { n: unknown }[];
        expect(Number(keyRows!.n)).toBe(0);
        perRun.push(soleSide);
      }
      results.push(perRun);
    }
    expect(results[1]).toEqual(results[0]);
    // k: byte order Z < b < m < é: 1..4; then c = 5. Third run: b back (2, live), m, Z, é retired, c live.
    const third = (results[0] as { map: { d: string; source_key: string; id: number; live: boolean }[] }[])[2]!.map.filter((r) => r.d === "k");
    if (two) expect(third.length).toBeGreaterThan(0);
    expect(third.map((r) => [r.source_key, r.id, r.live])).toEqual([
      ["Z", 1, false],
      ["b", 2, true],
      ["m", 3, false],
      ["é", 4, false],
      ["c", 5, true],
    ]);
  });

  it("keeps the keys of a domain's only assigner live when a second assigner joins the domain and runs first", async () => {
    for (const engine of engines) {
      const ctx = b.context(tables, engine.schemas);
      const map = `"${engine.schemas[ctx.idMap.schema]}"."${ctx.idMap.name}"`;
      const live = async () => (await engine.conn.query(`SELECT source_key, id, live FROM ${map} WHERE domain = 'shared' ORDER BY id`)).map((r) => [r["source_key"], Number(r["id"]), r["live"]]);
      await fill(engine, ctx, [["x", null], ["y", null]]);
      // Run 1: ev_one is the domain's only assigner (no key rows).
      await runStep(engine, transform("ev_one", "shared", "one_j"), sole(ctx, { shared: ["ev_one"], one_j: ["ev_one"] }));
      expect(await live()).toEqual([["x", 1, true], ["y", 2, true]]);
      // Run 2: the plan gains ev_two in the domain; ev_two runs first and produces z only.
      const both = sole(ctx, { shared: ["ev_one", "ev_two"], one_j: ["ev_one"], two_j: ["ev_two"] });
      await fill(engine, ctx, [["z", null]]);
      await runStep(engine, transform("ev_two", "shared", "two_j"), both);
      expect(await live()).toEqual([["x", 1, true], ["y", 2, true], ["z", 3, true]]);
      // ev_one then runs on x alone: y retires, z (ev_two's) stays live.
      await fill(engine, ctx, [["x", null]]);
      await runStep(engine, transform("ev_one", "shared", "one_j"), both);
      expect(await live()).toEqual([["x", 1, true], ["y", 2, false], ["z", 3, true]]);
    }
  });
});
