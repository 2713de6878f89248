/**
 * Secret references in targets: `${env:NAME}`, `${file:PATH}` and `${<scheme>:<ref>}` of a configured secret provider.
 * They are resolved only when connecting, and a resolved value never leaves the process: a canary (a unique string
 * served as a secret) is looked for in everything `omopetl` prints, writes and records, on a real run that has a
 * failing step, and on a run that cannot connect.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadedConfig } from "../../src/cli/config.js";
import { loadSecretProviders, secretPackageCandidates } from "../../src/cli/secrets/secret-provider-registry.js";
import { parseSecretTemplate, templateText } from "../../src/cli/secrets/secret-reference.js";
import { resolveSecretReferences } from "../../src/cli/secrets/secret-resolver.js";
import { resolveRunTarget, resolveTarget } from "../../src/cli/target.js";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { runCli, type CliResult } from "../helpers/cli.js";
import { specDir } from "../helpers/paths.js";
import { PG_URL } from "../helpers/postgres-server.js";

const tempDir = (prefix = "omopetl-secrets-") => mkdtempSync(path.join(os.tmpdir(), prefix));

/** The diagnostic of a rejected promise (fails the test when it resolves or throws something else). */
async function diagnosticOf(p: Promise<unknown>): Promise<{ code: string; message: string; hint?: string }> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(OmopetlError);
  return (e as OmopetlError).diagnostic;
}

const config = (dir: string, c: LoadedConfig["config"]): LoadedConfig => ({ config: c, dir, filepath: path.join(dir, "omopetl.config.yaml") });

/** A secret provider module that logs every resolution (to prove when resolution happens) and serves `values`. */
function writeProviderModule(dir: string, file: string, scheme: string, values: Record<string, string>): string {
  writeFileSync(
    path.join(dir, file),
    `import { appendFileSync } from "node:fs";
const values = ${JSON.stringify(values)};
export default {
  scheme: ${JSON.stringify(scheme)},
  apiVersion: 1,
  description: "test secrets",
  async resolve(ref, context) {
    appendFileSync(${JSON.stringify(path.join(dir, `${scheme}-resolutions.log`))}, ref + " " + context.target + "\\n");
    if (ref === "refuse") throw new Error("the vault is sealed");
    if (ref === "number") return 42;
    if (!(ref in values)) throw new Error("no secret " + ref);
    return values[ref];
  },
};
`,
  );
  return path.join(dir, `${scheme}-resolutions.log`);
}

