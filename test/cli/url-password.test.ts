import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactUrl, redactUrlsInText, urlPasswords } from "../../src/core/secrets/url-password.js";
import { maskSecrets } from "../../src/orchestrators/redact.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { runCli } from "../helpers/cli.js";
import { specDir } from "../helpers/paths.js";
import { PG_URL } from "../helpers/postgres-server.js";

/**
 * Secrets masked whole (issue 14): a URL's password is found by parsing the URL, so one containing "@", ":", "/" or
 * "%40" is masked entirely, never as `postgres://u:***@ssPw0rd...@host`.
 */
describe("URL passwords", () => {
  const cases: Array<[string, string]> = [
    ["postgres://u:pass@host/db", "postgres://u:***@host/db"],
    ["postgres://u:p@ssPw0rd@host:5432/db", "postgres://u:***@host:5432/db"],
    ["postgres://u:a:b:c@host/db", "postgres://u:***@host/db"],
    ["postgres://u:pa/ss@host/db", "postgres://u:***@host/db"],
    ["postgres://u:p%40ss%2Fw@host/db", "postgres://u:***@host/db"],
    ["postgres://u:p?#@host/db?sslmode=require", "postgres://u:***@host/db?sslmode=require"],
    ["postgres://host/db?user=u&password=s3cr%40t&sslmode=require", "postgres://host/db?user=u&password=***&sslmode=require"],
    ["postgres://u@host/db", "postgres://u@host/db"],
    ["s3://bucket/path/a:b@c.csv", "s3://bucket/path/a:b@c.csv"],
    ["./relative:path@x", "./relative:path@x"],
  ];
  for (const [url, redacted] of cases) it(`redacts ${url}`, () => expect(redactUrl(url)).toBe(redacted));

  it("lists the password as written and decoded, for masking anywhere", () => {
    expect(urlPasswords("postgres://u:p%40ss%2Fw@host/db").sort()).toEqual(["p%40ss%2Fw", "p@ss/w"]);
    expect(urlPasswords("postgres://u:p@ss:w/rd@host/db")).toEqual(["p@ss:w/rd"]);
    expect(urlPasswords("postgres://u@host/db")).toEqual([]);
  });

  it("masks URLs inside engine messages, and known secrets however short the URL part", () => {
    const msg = 'could not connect to postgres://etl:p@ss:w/rd@db.example:5432/omop: "postgres://etl:x@y/z" refused';
    expect(redactUrlsInText(msg)).toBe('could not connect to postgres://etl:***@db.example:5432/omop: "postgres://etl:***@y/z" refused');
    expect(maskSecrets('password "p@ss:w/rd" rejected', ["p@ss:w/rd"])).toBe('password "***" rejected');
  });
});

describe("a password with @, : and / never leaves the process (PostgreSQL, trust auth ignores it)", () => {
  const prefix = `urlpw_${process.pid}_${Date.now().toString(36)}`;
  const stage = `${prefix}_stage`;
  const password = "p@ssPw0rd:w%2Frd%40x";
  const fragments = ["p@ssPw0rd", "ssPw0rd", "w%2Frd", "w/rd@x", "rd%40x"];
  let dir: string;
  let url: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-urlpw-"));
    mkdirSync(path.join(dir, "dml"));
    const u = new URL(PG_URL);
    url = `postgres://${u.username || "postgres"}:${password}@${u.host}${u.pathname}`;
    writeFileSync(path.join(dir, "workflow.yaml"), 'name: urlpw\ncdm_version: "5.4"\nparams:\n  echo: { type: string, default: x }\nsteps:\n  - dml: dml/ok.yaml\n  - dml: dml/echo.yaml\n');
    writeFileSync(path.join(dir, "dml/ok.yaml"), "kind: sql\nwrites: [{ table: staging.ok, columns: { n: integer } }]\nsql:\n  - DROP TABLE IF EXISTS ${schemas.staging}.ok\n  - CREATE TABLE ${schemas.staging}.ok AS SELECT 1 AS n\n");
    // The engine echoes the value it cannot convert: here, the whole connection string.
    writeFileSync(path.join(dir, "dml/echo.yaml"), "kind: sql\nreads: [staging.ok]\nwrites: []\nsql: SELECT CAST(${params.echo} AS integer)\n");
    const schemas = { source: `${prefix}_src`, staging: stage, cdm: `${prefix}_cdm`, vocab: `${prefix}_cdm` };
    writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\ntargets: ${JSON.stringify({ pg: { provider: "postgres", url, retries: 0, schemas } })}\n`);
  });

  afterAll(async () => {
    const conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 0 });
    try {
      for (const s of ["src", "stage", "cdm"]) await conn.execute(`DROP SCHEMA IF EXISTS "${prefix}_${s}" CASCADE`);
    } finally {
      await conn.close();
    }
  });

  it("header, errors, JSON logs, metrics, status and the ledger show it masked", async () => {
    const texts: Array<[string, string]> = [];
    const metrics = path.join(dir, "metrics.json");
    const run = runCli(["run", "workflow.yaml", "--target", "pg", "-p", `echo=${url}`], { cwd: dir });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/postgres postgres:\/\/postgres:\*\*\*@/);
    expect(run.stderr).toMatch(/invalid input syntax for type integer: "postgres:\/\/postgres:\*\*\*@/);
    texts.push(["run", run.stdout + run.stderr]);
    const json = runCli(["run", "workflow.yaml", "--target", "pg", "-p", `echo=${url}`, "--log-format", "json", "--metrics-out", metrics], { cwd: dir });
    expect(json.code).toBe(1);
    texts.push(["json run", json.stdout + json.stderr], ["metrics", readFileSync(metrics, "utf8")]);
    const runId = /"runId":"([^"]+)"/.exec(json.stdout)![1]!;
    const status = runCli(["status", "--target", "pg"], { cwd: dir });
    const detail = runCli(["status", runId, "--target", "pg", "--json"], { cwd: dir });
    expect(detail.stdout).toMatch(/\*\*\*/);
    texts.push(["status", status.stdout + status.stderr], ["status detail", detail.stdout + detail.stderr]);
    const conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 0 });
    try {
      for (const t of ["omopetl_run", "omopetl_step_run"]) texts.push([t, JSON.stringify(await conn.query(`SELECT * FROM "${stage}"."${t}"`))]);
    } finally {
      await conn.close();
    }
    for (const [what, text] of texts) for (const f of fragments) expect(text, `${what} contains "${f}"`).not.toContain(f);
  });
});
