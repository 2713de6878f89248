import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { runCli, type CliResult } from "../helpers/cli.js";
import { repoRoot, specDir } from "../helpers/paths.js";
import { PG_URL } from "../helpers/postgres-server.js";

/**
 * Strict configuration (issue 14, problem 4): configuration slips are located errors with exit 2 and nothing run,
 * not silently ignored; and PostgreSQL targets have connect and statement timeouts, so a server that never answers
 * cannot hang a run.
 */
const prefix = `cfg_${process.pid}_${Date.now().toString(36)}`;
const schemas = { source: `${prefix}_src`, staging: `${prefix}_stage`, cdm: `${prefix}_cdm`, vocab: `${prefix}_cdm` };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-cfg-"));
  mkdirSync(path.join(dir, "dml"));
  writeFileSync(path.join(dir, "workflow.yaml"), 'name: cfg\ncdm_version: "5.4"\nsteps:\n  - dml: dml/stats.yaml\n  - dml: dml/slow.yaml\n');
  writeFileSync(
    path.join(dir, "dml/stats.yaml"),
    "kind: sql\nwrites: [{ table: staging.stats, columns: { n: integer } }]\nsql:\n  - DROP TABLE IF EXISTS ${schemas.staging}.stats\n  - CREATE TABLE ${schemas.staging}.stats AS SELECT 1 AS n\n",
  );
  writeFileSync(path.join(dir, "dml/slow.yaml"), "kind: sql\nwrites: []\ndialects: { postgres: SELECT pg_sleep(4) }\nsql: SELECT 1\n");
  writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\n`);
  const compiled = runCli(["compile", "workflow.yaml", "-o", "plan.json"], { cwd: dir });
  if (compiled.code !== 0) throw new Error(compiled.stderr);
});

afterAll(async () => {
  const conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 0 });
  try {
    for (const s of new Set(Object.values(schemas))) await conn.execute(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await conn.close();
  }
});

/** Writes `config` as the folder's omopetl.config.yaml (verbatim text, so line:col are known) and runs the CLI. */
function withConfig(config: string, args: string[]): CliResult {
  writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\n${config}`);
  return runCli(args, { cwd: dir });
}
const noStack = (s: string) => expect(s).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe("strict configuration", () => {
  it("a DuckDB target with pth: instead of path: is an error at its line, and nothing runs", () => {
    const r = withConfig("targets:\n  local:\n    provider: duckdb\n    pth: ./etl.duckdb\n", ["run", "workflow.yaml", "--target", "local"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/omopetl\.config\.yaml:5:5 error CONFIG_INVALID: targets\.local: "pth" is not an option of a duckdb target\. Did you mean "path"\?/);
    expect(r.stderr).toMatch(/> 5 \|     pth: \.\/etl\.duckdb/);
    noStack(r.stderr);
    expect(existsSync(path.join(dir, "etl.duckdb"))).toBe(false);
    expect(existsSync(path.join(dir, "omop.duckdb"))).toBe(false);
  });

  it("a PostgreSQL target with port: 99999 is an error (any command that loads the configuration)", () => {
    const r = withConfig("targets:\n  pg: { provider: postgres, host: localhost, port: 99999 }\n", ["validate", "workflow.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/omopetl\.config\.yaml:3:\d+ error CONFIG_INVALID: targets\.pg: invalid value 99999 for "port": a port is 1 to 65535/);
  });

  it("ranges: pool size, timeouts past Node's timer limit, retries; every problem is listed", () => {
    const r = withConfig(
      "targets:\n  pg:\n    provider: postgres\n    poolSize: 0\n    connectTimeoutSeconds: 3000000\n    statementTimeoutSeconds: -1\n    retries: 1000\n",
      ["validate", "workflow.yaml"],
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/:5:\d+ error CONFIG_INVALID: targets\.pg: invalid value 0 for "poolSize"/);
    expect(r.stderr).toMatch(/:6:\d+ error CONFIG_INVALID: targets\.pg: invalid value 3000000 for "connectTimeoutSeconds": at most 2073600 seconds \(24 days/);
    expect(r.stderr).toMatch(/:7:\d+ error CONFIG_INVALID: targets\.pg: invalid value -1 for "statementTimeoutSeconds"/);
    expect(r.stderr).toMatch(/:8:\d+ error CONFIG_INVALID: targets\.pg: invalid value 1000 for "retries"/);
    expect(r.stderr).toMatch(/4 errors/);
  });

  it("an unknown key in a target's schemas: is an error with a did-you-mean, before anything runs", () => {
    const r = withConfig(`targets:\n  local:\n    provider: duckdb\n    path: ./s.duckdb\n    schemas: { stagin: etl }\n`, ["run", "workflow.yaml", "--target", "local"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/omopetl\.config\.yaml:6:16 error CONFIG_INVALID: targets\.local\.schemas: "stagin" is not a logical schema of this workflow\. Did you mean "staging"\?/);
    expect(existsSync(path.join(dir, "s.duckdb"))).toBe(false);
  });

  it("unknown top-level and nested keys of the configuration are located, with a did-you-mean", () => {
    const r = withConfig("target:\n  local: { provider: duckdb }\n", ["validate", "workflow.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/omopetl\.config\.yaml:2:1 error CONFIG_INVALID: "target" is not a field of the configuration\. Did you mean "targets"\?/);
    const nested = runCli(["validate", "workflow.yaml"], { cwd: dir });
    expect(nested.code).toBe(2);
  });

  it("settings in package.json#omopetl are located in package.json", () => {
    const pkgDir = mkdtempSync(path.join(os.tmpdir(), "omopetl-cfg-pkg-"));
    writeFileSync(path.join(pkgDir, "package.json"), JSON.stringify({ name: "x", omopetl: { targets: { local: { provider: "duckdb", pth: "a.duckdb" } } } }, null, 2));
    const r = runCli(["status", "--target", "local"], { cwd: pkgDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/package\.json:7:9 error CONFIG_INVALID: targets\.local: "pth" is not an option of a duckdb target\. Did you mean "path"\?/);
  });

  it("values given as secret references are checked when resolved, not before", () => {
    const r = withConfig('targets:\n  pg: { provider: postgres, host: localhost, port: "${env:OMOPETL_TEST_SOME_PORT}" }\n', ["validate", "workflow.yaml"]);
    expect(r.code, r.stderr).toBe(0);
  });

  it("--concurrency is at most 1000 (the CLI and the orchestrator API)", async () => {
    const r = withConfig("", ["run", "workflow.yaml", "--concurrency", "5000"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--concurrency must be at most 1000/);
    const { localOrchestrator } = await import("../../src/orchestrators/local/local-orchestrator.js");
    const { duckdbProvider } = await import("../../src/providers/duckdb/index.js");
    const plan = JSON.parse(readFileSync(path.join(dir, "plan.json"), "utf8"));
    const target = { name: "m", provider: duckdbProvider, config: { provider: "duckdb" }, description: "duckdb :memory:", secrets: [] };
    await expect(localOrchestrator.execute(plan, target, { concurrency: 5000 })).rejects.toMatchObject({ diagnostic: { code: "INVALID_CONCURRENCY" } });
  });

  it("a compiled plan whose step timeout overflows Node's timers is refused", () => {
    const plan = JSON.parse(readFileSync(path.join(dir, "plan.json"), "utf8"));
    plan.steps[0].timeoutSeconds = 3_000_000;
    writeFileSync(path.join(dir, "bad-plan.json"), JSON.stringify(plan));
    const r = runCli(["run", "bad-plan.json"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PLAN_INVALID: .*timeoutSeconds/);
  });
});

describe("PostgreSQL timeouts", () => {
  it("a server that accepts the connection and never answers fails the run within the connect timeout", async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s)); // accepts, reads nothing, answers nothing
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      writeFileSync(
        path.join(dir, "omopetl.config.yaml"),
        `spec: { dir: ${JSON.stringify(specDir)} }\ntargets:\n  mute: { provider: postgres, host: 127.0.0.1, port: ${port}, user: postgres, database: x, connectTimeoutSeconds: 1, retries: 1 }\n`,
      );
      // Asynchronously: the mute server lives in this process and must keep accepting while the CLI waits.
      const started = Date.now();
      const r = await new Promise<CliResult>((resolve) => {
        execFile(process.execPath, [path.join(repoRoot, "bin/omopetl.js"), "run", "workflow.yaml", "--target", "mute"], { cwd: dir, timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
        );
      });
      const seconds = (Date.now() - started) / 1000;
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/CONNECTION_FAILED: could not connect to postgres: 127\.0\.0\.1:\d+\/x: the server did not complete the connection within 1 s \(target option connectTimeoutSeconds/);
      noStack(r.stderr);
      expect(sockets.length).toBeGreaterThan(0);
      // One connect timeout (1 s, not retried) plus the CLI's start-up; far from a hang.
      expect(seconds).toBeLessThan(15);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("statementTimeoutSeconds: a statement running longer is cancelled by the server and fails its step", () => {
    const targets = { pg: { provider: "postgres", url: PG_URL, retries: 0, statementTimeoutSeconds: 0.5, schemas } };
    const r = withConfig(`targets: ${JSON.stringify(targets)}\n`, ["run", "workflow.yaml", "--target", "pg"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/slow[\s\S]*canceling statement due to statement timeout/);
    expect(r.stderr).toMatch(/✔ stats/);
  });
});