describe("secret references", () => {
  it("parses ${scheme:ref} anywhere in a string, $${ as a literal ${, and rejects malformed ones with a hint", () => {
    expect(parseSecretTemplate("postgres://etl:${env:PW}@db/${vault:omop/db}", "t.url")).toEqual([
      "postgres://etl:",
      { scheme: "env", ref: "PW", text: "${env:PW}" },
      "@db/",
      { scheme: "vault", ref: "omop/db", text: "${vault:omop/db}" },
    ]);
    expect(parseSecretTemplate("a$${env:X}b", "t.x")).toEqual(["a${env:X}b"]);
    expect(templateText(parseSecretTemplate("a$${env:X}b${file:./pw}", "t.x"))).toBe("a$${env:X}b${file:./pw}");
    expect(parseSecretTemplate("", "t.x")).toEqual([""]);
    const bad = (s: string) => {
      try {
        parseSecretTemplate(s, "targets.w.password");
      } catch (e) {
        return (e as OmopetlError).diagnostic;
      }
      throw new Error(`${s} parsed`);
    };
    expect(bad("${PGPASSWORD}")).toMatchObject({ code: "SECRET_REFERENCE_INVALID", message: expect.stringMatching(/targets\.w\.password: \$\{PGPASSWORD\} names no scheme \(an environment variable is \$\{env:PGPASSWORD\}\)/) });
    expect(bad("${env:PW")).toMatchObject({ code: "SECRET_REFERENCE_INVALID", message: expect.stringMatching(/has no closing \}/) });
    expect(bad("${Env:PW}")).toMatchObject({ code: "SECRET_REFERENCE_INVALID", message: expect.stringMatching(/"Env" is not a scheme/) });
    expect(bad("${env:}").message).toMatch(/names nothing after "env:"/);
    expect(bad("${env:}").hint).toMatch(/\$\$\{ for a literal/);
  });

  it("resolves env and file references (a file's trimmed contents, relative to the configuration's folder)", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "secrets"));
    writeFileSync(path.join(dir, "secrets", "pw"), "  s3cr3t-from-file\n\n");
    process.env["OMOPETL_TEST_SECRET_A"] = "from-env";
    const seen: string[] = [];
    const opts = { configured: [], configDir: dir, target: "t", onSecret: (v: string) => seen.push(v) };
    const out = await resolveSecretReferences(
      { provider: "x", password: "${file:secrets/pw}", url: "p://u:${env:OMOPETL_TEST_SECRET_A}@h/${env:OMOPETL_TEST_SECRET_A}", nested: { list: ["${file:" + path.join(dir, "secrets/pw") + "}", 3] }, lit: "$${env:NOPE}" },
      "targets.t",
      opts,
    );
    expect(out).toEqual({ provider: "x", password: "s3cr3t-from-file", url: "p://u:from-env@h/from-env", nested: { list: ["s3cr3t-from-file", 3] }, lit: "${env:NOPE}" });
    // Each distinct reference resolves once (the file is named twice, differently).
    expect(seen.sort()).toEqual(["from-env", "s3cr3t-from-file", "s3cr3t-from-file"]);
    delete process.env["OMOPETL_TEST_SECRET_A"];

    expect(await diagnosticOf(resolveSecretReferences({ p: "${env:OMOPETL_TEST_SURELY_UNSET}" }, "targets.t", opts))).toMatchObject({
      code: "SECRET_UNRESOLVED",
      message: "targets.t.p: cannot resolve ${env:OMOPETL_TEST_SURELY_UNSET}: the environment variable OMOPETL_TEST_SURELY_UNSET is not set.",
    });
    expect((await diagnosticOf(resolveSecretReferences({ p: "${file:secrets/missing}" }, "targets.t", opts))).message).toBe(
      `targets.t.p: cannot resolve \${file:secrets/missing}: no file ${path.join(dir, "secrets/missing")}.`,
    );
    expect((await diagnosticOf(resolveSecretReferences({ p: "${file:secrets}" }, "targets.t", opts))).message).toMatch(/is a folder\.$/);
    expect((await diagnosticOf(resolveSecretReferences({ p: "${env:NOT-A-NAME}" }, "targets.t", opts))).message).toMatch(/"NOT-A-NAME" is not an environment variable name/);
    expect(await diagnosticOf(resolveSecretReferences({ p: "${fiel:x}" }, "targets.t", opts))).toMatchObject({
      code: "SECRET_SCHEME_UNKNOWN",
      message: expect.stringMatching(/targets\.t\.p uses the secret scheme "fiel", which no secret provider handles\. Did you mean "file"\?/),
      hint: expect.stringMatching(/Schemes: env, file\. .*omopetl-secrets-fiel/),
    });
  });

  it("loads secret providers from a module path or an omopetl-secrets-<x> package, validates them, and reports their failures", async () => {
    const dir = tempDir();
    const log = writeProviderModule(dir, "vault.mjs", "vault", { "db/pw": "v4ult-pw" });
    // A package as npm would install it, ESM only, scoped and unscoped.
    for (const [pkg, scheme] of [
      ["omopetl-secrets-kms", "kms"],
      ["@acme/omopetl-secrets-box", "box"],
    ] as const) {
      const pkgDir = path.join(dir, "node_modules", pkg);
      mkdirSync(pkgDir, { recursive: true });
      writeFileSync(path.join(pkgDir, "package.json"), JSON.stringify({ name: pkg, type: "module", exports: { ".": { import: "./index.js" } } }));
      writeFileSync(path.join(pkgDir, "index.js"), `export const secretProvider = () => ({ scheme: "${scheme}", apiVersion: 1, resolve: async (ref) => "${scheme}:" + ref.toUpperCase() });\n`);
    }
    expect(secretPackageCandidates("kms")).toEqual(["omopetl-secrets-kms", "kms"]);
    expect(secretPackageCandidates("@acme/box")).toEqual(["@acme/omopetl-secrets-box", "@acme/box"]);
    const registry = await loadSecretProviders(["./vault.mjs", "kms", "@acme/box"], dir);
    expect(registry.schemes()).toEqual(["box", "env", "file", "kms", "vault"]);

    const seen: string[] = [];
    const opts = { configured: ["./vault.mjs", "kms", "@acme/box"], configDir: dir, target: "wh", onSecret: (v: string) => seen.push(v) };
    expect(await resolveSecretReferences({ a: "${vault:db/pw}", b: "${kms:x}-${box:y}", c: "${vault:db/pw}" }, "targets.wh", opts)).toEqual({ a: "v4ult-pw", b: "kms:X-box:Y", c: "v4ult-pw" });
    expect(seen.sort()).toEqual(["box:Y", "kms:X", "v4ult-pw"]);
    // The same reference twice is resolved once.
    expect(readFileSync(log, "utf8")).toBe("db/pw wh\n");

    expect(await diagnosticOf(resolveSecretReferences({ a: "${vault:refuse}" }, "targets.wh", opts))).toMatchObject({ code: "SECRET_UNRESOLVED", message: "targets.wh.a: cannot resolve ${vault:refuse}: the vault is sealed." });
    expect((await diagnosticOf(resolveSecretReferences({ a: "${vault:number}" }, "targets.wh", opts))).message).toMatch(/the "vault" secret provider returned number, not a string/);

    writeFileSync(path.join(dir, "bad.mjs"), "export default { scheme: 'Bad Scheme', apiVersion: 2 };\n");
    expect(await diagnosticOf(loadSecretProviders(["./bad.mjs"], dir))).toMatchObject({
      code: "SECRET_PROVIDER_INVALID",
      message: expect.stringMatching(/"scheme" must be a lower-case name .*; "apiVersion" is 2; this omopetl implements secret provider API version 1; "resolve" must be a function/),
    });
    writeFileSync(path.join(dir, "env.mjs"), "export default { scheme: 'env', apiVersion: 1, resolve: async () => 'x' };\n");
    expect(await diagnosticOf(loadSecretProviders(["./env.mjs"], dir))).toMatchObject({
      code: "SECRET_PROVIDER_DUPLICATE",
      message: `two secret providers handle the scheme "env": built-in secret provider "env" and ${path.join(dir, "env.mjs")}.`,
    });
    expect(await diagnosticOf(loadSecretProviders(["vault2"], dir))).toMatchObject({
      code: "SECRET_PROVIDER_NOT_FOUND",
      message: expect.stringMatching(/no package "omopetl-secrets-vault2" or "vault2" can be imported/),
      hint: "Install it in the project: npm install omopetl-secrets-vault2",
    });
    expect((await diagnosticOf(loadSecretProviders(["./nope.js"], dir))).message).toMatch(/no file at .*nope\.js/);
  });

  it("a run target resolves its references only when it connects, and masks what they resolve to from then on", async () => {
    const dir = tempDir();
    const log = writeProviderModule(dir, "vault.mjs", "vault", { dbfile: "data/wh.duckdb", mem: "512MB" });
    const cfg = config(dir, {
      secrets: ["./vault.mjs"],
      targets: { wh: { provider: "duckdb", path: "${vault:dbfile}", memoryLimit: "${vault:mem}", schemas: { staging: "etl" } } },
    });
    const target = await resolveRunTarget("wh", cfg, dir);
    expect(existsSync(log)).toBe(false);
    expect(target.config).toMatchObject({ path: "${vault:dbfile}", memoryLimit: "${vault:mem}" });
    expect(target.description).toBe("duckdb ${vault:dbfile}");
    expect(target.secrets).toEqual([]);
    mkdirSync(path.join(dir, "data"));
    const conn = await target.provider.connect!(target.config);
    await conn.close();
    // Resolved (once), relative to the configuration's folder, every value registered for masking.
    expect(existsSync(path.join(dir, "data/wh.duckdb"))).toBe(true);
    expect(readFileSync(log, "utf8").split("\n").filter(Boolean).sort()).toEqual(["dbfile wh", "mem wh"]);
    expect([...(target.secrets ?? [])].sort()).toEqual(["512MB", "data/wh.duckdb"]);
    expect(target.description).toBe("duckdb ${vault:dbfile}");
    // The wrapper is the provider in every other respect.
    expect({ name: target.provider.name, dialect: target.provider.dialect, generator: target.provider.generator }).toMatchObject({ name: "duckdb", dialect: "duckdb" });
    await (await target.provider.connect!(target.config)).close();
    expect(readFileSync(log, "utf8").split("\n").filter(Boolean)).toHaveLength(2);

    // resolveTarget (for a caller about to connect) resolves at once.
    const now = await resolveTarget("wh", cfg, dir);
    expect(now.config).toMatchObject({ path: path.join(dir, "data/wh.duckdb"), memoryLimit: "512MB" });
    expect(now.secrets.sort()).toEqual(["512MB", "data/wh.duckdb"]);
  });

  it("refuses references where the value is needed before connecting (provider, schemas)", async () => {
    const dir = tempDir();
    expect(await diagnosticOf(resolveRunTarget("wh", config(dir, { targets: { wh: { provider: "postgres", schemas: { cdm: "${env:CDM}" } } } }), dir))).toMatchObject({
      code: "SECRET_REFERENCE_NOT_ALLOWED",
      message: expect.stringMatching(/^targets\.wh\.schemas\.cdm uses \$\{env:CDM\}, but references are resolved only when connecting/),
    });
    expect((await diagnosticOf(resolveRunTarget("wh", config(dir, { targets: { wh: { provider: "${env:P}" } } }), dir))).message).toMatch(/^targets\.wh\.provider uses \$\{env:P\}/);
    expect((await diagnosticOf(resolveRunTarget("wh", config(dir, { targets: { wh: { provider: "duckdb", path: "${oops" } } }), dir))).code).toBe("SECRET_REFERENCE_INVALID");
  });
});

