import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { localOrchestrator } from "../../src/orchestrators/local/local-orchestrator.js";
import type { RunTarget } from "../../src/orchestrators/orchestrator-api.js";
import type { Provider } from "../../src/providers/provider-api.js";
import { compilePlan, connect, dropPgSchemas, duckTarget, FAST_RETRY, pgTarget, tempDir } from "./helpers/harness.js";

/**
 * Provider.classifyError (issue 15, API v2): a provider says which of its engine's errors are worth a retry. The
 * flaky fixture fails its first two attempts — on DuckDB with a cast error, which omopetl's own rules call
 * permanent; on PostgreSQL with SQLSTATE 40001, which they call transient. The provider's verdict wins both ways.
 */
const tag = `clf_${process.pid}_${Date.now().toString(36)}`;
afterAll(async () => {
  for (const p of [`${tag}_a`, `${tag}_b`]) await dropPgSchemas(p);
});

const withClassifier = (target: RunTarget, classifyError: Provider["classifyError"]): RunTarget => ({
  ...target,
  provider: { ...target.provider, classifyError },
});

describe("Provider.classifyError", () => {
  it("DuckDB: without it the cast error fails the step at once; called transient, the step is retried and succeeds", async () => {
    const plan = await compilePlan("flaky");
    const plain = duckTarget(path.join(tempDir(), "plain.duckdb"));
    const r1 = await localOrchestrator.execute(plan, plain, { retryBackoff: FAST_RETRY });
    expect(r1.steps.find((s) => s.name === "flaky")).toMatchObject({ status: "failed", attempts: 1 });

    const seen: string[] = [];
    const target = withClassifier(duckTarget(path.join(tempDir(), "classified.duckdb")), (e) => {
      const m = e instanceof Error ? `${e.message} ${String((e as { cause?: unknown }).cause ?? "")}` : String(e);
      seen.push(m);
      return /not yet/.test(m) ? "transient" : undefined;
    });
    const r2 = await localOrchestrator.execute(plan, target, { retryBackoff: FAST_RETRY });
    expect(r2.status).toBe("succeeded");
    expect(r2.steps.find((s) => s.name === "flaky")).toMatchObject({ status: "succeeded", attempts: 3 });
    expect(seen.length).toBeGreaterThanOrEqual(2);
    const conn = await connect(target);
    try {
      expect(await conn.query("SELECT n FROM staging.flaky_out")).toEqual([{ n: "3" }]);
    } finally {
      await conn.close();
    }
  });

  it("PostgreSQL: a serialization failure called permanent is not retried; undefined keeps omopetl's rules", async () => {
    const plan = await compilePlan("flaky");
    const permanent = await localOrchestrator.execute(plan, withClassifier(pgTarget(`${tag}_a`), () => "permanent"), { retryBackoff: FAST_RETRY });
    expect(permanent.status).toBe("failed");
    expect(permanent.steps.find((s) => s.name === "flaky")).toMatchObject({ status: "failed", attempts: 1 });

    const neutral = await localOrchestrator.execute(plan, withClassifier(pgTarget(`${tag}_b`), () => undefined), { retryBackoff: FAST_RETRY });
    expect(neutral.status).toBe("succeeded");
    expect(neutral.steps.find((s) => s.name === "flaky")).toMatchObject({ status: "succeeded", attempts: 3 });
  });
});
