import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { localOrchestrator } from "../../src/orchestrators/local/local-orchestrator.js";
import { compilePlan, connect, dropPgSchemas, pgTarget, tempDir, writeSyntheticSource } from "./helpers/harness.js";

/**
 * Issue 14 asks for the id map's uniqueness to be a constraint, not only a property of the generated SQL: on
 * PostgreSQL a second id for a (domain, source_key), or one id for two keys of a domain, is refused by the engine
 * itself, so that a writer outside the run lock (a hand-run script, an old binary) cannot corrupt the map silently.
 * (DuckDB keeps the map without indexes, see DuckDbGenerator.createIdMapTable for the measured reason.)
 */
const p = `idmapc_${randomBytes(3).toString("hex")}`;
afterAll(async () => {
  await dropPgSchemas(p);
});

describe("id map constraints on PostgreSQL", () => {
  it("refuses a second id for a (domain, source_key) and a reused id within a domain", async () => {
    const plan = await compilePlan("etl", { source_dir: writeSyntheticSource(tempDir(), 10) });
    const r = await localOrchestrator.execute(plan, pgTarget(p), { concurrency: 1 });
    expect(r.status).toBe("succeeded");
    const conn = await connect(pgTarget(p));
    try {
      const map = `"${p}_staging".omopetl_id_map`;
      const [row] = await conn.query(`SELECT domain, source_key, id FROM ${map} ORDER BY domain, id LIMIT 1`);
      expect(row).toBeDefined();
      const { domain, source_key: key, id } = row as { domain: string; source_key: string; id: number | string };
      const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
      const [{ n: before }] = (await conn.query(`SELECT count(*)::text AS n FROM ${map}`)) as [{ n: string }];
      // Same key, new id.
      await expect(conn.query(`INSERT INTO ${map} (domain, source_key, id, live) VALUES (${lit(domain)}, ${lit(key)}, 999999, TRUE)`)).rejects.toThrow(/duplicate key|unique/i);
      // New key, an id already used in the domain.
      await expect(conn.query(`INSERT INTO ${map} (domain, source_key, id, live) VALUES (${lit(domain)}, 'no-such-key-${p}', ${Number(id)}, TRUE)`)).rejects.toThrow(/duplicate key|unique/i);
      // A new key with a new id is still accepted: the constraints refuse only the duplicates.
      await conn.query(`INSERT INTO ${map} (domain, source_key, id, live) VALUES (${lit(domain)}, 'no-such-key-${p}', 999999, TRUE)`);
      const [{ n: after }] = (await conn.query(`SELECT count(*)::text AS n FROM ${map}`)) as [{ n: string }];
      expect(Number(after)).toBe(Number(before) + 1);
    } finally {
      await conn.close();
    }
  });
});
