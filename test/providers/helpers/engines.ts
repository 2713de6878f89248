/**
 * Real engines for provider tests: an in-memory DuckDB, and the Postgres server of the test environment with a
 * uniquely named set of schemas per test file (dropped afterwards).
 */
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { duckdbProvider } from "../../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../../src/providers/postgres/index.js";
import type { Connection, Provider, RenderContext, RenderedStep } from "../../../src/providers/provider-api.js";
import { executeRenderedStep } from "../../../src/providers/provider-api.js";
import { uniqueTag } from "../../../src/providers/conformance/conformance-harness.js";
import type { PlanStep } from "../../../src/core/model/plan.js";
import { PG_URL } from "../../helpers/postgres-server.js";

/** The test Postgres (test/helpers/postgres-server.ts: the server at OMOPETL_TEST_PG_URL, or PGlite). */
export { PG_URL };

export type EngineName = "duckdb" | "postgres";

export interface Engine {
  name: EngineName;
  provider: Provider;
  conn: Connection;
  /** Physical schema names for the logical schemas used by the tests (unique per engine instance). */
  schemas: Record<string, string>;
  /** Drops what the tests created and closes the connection. */
  dispose(): Promise<void>;
}

/** Logical schemas the tests use. */
export const LOGICAL_SCHEMAS = ["source", "staging", "cdm", "vocab"] as const;

/** A short unique tag, safe in identifiers (the conformance suite's). */
export { uniqueTag };

export async function openEngine(name: EngineName, label: string): Promise<Engine> {
  const tag = `${label}_${uniqueTag()}`;
  const schemas: Record<string, string> = {};
  for (const l of LOGICAL_SCHEMAS) schemas[l] = `t_${tag}_${l}`;
  if (name === "duckdb") {
    const conn = await duckdbProvider.connect!({ provider: "duckdb", path: ":memory:" });
    return { name, provider: duckdbProvider, conn, schemas, dispose: () => conn.close() };
  }
  const conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 0 });
  const dispose = async (): Promise<void> => {
    try {
      for (const s of new Set(Object.values(schemas))) await conn.execute(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    } finally {
      await conn.close();
    }
  };
  return { name, provider: postgresProvider, conn, schemas, dispose };
}

/** Renders and runs one step; returns the step's row count. */
export async function runStep(engine: Engine, step: PlanStep, ctx: RenderContext): Promise<number | undefined> {
  const rendered = engine.provider.generator.renderStep(step, ctx);
  return (await executeRenderedStep(engine.conn, step.name, rendered)).rowCount;
}

export async function runRendered(engine: Engine, name: string, rendered: RenderedStep): Promise<void> {
  await executeRenderedStep(engine.conn, name, rendered);
}

/** The table's full contents as comparable text (shared with the conformance suite). */
export { dump } from "../../../src/providers/conformance/table-dump.js";

/** A temp dir the database server can read (Postgres reads load files as its own OS user). */
export async function readableTempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "omopetl-prov-"));
  await chmod(dir, 0o755);
  return dir;
}

export async function writeReadable(dir: string, name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content, "utf8");
  await chmod(path, 0o644);
  return path;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
