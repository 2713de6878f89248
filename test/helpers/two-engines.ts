import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Connection } from "../../src/providers/provider-api.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { specDir } from "./paths.js";
import { PG_URL } from "./postgres-server.js";

/**
 * The two engines of the CLI tests that run one workflow on both and compare: target "duckdb" (a file in the test's
 * folder, default schema names) and target "pg" (the test server, schemas named after a per-test prefix).
 */
export const ENGINES = ["duckdb", "pg"] as const;
export type EngineName = (typeof ENGINES)[number];

/** The physical schemas of `engine`'s target. */
export function engineSchemas(prefix: string, engine: EngineName): Record<"source" | "staging" | "cdm" | "vocab", string> {
  return engine === "duckdb"
    ? { source: "src", staging: "stage", cdm: "cdm", vocab: "cdm" }
    : { source: `${prefix}_src`, staging: `${prefix}_stage`, cdm: `${prefix}_cdm`, vocab: `${prefix}_cdm` };
}

/** Writes `dir`/omopetl.config.yaml with the two targets and the offline spec. */
export function writeTwoEngineConfig(dir: string, prefix: string): void {
  const targets = {
    duckdb: { provider: "duckdb", path: "./omop.duckdb", schemas: engineSchemas(prefix, "duckdb") },
    pg: { provider: "postgres", url: PG_URL, retries: 0, schemas: engineSchemas(prefix, "pg") },
  };
  writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\ntargets: ${JSON.stringify(targets)}\n`);
}

/** Runs one query on `engine`'s database (a fresh connection, closed after). */
export async function queryEngine(dir: string, engine: EngineName, sql: string): Promise<Record<string, unknown>[]> {
  const conn: Connection =
    engine === "duckdb"
      ? await duckdbProvider.connect!({ provider: "duckdb", path: path.join(dir, "omop.duckdb") })
      : await postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 0 });
  try {
    return await conn.query(sql);
  } finally {
    await conn.close();
  }
}

/** Drops the test's PostgreSQL schemas. */
export async function dropPgSchemas(dir: string, prefix: string): Promise<void> {
  await queryEngine(dir, "pg", ["src", "stage", "cdm"].map((s) => `DROP SCHEMA IF EXISTS "${prefix}_${s}" CASCADE`).join("; "));
}