/*
 * The canary run: real `omopetl` processes against the test PostgreSQL. The secrets are unique strings; the
 * workflow's failing step makes the database echo one of them in its error (it concatenates two halves that the plan
 * holds apart), as a driver echoing a connection setting would.
 */
describe("secrets never leave the process (canary)", () => {
  const tag = randomBytes(4).toString("hex");
  const canaryVault = `cnryv${randomBytes(6).toString("hex")}`; // served by the test secret provider
  const canaryEnv = `cnrye${randomBytes(6).toString("hex")}`; // from the environment
  const canaryFile = `cnryf${randomBytes(6).toString("hex")}`; // from a file
  const canaries = [canaryVault, canaryEnv, canaryFile];
  const prefix = `secrets_${tag}`;
  const schemas = (p: string) => ({ source: `${p}_source`, staging: `${p}_staging`, cdm: `${p}_cdm`, vocab: `${p}_cdm` });
  const pg = new URL(PG_URL);
  const urlWithPassword = (pw: string) => {
    const u = new URL(PG_URL);
    u.password = pw;
    return u.toString();
  };
  let dir: string;
  let log: string;
  const env = { OMOPETL_TEST_CANARY_PW: canaryEnv };
  const outputs: Array<{ what: string; text: string }> = [];
  const record = (what: string, r: CliResult) => {
    outputs.push({ what: `${what} stdout`, text: r.stdout }, { what: `${what} stderr`, text: r.stderr });
    return r;
  };

  beforeAll(() => {
    dir = tempDir("omopetl-canary-");
    log = writeProviderModule(dir, "test-secrets.mjs", "vault", {
      "pg/url": urlWithPassword(canaryVault),
      "pg/port1": `postgres://postgres:${canaryVault}@127.0.0.1:1/test`,
      "pg/db": canaryVault,
    });
    writeFileSync(path.join(dir, "db_password"), `${canaryFile}\n`);
    mkdirSync(path.join(dir, "dml"));
    writeFileSync(
      path.join(dir, "workflow.yaml"),
      [
        "name: canary",
        'cdm_version: "5.4"',
        "params:",
        "  half_a: { type: string, default: a }",
        "  half_b: { type: string, default: b }",
        "steps:",
        "  - dml: dml/base.yaml",
        "  - dml: dml/echo.yaml",
        "",
      ].join("\n"),
    );
    writeFileSync(
      path.join(dir, "dml/base.yaml"),
      "kind: sql\nwrites: [{ table: staging.base, columns: { v: integer } }]\nsql:\n  - DROP TABLE IF EXISTS ${schemas.staging}.base\n  - CREATE TABLE ${schemas.staging}.base AS SELECT 1 AS v\n",
    );
    writeFileSync(
      path.join(dir, "dml/echo.yaml"),
      "kind: sql\nreads: [staging.base]\nwrites: [{ table: staging.echo, columns: { v: integer } }]\n" +
        "sql: CREATE TABLE ${schemas.staging}.echo AS SELECT CAST(${params.half_a} || ${params.half_b} AS integer) + v AS v FROM ${schemas.staging}.base\n",
    );
    const targets = {
      vaulted: { provider: "postgres", url: "${vault:pg/url}", retries: 0, schemas: schemas(`${prefix}_v`) },
      enved: { provider: "postgres", host: pg.hostname, port: Number(pg.port || 5432), user: "postgres", password: "${env:OMOPETL_TEST_CANARY_PW}", database: decodeURIComponent(pg.pathname.slice(1)), retries: 0, schemas: schemas(`${prefix}_e`) },
      filed: { provider: "postgres", url: `postgres://postgres:\${file:db_password}@${pg.host}${pg.pathname}`, retries: 0, schemas: schemas(`${prefix}_f`) },
      unreachable: { provider: "postgres", url: "${vault:pg/port1}", retries: 0, schemas: schemas(`${prefix}_u`) },
      unset: { provider: "postgres", url: PG_URL, password: "${env:OMOPETL_TEST_SURELY_UNSET}", schemas: schemas(`${prefix}_n`) },
      wrongdb: { provider: "postgres", url: `postgres://postgres@${pg.host}/\${vault:pg/db}`, retries: 0, schemas: schemas(`${prefix}_w`) },
    };
    writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\nsecrets: [./test-secrets.mjs]\ntargets: ${JSON.stringify(targets)}\n`);
  });

  afterAll(async () => {
    const conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 0 });
    try {
      for (const p of ["v", "e", "f", "u", "n", "w"]) for (const s of new Set(Object.values(schemas(`${prefix}_${p}`)))) await conn.execute(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    } finally {
      await conn.close();
    }
  });

  const resolutions = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []);
  const cli = (args: string[]) => runCli(args, { cwd: dir, env });

  it("compile, validate and run --dry-run resolve nothing (an unset variable does not stop them)", () => {
    expect(record("validate", cli(["validate", "workflow.yaml"])).code).toBe(0);
    const compiled = record("compile", cli(["compile", "workflow.yaml", "--dialect", "postgres", "-o", "plan.json"]));
    expect(compiled.code, compiled.stderr).toBe(0);
    outputs.push({ what: "the compiled plan", text: readFileSync(path.join(dir, "plan.json"), "utf8") });
    for (const t of ["vaulted", "unset"]) {
      const dry = record(`dry run on ${t}`, cli(["run", "workflow.yaml", "--target", t, "--dry-run"]));
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/CREATE TABLE/);
    }
    expect(resolutions()).toEqual([]);
  });

  it("a run whose step fails, on targets whose URL or password is a secret: the canaries are nowhere", async () => {
    const half = (c: string) => ["-p", `half_a=${c.slice(0, 6)}`, "-p", `half_b=${c.slice(6)}`];
    const runs: Array<{ target: string; canary: string }> = [
      { target: "vaulted", canary: canaryVault },
      { target: "enved", canary: canaryEnv },
      { target: "filed", canary: canaryFile },
    ];
    for (const { target, canary } of runs) {
      const text = record(`${target} run`, cli(["run", "workflow.yaml", "--target", target, ...half(canary)]));
      expect(text.code, text.stderr).toBe(1);
      // The database echoed the canary, and it was masked.
      expect(text.stderr).toMatch(/invalid input syntax for type integer: "\*\*\*"/);
      const metrics = path.join(dir, `metrics-${target}.json`);
      const json = record(`${target} json run`, cli(["run", "workflow.yaml", "--target", target, ...half(canary), "--log-format", "json", "--metrics-out", metrics]));
      expect(json.code, json.stderr).toBe(1);
      expect(json.stdout).toMatch(/"type":"step-failure","[^\n]*"step":"echo"/);
      outputs.push({ what: `${target} metrics`, text: readFileSync(metrics, "utf8") });
      const status = record(`${target} status`, cli(["status", "--target", target]));
      expect(status.code).toBe(0);
      const runId = /"runId":"([^"]+)"/.exec(json.stdout)![1]!;
      const detail = record(`${target} status ${runId}`, cli(["status", runId, "--target", target, "--json"]));
      expect(detail.stdout).toMatch(/\*\*\*/);
    }
    // The description shows where the run went, never the password.
    expect(outputs.find((o) => o.what === "vaulted run stderr")!.text).toMatch(new RegExp(`postgres postgres://postgres:\\*\\*\\*@${pg.host.replace(/\./g, "\\.")}`));
    expect(outputs.find((o) => o.what === "enved run stderr")!.text).toMatch(new RegExp(`postgres host=\\S+ port=\\d+ user=postgres database=${decodeURIComponent(pg.pathname.slice(1))}\\b`));
    expect(resolutions().length).toBeGreaterThan(0);

    // The ledger, every table of it, as stored.
    const conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 0 });
    try {
      for (const p of ["v", "e", "f"]) {
        const staging = schemas(`${prefix}_${p}`).staging;
        const tables = await conn.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${staging}' AND table_name LIKE 'omopetl%' ORDER BY 1`);
        expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["omopetl_run", "omopetl_step_run"]));
        for (const { table_name } of tables) {
          const rows = await conn.query(`SELECT * FROM "${staging}"."${table_name}"`);
          // The run and step tables always have rows; the row accounting's only when a step dropped rows.
          if (table_name === "omopetl_run" || table_name === "omopetl_step_run") expect(rows.length).toBeGreaterThan(0);
          outputs.push({ what: `ledger ${staging}.${table_name}`, text: JSON.stringify(rows) });
        }
      }
    } finally {
      await conn.close();
    }
  });

  it("a run that cannot connect, or whose secret cannot be resolved, says why without the secret", () => {
    const down = record("unreachable run", cli(["run", "workflow.yaml", "--target", "unreachable", "--log-format", "json"]));
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/CONNECTION_FAILED: could not connect to postgres: postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test/);
    const unset = record("unset run", cli(["run", "workflow.yaml", "--target", "unset"]));
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(/SECRET_UNRESOLVED: targets\.unset\.password: cannot resolve \$\{env:OMOPETL_TEST_SURELY_UNSET\}: the environment variable OMOPETL_TEST_SURELY_UNSET is not set\./);
  });

  it("a connection error that echoes a secret (a database name from a reference) is masked", () => {
    // PGlite accepts any database name, so this one needs a real server (listed in test/setup/pglite-limits.ts).
    const r = record("wrong-database run", cli(["run", "workflow.yaml", "--target", "wrongdb"]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CONNECTION_FAILED: could not connect to postgres: postgres:\/\/\S+\/\*\*\*: database "\*\*\*" does not exist/);
  });

  it("(checked last) no canary in any output, plan, metrics file or ledger table", () => {
    expect(outputs.length).toBeGreaterThan(20);
    for (const { what, text } of outputs) for (const c of canaries) expect(text.includes(c), `${what} contains a canary`).toBe(false);
  });
});
