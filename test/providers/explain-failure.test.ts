/**
 * RenderedStep.explainFailure, as executeRenderedStep runs it on real engines: after a statement with an explanation
 * fails and the step rolls back, the explaining statements run and the first of them to fail is the step's error;
 * when none fails, the original error stands; a statement without an explanation fails as it always did; and a
 * step that succeeds never runs them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { executeRenderedStep, SqlExecutionError, type Connection, type Provider, type RenderedStep } from "../../src/providers/provider-api.js";
import { PG_URL } from "../helpers/postgres-server.js";

const schema = `explain_${process.pid}_${Date.now().toString(36)}`;
/** Fails the statement with `msg` on either engine (DuckDB's error(), PostgreSQL's cast of text to integer). */
const fail = (p: Provider, msg: string): string => (p.dialect === "duckdb" ? `SELECT error('${msg}')` : `SELECT CAST('${msg}' AS INTEGER)`);

describe.each([duckdbProvider, postgresProvider])("explainFailure on $dialect", (provider) => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await provider.connect!(provider.dialect === "duckdb" ? { provider: "duckdb" } : { provider: "postgres", url: PG_URL, retries: 0 });
    await conn.execute(`CREATE SCHEMA ${schema}`);
  });
  afterAll(async () => {
    await conn?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await conn?.close();
  });

  const step = (explain: string[], failing = 1): RenderedStep => ({
    statements: [`CREATE TABLE ${schema}.t (x INTEGER)`, failing === 1 ? fail(provider, "marker") : "SELECT 1", fail(provider, "later")],
    transactional: true,
    explainFailure: [{ statement: 1, statements: explain }],
  });
  const tableExists = async (): Promise<boolean> =>
    (await conn.query<{ n: number | bigint }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = '${schema}' AND table_name = 't'`)).map((r) => Number(r.n))[0] === 1;

  it("the first explaining statement to fail gives the error, at the failed statement's index; the step rolled back", async () => {
    const e = await executeRenderedStep(conn, "s", step(["SELECT 1", fail(provider, "named row 7"), fail(provider, "never")])).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SqlExecutionError);
    expect((e as SqlExecutionError).statementIndex).toBe(1);
    expect((e as Error).message).toContain("named row 7");
    expect((e as Error).message).not.toContain("marker");
    expect(await tableExists()).toBe(false);
  });

  it("when no explaining statement fails, the original error stands", async () => {
    const e = await executeRenderedStep(conn, "s", step(["SELECT 1"])).catch((x: unknown) => x);
    expect((e as Error).message).toContain("marker");
    expect(await tableExists()).toBe(false);
  });

  it("a failure of a statement without an explanation is reported as it is", async () => {
    const e = await executeRenderedStep(conn, "s", step([fail(provider, "never")], 2)).catch((x: unknown) => x);
    expect((e as SqlExecutionError).statementIndex).toBe(2);
    expect((e as Error).message).toContain("later");
    expect((e as Error).message).not.toContain("never");
  });

  it("when the connection refuses to run the explaining statements (a stopped step), the original error stands", async () => {
    let calls = 0;
    // The orchestrator's guard refuses new work once a step's timeout or the run's interrupt stopped it.
    const refusing: Connection = Object.assign(Object.create(conn) as Connection, {
      transaction: <T>(fn: (tx: Connection) => Promise<T>): Promise<T> => (++calls === 1 ? conn.transaction(fn) : Promise.reject(new Error("step stopped: timed out"))),
    });
    const e = await executeRenderedStep(refusing, "s", step([fail(provider, "never")])).catch((x: unknown) => x);
    expect(calls).toBe(2);
    expect((e as SqlExecutionError).statementIndex).toBe(1);
    expect((e as Error).message).toContain("marker");
    expect((e as Error).message).not.toContain("stopped");
  });

  it("a step that succeeds never runs its explaining statements", async () => {
    const ok: RenderedStep = { statements: [`CREATE TABLE ${schema}.t (x INTEGER)`, `DROP TABLE ${schema}.t`], transactional: true, explainFailure: [{ statement: 1, statements: [fail(provider, "never")] }] };
    await expect(executeRenderedStep(conn, "s", ok)).resolves.toBeDefined();
  });
});
