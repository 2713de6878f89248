import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defineConformanceSuite } from "../../src/providers/conformance/index.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { runCli } from "../helpers/cli.js";
import { fixturesDir, repoRoot, specDir, syntheaDir, vocabDir } from "../helpers/paths.js";
import { PG_URL } from "../helpers/postgres-server.js";
import { recordingProvider } from "../fixtures/statement-check/statement-recorder.mjs";
import { cdm54TableDefs } from "./helpers/cdm-tables.js";

/**
 * Issue 15, "every statement omopetl runs is rendered by the provider": each built-in provider wrapped so that its
 * generator records what its hooks return and its connections check every statement against that record
 * (test/fixtures/statement-check). The CLI loads the wrapped provider as a third-party one and runs the Synthea
 * workflow, `status` (the list and one run), `run --resume`, a partial run (`--select`), and a run failing on a value
 * (located by the failure probes) then resumed, on DuckDB and PostgreSQL;
 * and the conformance suite runs on both through the same wrapper. A statement no hook produced (SQL written by the
 * orchestrator, the ledger, the CLI or the suite itself) fails the test, with its text.
 */
const WORKFLOW = path.join(repoRoot, "resources/workflows/synthea-cdm54.yaml");
const CHECK_DIR = path.join(fixturesDir, "statement-check");
const prefix = `hooks_${process.pid}_${Date.now().toString(36)}`;
const pgSchemas = { source: `${prefix}_synthea`, staging: `${prefix}_staging`, cdm: `${prefix}_cdm`, vocab: `${prefix}_vocab` };

interface Logged {
  rendered: boolean;
  sql: string;
}

afterAll(async () => {
  const conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL });
  try {
    for (const s of Object.values(pgSchemas)) await conn.execute(postgresProvider.generator.catalogSql!.dropSchema(s));
  } finally {
    await conn.close();
  }
});

