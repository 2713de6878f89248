/**
 * A third-party provider end to end, as a user would have it: the example package
 * (test/fixtures/third-party/omopetl-provider-example) is npm-installed into a copy of the fixture project, next to
 * omopetl itself (this repository, linked as node_modules/omopetl; its dist/ is built by `npm test`'s pretest).
 * Then the built CLI compiles the project's workflow to the example dialect, the SQL it wrote runs on DuckDB, the
 * dialect's missing Parquet support is an UNSUPPORTED_FEATURE error, broken configurations get clear errors, and
 * the example passes the conformance suite imported from the installed package (`omopetl/provider/conformance`).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type * as Omopetl from "../../src/index.js";
import type * as Conformance from "../../src/providers/conformance/index.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { resolveProvider } from "../../src/providers/registry.js";
import { runCli } from "../helpers/cli.js";
import { ensureBuilt } from "../orchestrators/helpers/cli.js";
import { fixturesDir, repoRoot, specDir } from "../helpers/paths.js";

const FIXTURES = path.join(fixturesDir, "third-party");
const EXAMPLE_PACKAGE = path.join(FIXTURES, "omopetl-provider-example");
const BROKEN_PACKAGE = path.join(FIXTURES, "omopetl-provider-broken");
/** A stack frame line ("    at fn (file:1:2)"): user errors must never print one. */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

/**
 * Copies the fixture project to a temp folder and installs the provider packages the way a user would: npm, from
 * the package folders (copied, not linked: --install-links), offline. omopetl is a peer dependency of providers;
 * it is linked in afterwards, as the package under test.
 */
