/**
 * Golden SQL per dialect for hand-built steps (fixtures/<case>/case.ts -> fixtures/<case>/_expected/<dialect>/<step>.sql;
 * UPDATE_GOLDEN=1 rewrites them), and every golden statement executed by the real engine: DuckDB in memory,
 * Postgres inside one transaction rolled back at the end.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import type { Connection, Provider } from "../../src/providers/provider-api.js";
import { SqlExecutionError } from "../../src/providers/provider-api.js";
import * as b from "./helpers/plan-builders.js";
import type { GoldenCase } from "./helpers/golden.js";
import { goldenText } from "./helpers/golden.js";
import { PG_URL, readableTempDir, removeDir, writeReadable } from "./helpers/engines.js";

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "fixtures");
const UPDATE = process.env["UPDATE_GOLDEN"] === "1";
const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(FIXTURES, d.name, "case.ts")))
  .map((d) => d.name)
  .sort();

const PROVIDERS: Provider[] = [duckdbProvider, postgresProvider];

describe.each(cases)("golden %s", (name) => {
  let gc: GoldenCase;
  let dir: string;
  beforeAll(async () => {
    gc = ((await import(pathToFileURL(join(FIXTURES, name, "case.ts")).href)) as { default: GoldenCase }).default;
    dir = await readableTempDir();
    for (const [file, content] of Object.entries(gc.files ?? {})) await writeReadable(dir, file, content);
  });
  afterAll(async () => {
    if (dir) await removeDir(dir);
  });

  it.each(PROVIDERS.map((p) => [p.dialect, p] as const))("renders the expected %s SQL, which the engine executes", async (_d, provider) => {
    const ctx = { ...b.context(gc.tables, gc.schemas), ...(gc.indexes !== undefined ? { indexes: gc.indexes } : {}) };
    const steps = gc.steps(dir);
    const rendered = steps.map((s) => provider.generator.renderStep(s, ctx));
    for (const [i, step] of steps.entries()) {
      const text = goldenText(step, rendered[i]!, dir);
      const path = join(FIXTURES, name, "_expected", provider.dialect, `${step.name}.sql`);
      if (UPDATE) {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, text);
      } else {
        expect(existsSync(path), `${path} is missing: run with UPDATE_GOLDEN=1 to create it`).toBe(true);
        expect(text, `${name}/${provider.dialect}/${step.name}.sql`).toBe(await readFile(path, "utf8"));
      }
    }
    // Every statement must be accepted by the real engine, in order.
    const conn = await provider.connect!(provider.dialect === "duckdb" ? { provider: "duckdb" } : { provider: "postgres", url: PG_URL, retries: 0 });
    try {
      const run = async (c: Connection): Promise<void> => {
        for (const [i, step] of steps.entries()) {
          for (const [j, sql] of rendered[i]!.statements.entries()) {
            try {
              await c.execute(sql);
            } catch (e) {
              throw new SqlExecutionError(step.name, j, sql, e);
            }
          }
        }
      };
      if (provider.dialect === "duckdb") await run(conn);
      else {
        // One transaction for the whole case, rolled back: nothing is left behind on the shared server.
        await conn.session(async (s) => {
          await s.execute("BEGIN");
          try {
            await run(s);
          } finally {
            await s.execute("ROLLBACK");
          }
        });
      }
    } finally {
      await conn.close();
    }
  });
});