describe("every statement omopetl runs is rendered by the provider's hooks", () => {
  it("the check reports a statement no hook rendered (and passes one a hook did), in transactions too", async () => {
    const seen: Logged[] = [];
    const { provider } = recordingProvider(duckdbProvider, { onStatement: (sql, rendered) => seen.push({ sql, rendered }) });
    const conn = await provider.connect!({ provider: "duckdb", path: ":memory:" });
    try {
      const create = provider.generator.catalogSql!.createSchema("x");
      await conn.execute(create);
      await conn.transaction(async (tx) => {
        await tx.query("SELECT 42 AS n");
      });
      expect(seen).toEqual([
        { sql: create, rendered: true },
        { sql: "SELECT 42 AS n", rendered: false },
      ]);
    } finally {
      await conn.close();
    }
  });

  const engines = [
    { name: "duckdb", target: { provider: "checked-duckdb", path: "./omop.duckdb" } },
    { name: "postgres", target: { provider: "checked-postgres", url: PG_URL, retries: 0, schemas: pgSchemas } },
  ] as const;

  for (const engine of engines) {
    it(`${engine.name}: the Synthea run, status and run --resume`, () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-hooks-"));
      chmodSync(dir, 0o755);
      const log = path.join(dir, "statements.jsonl");
      writeFileSync(
        path.join(dir, "omopetl.config.yaml"),
        `spec: { dir: ${JSON.stringify(specDir)} }\nproviders: ${JSON.stringify([path.join(CHECK_DIR, `checked-${engine.name}.mjs`)])}\ntargets: ${JSON.stringify({ t: engine.target })}\n`,
      );
      const cli = (args: string[]) => {
        const r = runCli(args, { cwd: dir, env: { OMOPETL_STATEMENT_LOG: log } });
        expect(r.code, `omopetl ${args.join(" ")}\n${r.stderr}`).toBe(0);
        return r;
      };
      const run = ["run", WORKFLOW, "--target", "t", "--param", `source_dir=${syntheaDir}`, "--param", `vocab_dir=${vocabDir}`];
      const first = cli(run);
      const runId = /\brun (\S+) /.exec(first.stdout + first.stderr)?.[1];
      expect(runId, first.stdout).toBeDefined();
      // --all searches every ledger of the target (through the catalog hooks); the test database is shared with
      // other tests' ledgers, so only this run is looked for in the list.
      const runs = (JSON.parse(cli(["status", "--target", "t", "--json", "--all"]).stdout) as { runs: { runId: string; status: string }[] }).runs;
      expect(runs.find((r) => r.runId === runId)?.status).toBe("succeeded");
      expect(cli(["status", runId!, "--target", "t"]).stdout).toContain("person");
      const resumed = cli([...run, "--resume"]);
      expect(resumed.stderr + resumed.stdout).toMatch(/reused|nothing to resume/i);
      // A partial run first asks which of the tables its step reads exist (renderExistingTables).
      cli([...run, "--select", "person"]);

      // A transform failing on a value: the run locates it with the provider's failure probes, then --resume
      // continues the failed run once the file is fixed.
      mkdirSync(path.join(dir, "dml"));
      const charges = path.join(dir, "charges.csv");
      writeFileSync(charges, "id,flag\nc1,1\nc2,Y\n");
      chmodSync(charges, 0o644);
      writeFileSync(path.join(dir, "dml/charges.yaml"), `kind: load\ntarget: source.charges\nfiles: ${JSON.stringify(charges)}\ncolumns: { id: varchar, flag: varchar }\n`);
      writeFileSync(path.join(dir, "dml/flags.yaml"), "kind: transform\ntarget: staging.flags\nmode: rebuild\nfrom: source.charges AS c\ncolumns:\n  id: c.id\n  flag: CAST(c.flag AS integer)\n");
      writeFileSync(path.join(dir, "flags.yaml"), 'name: flags\ncdm_version: "5.4"\nsteps:\n  - dml: dml/charges.yaml\n  - dml: dml/flags.yaml\n');
      const failed = runCli(["run", "flags.yaml", "--target", "t"], { cwd: dir, env: { OMOPETL_STATEMENT_LOG: log } });
      expect(failed.code, failed.stderr).toBe(1);
      expect(failed.stderr).toContain("a source row it fails for: c.flag = 'Y'");
      writeFileSync(charges, "id,flag\nc1,1\nc2,2\n");
      cli(["run", "flags.yaml", "--target", "t", "--resume"]);
      // `omopetl ddl --target` runs the generator's DDL on the run's CDM schema (idempotent: the tables exist).
      cli(["ddl", "--target", "t", "--part", "tables", ...(engine.name === "duckdb" ? [] : ["--schema", pgSchemas.cdm, "--vocab-schema", pgSchemas.vocab])]);

      expect(existsSync(log)).toBe(true);
      const logged = readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Logged);
      // The ledger, status and the steps all went through the check (it saw them), and no statement escaped the hooks.
      expect(logged.length).toBeGreaterThan(300);
      expect(logged.some((l) => /omopetl_step_run/.test(l.sql) && /^UPDATE/.test(l.sql))).toBe(true);
      expect(logged.some((l) => /information_schema\.tables/.test(l.sql))).toBe(true);
      expect(logged.filter((l) => !l.rendered).map((l) => l.sql)).toEqual([]);
    }, 180_000);
  }
});

/*
 * The conformance suite through the wrapper: every statement it runs (its steps, and its set-up, reads and clean-up
 * through the harness's hooks) must come from the generator.
 */
const conformanceTargets = [
  { engine: "duckdb", provider: duckdbProvider, target: { provider: "duckdb", path: ":memory:" } },
  { engine: "postgres", provider: postgresProvider, target: { provider: "postgres", url: PG_URL, retries: 0 } },
] as const;
for (const c of conformanceTargets) {
  const seen: Logged[] = [];
  const { provider } = recordingProvider(c.provider, { onStatement: (sql, rendered) => seen.push({ sql, rendered }) });
  defineConformanceSuite({
    provider,
    connect: () => provider.connect!(c.target),
    tables: cdm54TableDefs(),
    describe,
    it,
    expect,
    name: `conformance through the hooks: ${c.engine}`,
  });
  describe(`conformance through the hooks: ${c.engine}`, () => {
    it("ran no statement outside the generator's hooks", () => {
      expect(seen.length).toBeGreaterThan(500);
      expect(seen.filter((l) => !l.rendered).map((l) => l.sql)).toEqual([]);
    });
  });
}
