/**
 * Provider API version 2 (issue 15): the capabilities `transactions`, `singleWriter` and `maxConcurrency`, what
 * the orchestrator and executeRenderedStep make of them on a real engine, and version 1 providers still loading.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import { defaultConcurrency, localOrchestrator } from "../../src/orchestrators/local/local-orchestrator.js";
import type { RunTarget } from "../../src/orchestrators/orchestrator-api.js";
import { defineConformanceSuite } from "../../src/providers/conformance/index.js";
import { DUCKDB_CAPABILITIES, duckdbProvider } from "../../src/providers/duckdb/index.js";
import { POSTGRES_CAPABILITIES } from "../../src/providers/postgres/postgres-generator.js";
import { executeRenderedStep, PROVIDER_API_VERSION, type Provider, type ProviderCapabilities } from "../../src/providers/provider-api.js";
import { validateProvider } from "../../src/providers/registry.js";
import { compilePlan, duckTarget, eventLog, tempDir } from "../orchestrators/helpers/harness.js";
import { cdm54TableDefs } from "./helpers/cdm-tables.js";

const code = (e: unknown): string | undefined => (e instanceof OmopetlError ? e.diagnostic.code : undefined);

/** The built-in DuckDB provider claiming other capabilities (its SQL and connection unchanged). */
function duckdbWith(caps: Partial<ProviderCapabilities>): Provider {
  return { ...duckdbProvider, capabilities: { ...DUCKDB_CAPABILITIES, ...caps } };
}
const withProvider = (target: RunTarget, provider: Provider): RunTarget => ({ ...target, provider });

describe("provider API version 2", () => {
  it("a version 1 provider still loads, with the capabilities version 2 added taken as every v1 provider had them", () => {
    const { transactions: _t, singleWriter: _s, ...v1caps } = DUCKDB_CAPABILITIES;
    const v1 = { ...duckdbProvider, apiVersion: 1, capabilities: v1caps };
    const loaded = validateProvider(v1, "omopetl-provider-old");
    expect(loaded.capabilities).toMatchObject({ transactions: "multi-statement", singleWriter: false });
    expect(loaded.capabilities.maxConcurrency).toBeUndefined();
    // the package's own object is left as it was
    expect("transactions" in v1.capabilities).toBe(false);
  });

  it("a version 2 provider must declare them: each missing or wrong one is listed, saying it is new", () => {
    const { transactions: _t, singleWriter: _s, ...v1caps } = DUCKDB_CAPABILITIES;
    const e = (() => {
      try {
        return validateProvider({ ...duckdbProvider, apiVersion: PROVIDER_API_VERSION, capabilities: { ...v1caps, maxConcurrency: 0 } }, "x");
      } catch (err) {
        return err;
      }
    })();
    expect(code(e)).toBe("PROVIDER_INVALID");
    const msg = (e as Error).message;
    expect(msg).toMatch(/capabilities\.transactions must be one of "none", "statement", "multi-statement"/);
    expect(msg).toMatch(/capabilities\.singleWriter must be a boolean/);
    expect(msg).toMatch(/transactions and singleWriter are new in provider API version 2/);
    expect(msg).toMatch(/capabilities\.maxConcurrency must be a positive integer/);
    expect(() => validateProvider({ ...duckdbProvider, capabilities: { ...DUCKDB_CAPABILITIES, transactions: "some" } }, "x")).toThrow(/capabilities\.transactions must be one of/);
  });

  it("the built-in providers declare version 2", () => {
    expect(duckdbProvider.apiVersion).toBe(2);
    expect(validateProvider(duckdbProvider, "duckdb")).toBe(duckdbProvider);
    expect(DUCKDB_CAPABILITIES).toMatchObject({ transactions: "multi-statement", singleWriter: true });
    expect(POSTGRES_CAPABILITIES).toMatchObject({ transactions: "multi-statement", singleWriter: false });
  });

  it("transactions: a transactional step is all or nothing with multi-statement transactions, statement by statement otherwise (DuckDB)", async () => {
    const conn = await duckdbProvider.connect!({ provider: "duckdb", path: ":memory:" });
    try {
      await conn.execute("CREATE TABLE t (x INTEGER)");
      const step = { statements: ["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (CAST('no' AS INTEGER))"], transactional: true };
      await expect(executeRenderedStep(conn, "s", step, "multi-statement")).rejects.toMatchObject({ statementIndex: 1 });
      expect(await conn.query("SELECT count(*) AS n FROM t")).toEqual([{ n: "0" }]);
      // without a transaction to open, the first statement's effect stays
      await expect(executeRenderedStep(conn, "s", step, "statement")).rejects.toMatchObject({ statementIndex: 1 });
      expect(await conn.query("SELECT count(*) AS n FROM t")).toEqual([{ n: "1" }]);
    } finally {
      await conn.close();
    }
  });

  it("concurrency: one step at a time for a single writer, at most maxConcurrency, a larger --concurrency refused", async () => {
    expect(defaultConcurrency(DUCKDB_CAPABILITIES)).toBe(1);
    expect(defaultConcurrency(POSTGRES_CAPABILITIES)).toBe(4);
    expect(defaultConcurrency({ singleWriter: false, maxConcurrency: 2 })).toBe(2);
    const plan = await compilePlan("dag");
    const two = duckdbWith({ singleWriter: false, maxConcurrency: 2 });
    const r = await localOrchestrator.execute(plan, withProvider(duckTarget(path.join(tempDir(), "two.duckdb")), two), {});
    expect(r.status).toBe("succeeded");
    expect(r.concurrency).toBe(2);
    const e = await localOrchestrator.execute(plan, withProvider(duckTarget(path.join(tempDir(), "three.duckdb")), two), { concurrency: 3 }).catch((x: unknown) => x);
    expect(code(e)).toBe("INVALID_CONCURRENCY");
    expect((e as Error).message).toMatch(/--concurrency 3 is more than the duckdb provider allows: at most 2 steps at once/);
  });

  it("a run on a provider without multi-statement transactions says so once, and still runs", async () => {
    const plan = await compilePlan("dag");
    const log = eventLog();
    const target = withProvider(duckTarget(path.join(tempDir(), "stmt.duckdb")), duckdbWith({ transactions: "statement" }));
    const r = await localOrchestrator.execute(plan, target, { onEvent: log.onEvent });
    expect(r.status).toBe("succeeded");
    const warnings = log.events.filter((ev) => ev.type === "warning").map((ev) => ("message" in ev ? ev.message : ""));
    expect(warnings.filter((m) => /no transaction spanning several statements/.test(m))).toHaveLength(1);
  });
});

// The conformance suite's weaker promise for such a provider: a failed step is reported and a re-run repairs it.
defineConformanceSuite({
  name: "provider conformance: duckdb claiming per-statement transactions",
  provider: duckdbWith({ transactions: "statement" }),
  connect: () => duckdbProvider.connect!({ provider: "duckdb", path: ":memory:" }),
  tables: cdm54TableDefs(),
  describe,
  it,
  expect,
});