function installProject(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-third-party-"));
  cpSync(path.join(FIXTURES, "project"), dir, { recursive: true });
  const npm = spawnSync(
    "npm",
    ["install", "--install-links", "--legacy-peer-deps", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", EXAMPLE_PACKAGE, BROKEN_PACKAGE],
    { cwd: dir, encoding: "utf8", timeout: 120_000 },
  );
  if (npm.status !== 0) throw new Error(`npm install in ${dir} failed (${npm.status}): ${npm.stderr}`);
  symlinkSync(repoRoot, path.join(dir, "node_modules", "omopetl"), "dir");
  return dir;
}

// The CLI and the package entries run from dist/ (built by `npm test`'s pretest; rebuilt here when older than src/).
await ensureBuilt();
const project = installProject();
const fromProject = createRequire(path.join(project, "package.json"));
afterAll(() => {
  // the link first, so nothing can reach the repository through it
  unlinkSync(path.join(project, "node_modules", "omopetl"));
  rmSync(project, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli([...args, "--spec-dir", specDir], { cwd: project });

/** Runs every .sql file of `dir` in name order on `conn`, as `duckdb < file` would. */
async function runSqlFiles(conn: { execute(sql: string): Promise<unknown> }, dir: string): Promise<void> {
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".sql")).sort()) await conn.execute(readFileSync(path.join(dir, f), "utf8"));
}

describe("a third-party provider installed in a project", () => {
  it("is reachable through the public entries omopetl/provider and omopetl/provider/conformance", () => {
    const script = [
      "const api = await import('omopetl/provider');",
      "const conformance = await import('omopetl/provider/conformance');",
      "const example = await import('omopetl-provider-example');",
      "console.log(JSON.stringify({ base: typeof api.BaseSqlGenerator, version: api.PROVIDER_API_VERSION, suite: typeof conformance.defineConformanceSuite,",
      "  extendsBase: example.provider.generator instanceof api.BaseSqlGenerator, dialect: example.default.dialect,",
      "  helpers: ['uriScheme', 'localPath', 'hasGlob', 'splitDirectory', 'globToRegex', 'tokenizeStrftime', 'toPostgresTemplate', 'findTableDef', 'indent', 'sqlComment'].filter((h) => typeof api[h] !== 'function') }));",
      "const duck = await import('omopetl/provider/duckdb');",
      "const pg = await import('omopetl/provider/postgres');",
      "console.log(JSON.stringify({ duck: duck.duckdbProvider.name, pg: pg.postgresProvider.name, extend: new (class extends duck.DuckDbGenerator {})() instanceof api.BaseSqlGenerator }));",
    ].join("\n");
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: project, encoding: "utf8" });
    expect(r.stderr).toBe("");
    const [entries, builtins] = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown);
    expect(entries).toEqual({ base: "function", version: 2, suite: "function", extendsBase: true, dialect: "example", helpers: [] });
    expect(builtins).toEqual({ duck: "duckdb", pg: "postgres", extend: true });
  });

  it("compile --dialect example writes the example dialect's SQL, which runs on DuckDB, idempotently", async () => {
    const out = path.join(project, "out-example");
    const r = cli(["compile", "workflow.yaml", "--dialect", "example", "--sql-dir", out, "-o", path.join(project, "plan.json")]);
    expect(r.stderr).toMatch(/wrote 4 \.sql files/);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["001_ddl_tables.sql", "002_load_patients.sql", "003_person.sql", "004_birth_decades.sql"]);
    const plan = JSON.parse(readFileSync(path.join(project, "plan.json"), "utf8")) as { dialect: string; steps: { sql?: string[] }[] };
    expect(plan.dialect).toBe("example");
    expect(plan.steps.every((s) => (s.sql ?? []).length > 0)).toBe(true);
    const load = readFileSync(path.join(out, "002_load_patients.sql"), "utf8");
    expect(load).toContain(`read_csv(['${project}/data/patients.csv']`);
    expect(load).toMatch(/UNION ALL BY NAME/);
    expect(readFileSync(path.join(out, "003_person.sql"), "utf8")).toMatch(/COLLATE "binary"[\s\S]*MERGE INTO cdm\.person AS t/);
    // the example's integer division hook
    expect(readFileSync(path.join(out, "004_birth_decades.sql"), "utf8")).toMatch(/GROUP BY per\.year_of_birth \/\/ 10 \* 10/);

    const conn = await duckdbProvider.connect!({ provider: "duckdb", path: ":memory:" });
    try {
      await runSqlFiles(conn, out);
      const contents = async () => ({
        person: await conn.query("SELECT person_id, gender_concept_id, year_of_birth, person_source_value FROM cdm.person ORDER BY person_id"),
        decades: await conn.query("SELECT decade, persons FROM stage.birth_decades ORDER BY decade"),
      });
      const first = await contents();
      expect(first.person).toEqual([
        { person_id: 1, gender_concept_id: 8507, year_of_birth: 1980, person_source_value: "p1" },
        { person_id: 2, gender_concept_id: 8532, year_of_birth: 1975, person_source_value: "p2" },
        { person_id: 3, gender_concept_id: 8532, year_of_birth: 1971, person_source_value: "p3" },
      ]);
      expect(first.decades.map((d) => [d["decade"], Number(d["persons"])])).toEqual([
        [1970, 2],
        [1980, 1],
      ]);
      await runSqlFiles(conn, out);
      expect(await contents()).toEqual(first);
    } finally {
      await conn.close();
    }
  });

  it("omopetl ddl --dialect example prints DDL for every CDM table that runs on DuckDB", async () => {
    const r = cli(["ddl", "--dialect", "example"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^-- OMOP CDM 5\.4 DDL for example/);
    expect(r.stdout).toMatch(/^-- example: primary keys are declared by CREATE TABLE; \d+ foreign key\(s\) are not enforced/m);
    const conn = await duckdbProvider.connect!({ provider: "duckdb", path: ":memory:" });
    try {
      await conn.execute(r.stdout);
      const [t] = await conn.query<{ n: number | string }>("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'cdm'");
      expect(Number(t!.n)).toBe(39);
    } finally {
      await conn.close();
    }
  });

  it("a Parquet load is an UNSUPPORTED_FEATURE error (exit 2, no stack trace), which duckdb compiles", () => {
    const r = cli(["compile", "parquet.yaml", "--dialect", "example", "--sql-dir", path.join(project, "out-parquet")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dml\/parquet\/load_observations\.yaml:\d+:1 error UNSUPPORTED_FEATURE: step "load_observations": the example provider does not support loading Parquet files/m);
    expect(r.stderr).toMatch(/Convert the files to CSV/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stderr).not.toMatch(/internal error/);
    const duck = cli(["compile", "parquet.yaml", "--dialect", "duckdb"]);
    expect(duck.stderr).not.toMatch(/ error /); // only a DATA_FILE_NOT_FOUND warning: the parquet file is not in the fixture
    expect(duck.code).toBe(0);
  });

  it("an object-store URI is an UNSUPPORTED_FEATURE error: the example reads local files only", () => {
    const r = cli(["compile", "workflow.yaml", "--dialect", "example", "-p", "source_dir=s3://bucket/synthea"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/:\d+:1 error UNSUPPORTED_FEATURE: step "\w+": the example provider does not support loading from s3:\/\/ URIs/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it("a misspelt dialect names the configured provider it resembles", () => {
    const r = cli(["compile", "workflow.yaml", "--dialect", "exampel"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PROVIDER_NOT_FOUND: provider "exampel" not found/);
    expect(r.stderr).toMatch(/Did you mean "example"\?/);
    expect(r.stderr).toMatch(/Available: duckdb, example, postgres, spark/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it("a configured provider that is not installed: PROVIDER_NOT_FOUND with the install command", () => {
    writeFileSync(path.join(project, "missing.config.yaml"), "providers: [omopetl-provider-example, snowflake]\n");
    const r = runCli(["--config", "missing.config.yaml", "compile", "workflow.yaml", "--dialect", "example", "--spec-dir", specDir], { cwd: project });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PROVIDER_NOT_FOUND: provider "snowflake" not found: no package "omopetl-provider-snowflake" or "snowflake" can be imported from/);
    expect(r.stderr).toMatch(/npm install omopetl-provider-snowflake/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stdout).toBe("");
  });

  it("an installed package whose export is not a provider: PROVIDER_INVALID listing every problem", () => {
    writeFileSync(path.join(project, "broken.config.yaml"), "providers: [omopetl-provider-example, broken]\n");
    const r = runCli(["--config", "broken.config.yaml", "compile", "workflow.yaml", "--dialect", "example", "--spec-dir", specDir], { cwd: project });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PROVIDER_INVALID: provider "broken" does not export a valid provider/);
    expect(r.stderr).toMatch(/"name" must be a lower-case name such as "snowflake" \(got "Broken Provider"\)/);
    expect(r.stderr).toMatch(/"apiVersion" is 99; this omopetl implements provider API version 2/);
    expect(r.stderr).toMatch(/capabilities\.merge, capabilities\.onConflict, .* must each be a boolean/);
    expect(r.stderr).toMatch(/generator\.renderDdl must be a function/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stdout).toBe("");
  });
});

// The example provider as the registry loads it from the project, checked by the conformance suite of the installed
// omopetl package. It only generates SQL: the suite runs that SQL on the built-in DuckDB connection.
// The CDM tables come the way docs/writing-a-provider.md tells a provider author: the installed package's
// SpecificationManager and cdmTableDefs.
const example = await resolveProvider("example", { projectDir: project, configured: ["omopetl-provider-example"] });
const conformance = (await import(pathToFileURL(fromProject.resolve("omopetl/provider/conformance")).href)) as typeof Conformance;
const omopetl = (await import(pathToFileURL(fromProject.resolve("omopetl")).href)) as typeof Omopetl;
const spec = await new omopetl.SpecificationManager({ dir: specDir, offline: true }).load("5.4");
conformance.defineConformanceSuite({
  name: "provider conformance: omopetl-provider-example (on DuckDB)",
  provider: example,
  connect: () => duckdbProvider.connect!({ provider: "duckdb", path: ":memory:" }),
  tables: conformance.cdmTableDefs(spec),
  describe,
  it,
  expect,
});
