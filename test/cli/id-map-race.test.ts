import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { runCli } from "../helpers/cli.js";
import { specDir } from "../helpers/paths.js";
import { PG_URL } from "../helpers/postgres-server.js";

/**
 * Independent steps assigning surrogate ids side by side on a fresh PostgreSQL database used to race creating the id
 * map (`duplicate key value violates unique constraint "pg_type_typname_nsp_index"`, the step failed). The run now
 * creates the id map before its steps. Five fresh databases (schema sets), four id-assigning steps at once each.
 */
const prefix = `idrace_${process.pid}_${Date.now().toString(36)}`;
let dir: string;
const ROUNDS = 5;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-idrace-"));
  chmodSync(dir, 0o755); // the PostgreSQL server reads the file itself, as its own user
  mkdirSync(path.join(dir, "dml"));
  mkdirSync(path.join(dir, "data"));
  writeFileSync(path.join(dir, "data/items.csv"), `id\n${Array.from({ length: 50 }, (_, i) => `k${i}`).join("\n")}\n`);
  const names = ["a", "b", "c", "d"];
  writeFileSync(path.join(dir, "workflow.yaml"), `name: idrace\ncdm_version: "5.4"\nsteps:\n  - dml: dml/items.yaml\n${names.map((n) => `  - dml: dml/${n}.yaml\n`).join("")}`);
  writeFileSync(path.join(dir, "dml/items.yaml"), "kind: load\ntarget: source.items\nfiles: ../data/items.csv\ncolumns: { id: varchar }\n");
  for (const n of names) {
    writeFileSync(
      path.join(dir, `dml/${n}.yaml`),
      `kind: transform\ntarget: staging.ids_${n}\nmode: replace\nfrom: source.items AS i\nids:\n  item_id: { source_key: [i.id], domain: items_${n} }\ncolumns:\n  code: i.id\n`,
    );
  }
  const targets: Record<string, unknown> = {};
  for (let r = 0; r < ROUNDS; r++) {
    targets[`pg${r}`] = { provider: "postgres", url: PG_URL, retries: 0, schemas: { source: `${prefix}_${r}_src`, staging: `${prefix}_${r}_stage`, cdm: `${prefix}_${r}_cdm`, vocab: `${prefix}_${r}_cdm` } };
  }
  writeFileSync(path.join(dir, "omopetl.config.yaml"), `spec: { dir: ${JSON.stringify(specDir)} }\ntargets: ${JSON.stringify(targets)}\n`);
});

afterAll(async () => {
  const c = await postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 0 });
  try {
    for (let r = 0; r < ROUNDS; r++) for (const s of ["src", "stage", "cdm"]) await c.execute(`DROP SCHEMA IF EXISTS "${prefix}_${r}_${s}" CASCADE`);
  } finally {
    await c.close();
  }
});

describe("the id map on a fresh PostgreSQL database", () => {
  it(`four steps assigning ids at once succeed, ${ROUNDS} fresh databases over`, () => {
    for (let r = 0; r < ROUNDS; r++) {
      const res = runCli(["run", "workflow.yaml", "--target", `pg${r}`, "--concurrency", "4"], { cwd: dir });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toMatch(/5 ok · /);
    }
  }, 120_000);
});
