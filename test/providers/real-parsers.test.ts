import { DuckDBInstance } from "@duckdb/node-api";
import { parseSync, loadModule } from "libpg-query";
import { describe, expect, it } from "vitest";
import type { CompiledWorkflowPlan } from "../../src/core/model/plan.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { renderContextFromPlan, type Provider } from "../../src/providers/provider-api.js";
import { compileFixture } from "../helpers/compile.js";
import { fixturesDir, repoRoot, syntheaDir, vocabDir } from "../helpers/paths.js";
import path from "node:path";

/**
 * Every statement generated for real workflows passes the real parser of its dialect: DuckDB's own
 * (extractStatements) and PostgreSQL's (libpg-query, the server's parser compiled to WebAssembly). This needs no
 * server and covers statements the engine-backed tests may not execute.
 */
async function plans(): Promise<CompiledWorkflowPlan[]> {
  const out: CompiledWorkflowPlan[] = [];
  const synthea = await compileFixture(path.join(repoRoot, "resources/workflows/synthea-cdm54.yaml"), repoRoot, { source_dir: syntheaDir, vocab_dir: vocabDir });
  const basic = await compileFixture("workflow.yaml", path.join(fixturesDir, "compile/basic"), { source_dir: "/data/synthea" });
  const qualify = await compileFixture("workflow.yaml", path.join(fixturesDir, "compile/qualify"), { source_dir: "/data/synthea" });
  for (const r of [synthea, basic, qualify]) {
    if (!r.plan) throw new Error(JSON.stringify(r.diagnostics.slice(0, 3)));
    out.push(r.plan);
  }
  return out;
}

const COMMENT_ONLY = /^(--[^\n]*\n?)+$/;

function statements(plan: CompiledWorkflowPlan, provider: Provider): string[] {
  const ctx = renderContextFromPlan(plan);
  return plan.steps.flatMap((s) => provider.generator.renderStep(s, ctx).statements);
}

describe("generated SQL passes each dialect's real parser", () => {
  it("PostgreSQL (libpg-query)", async () => {
    await loadModule();
    let n = 0;
    for (const plan of await plans()) {
      for (const sql of statements(plan, postgresProvider)) {
        expect(() => parseSync(sql), sql).not.toThrow();
        n++;
      }
    }
    expect(n).toBeGreaterThan(300);
    // The check can fail: a broken statement is rejected.
    expect(() => parseSync("SELEC 1")).toThrow();
  });

  it("DuckDB (extractStatements)", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const conn = await instance.connect();
    try {
      let n = 0;
      for (const plan of await plans()) {
        for (const sql of statements(plan, duckdbProvider)) {
          // A step that does nothing on DuckDB says why in a comment (e.g. the standard indexes it skips), which
          // DuckDB executes as an empty statement but extractStatements counts as none.
          if (COMMENT_ONLY.test(sql)) continue;
          const extracted = await conn.extractStatements(sql);
          expect(extracted.count, sql).toBe(1);
          n++;
        }
      }
      expect(n).toBeGreaterThan(300);
      await expect(conn.extractStatements("SELEC 1")).rejects.toThrow(/syntax error/);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
