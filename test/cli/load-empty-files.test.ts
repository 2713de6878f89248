import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { fixturesDir } from "../helpers/paths.js";
import { dropPgSchemas, ENGINES, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "../helpers/two-engines.js";

/**
 * Empty files (issue 13: "an empty (0-byte) file loads differently per engine"): DuckDB read a 0-byte csv as one
 * column `column0` and failed the header check, PostgreSQL said "has no header line"; without a header DuckDB failed
 * sniffing it and PostgreSQL loaded no rows. One behaviour now: a 0-byte file is LOAD_EMPTY_FILE (located by
 * `validate`, the same message from both engines when the file became empty after compiling, nothing written); a
 * file of a header line and no rows loads no rows. Fixture: test/fixtures/loads/empty (claims: header, glob
 * claims*.csv; plain: header: false).
 */
const prefix = `lemp_${process.pid}_${Date.now().toString(36)}`;
let dir: string;
const dataFile = (name: string) => path.join(dir, "data", name);
const source = (engine: EngineName) => engineSchemas(prefix, engine).source;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-lemp-"));
  cpSync(path.join(fixturesDir, "loads/empty"), dir, { recursive: true });
  chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
  chmodSync(path.join(dir, "data"), 0o755);
  writeTwoEngineConfig(dir, prefix);
});

afterAll(() => dropPgSchemas(dir, prefix));

const cli = (args: string[]) => runCli(args, { cwd: dir });
const rows = (engine: EngineName, table: string) => queryEngine(dir, engine, `SELECT id, code FROM ${source(engine)}.${table} ORDER BY id`);
/** The LOAD_EMPTY_FILE message of a failed run, without what the CLI adds (the SQLSTATE, the attempt). */
const emptyLine = (stderr: string): string | undefined => /(LOAD_EMPTY_FILE: .*)/.exec(stderr)?.[1]?.replace(/( \[[0-9A-Z]{5}\])? \(attempt \d+\/\d+\)$/, "");

describe("empty files load the same way on every engine", () => {
  it("a header-only file loads no rows (beside a file with rows, and alone)", async () => {
    writeFileSync(dataFile("claims_2.csv"), "id,code\n");
    const loaded: unknown[] = [];
    for (const engine of ENGINES) {
      const r = cli(["run", "workflow.yaml", "--target", engine]);
      expect(r.code, r.stderr).toBe(0);
      expect(await rows(engine, "claims")).toEqual([
        { id: 1, code: "A" },
        { id: 2, code: "B" },
      ]);
      expect(await rows(engine, "plain")).toEqual([{ id: 3, code: "C" }]);
      loaded.push(await rows(engine, "claims"));
    }
    expect(loaded[1]).toEqual(loaded[0]);

    writeFileSync(dataFile("claims.csv"), "id,code\r\n"); // a header alone, with a Windows line end
    for (const engine of ENGINES) {
      const r = cli(["run", "workflow.yaml", "--target", engine]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("claims  0 inserted");
      expect(await rows(engine, "claims")).toEqual([]);
    }
    writeFileSync(dataFile("claims.csv"), "id,code\n1,A\n2,B\n");
    rmSync(dataFile("claims_2.csv"));
  });

  it("validate: a 0-byte file of a load that reads a header is located at its files: entry", () => {
    writeFileSync(dataFile("claims_2.csv"), "");
    try {
      const r = cli(["validate", "workflow.yaml"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `dml/claims.yaml:3:8 error LOAD_EMPTY_FILE: "../data/claims_2.csv" is empty (0 bytes), but the load reads a header line first.`,
      );
      expect(r.stderr).toContain("Write the header line (a file of a header and no rows loads no rows), or remove the file from the load's files.");
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      expect(r.stderr).not.toContain("plain.yaml");
    } finally {
      rmSync(dataFile("claims_2.csv"));
    }
  });

  const messages: Partial<Record<EngineName, string>> = {};
  for (const engine of ENGINES) {
    it(`${engine}: a file that became empty after compiling fails the load with LOAD_EMPTY_FILE, and the table keeps its rows`, async () => {
      const plan = path.join(dir, `plan-${engine}.json`);
      const compiled = cli(["compile", "workflow.yaml", "-o", plan]);
      expect(compiled.code, compiled.stderr).toBe(0);
      const ok = cli(["run", plan, "--target", engine]);
      expect(ok.code, ok.stderr).toBe(0);
      const before = await rows(engine, "claims");
      expect(before).toHaveLength(2);

      writeFileSync(dataFile("claims_2.csv"), "");
      try {
        const r = cli(["run", plan, "--target", engine]);
        expect(r.code).toBe(1);
        const line = emptyLine(r.stderr);
        expect(line).toBe(
          `LOAD_EMPTY_FILE: ${dataFile("claims_2.csv")} is empty (0 bytes), but the load reads a header line first. ` +
            "Write the header line (a file of a header and no rows loads no rows), or remove the file from the load's files.",
        );
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(await rows(engine, "claims")).toEqual(before);
        messages[engine] = line!;
      } finally {
        rmSync(dataFile("claims_2.csv"));
      }
    });
  }

  it("both engines refuse with the same message", () => {
    expect(messages.duckdb).toBeDefined();
    expect(messages.pg).toBe(messages.duckdb);
  });

  it("a 0-byte file of a load without header line: LOAD_EMPTY_FILE from validate and from both engines, with its own fix", async () => {
    const plan = path.join(dir, "plan-plain.json");
    const compiled = cli(["compile", "workflow.yaml", "-o", plan]);
    expect(compiled.code, compiled.stderr).toBe(0);
    writeFileSync(dataFile("plain.csv"), "");
    const tail = "is empty (0 bytes): an extract that wrote nothing is refused rather than loaded as no rows";
    const fix = "Remove the file from the load's files, or check the export that wrote it.";
    try {
      const v = cli(["validate", "workflow.yaml"]);
      expect(v.code).toBe(1);
      expect(v.stderr).toContain(`dml/plain.yaml:3:8 error LOAD_EMPTY_FILE: "../data/plain.csv" ${tail}. ${fix}`);
      const seen: string[] = [];
      for (const engine of ENGINES) {
        const before = await rows(engine, "plain");
        const r = cli(["run", plan, "--target", engine]);
        expect(r.code).toBe(1);
        seen.push(emptyLine(r.stderr)!);
        expect(await rows(engine, "plain")).toEqual(before);
      }
      expect(seen[0]).toBe(`LOAD_EMPTY_FILE: ${dataFile("plain.csv")} ${tail}. ${fix}`);
      expect(seen[1]).toBe(seen[0]);
    } finally {
      writeFileSync(dataFile("plain.csv"), "3,C\n");
    }
  });
});
