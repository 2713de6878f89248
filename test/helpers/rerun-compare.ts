import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { runCli, type CliResult } from "./cli.js";
import { dropPgSchemas, engineSchemas, queryEngine, writeTwoEngineConfig, type EngineName } from "./two-engines.js";

/**
 * Comparing a re-run on an old database with a fresh run: ids differ between the two (a re-run keeps old ids where
 * a fresh run numbers from 1), so every id column is replaced by the source key it stands for in the id map.
 */
export interface ComparedTable {
  /** Columns compared (as text). */
  columns: readonly string[];
  /** Id column -> the id domain it holds. */
  ids?: Readonly<Record<string, string>>;
}

/** A CDM table's rows with every id replaced by its source key, as sorted JSON lines. */
export async function tableContent(dir: string, engine: EngineName, prefix: string, table: string, spec: ComparedTable): Promise<string[]> {
  const s = engineSchemas(prefix, engine);
  const map = `${s.staging}.omopetl_id_map`;
  const cols = spec.columns.map((c) => {
    const domain = spec.ids?.[c];
    return domain
      ? `(SELECT m.source_key FROM ${map} AS m WHERE m.domain = '${domain}' AND m.id = t.${c}) AS ${c}`
      : `CAST(t.${c} AS VARCHAR) AS ${c}`;
  });
  const rows = await queryEngine(dir, engine, `SELECT ${cols.join(", ")} FROM ${s.cdm}.${table} AS t`);
  return rows.map((r) => JSON.stringify(r)).sort();
}

/** A run's failure as the user sees it, without what differs between two databases (prefixes, run ids, times). */
export function failureLines(r: CliResult, prefix: string): string {
  return r.stderr
    .replaceAll(prefix, "<prefix>")
    .split("\n")
    .filter((l) => /error|failed|✖|in dml\//i.test(l))
    .map((l) => l.replace(/\d+(\.\d+)?s\b/g, "<t>").replace(/run \S+/g, "run <id>").replace(/--resume \S+/g, "--resume <id>"))
    .join("\n");
}

/** The source files of a re-run test: rows of patients.csv, visits.csv and claims.csv (without their headers). */
export interface RerunSource {
  patients: string[];
  visits: string[];
  claims: string[];
}

/** The two databases of a re-run test: "old" is re-run after the source changed, "fresh" is run on a new database. */
export type RerunDb = "old" | "fresh";

/** What {@link rerunFixture} gives a test file. */
export interface RerunFixture {
  /** Each database's project folder (set in beforeAll). */
  dirs: Record<RerunDb, string>;
  /** Each database's schema prefix. */
  prefixes: Record<RerunDb, string>;
  /** Writes `source` as the data files of `db`'s project. */
  writeSource(db: RerunDb, source: RerunSource): void;
  /** `omopetl run workflow.yaml --target <engine> ...more` in `db`'s project. */
  run(db: RerunDb, engine: EngineName, ...more: string[]): CliResult;
  /** A fresh run: on a new database (the fresh folder's DuckDB file removed, its PostgreSQL schemas dropped), `...more` passed on. */
  runFresh(engine: EngineName, source: RerunSource, ...more: string[]): Promise<CliResult>;
}

/**
 * Two projects of one workflow on both engines, created before the file's tests and their PostgreSQL schemas dropped
 * after: `workflow` and `dml` (file -> text, under dml/) written into each, data files read from data/.
 */
export function rerunFixture(name: string, workflow: string, dml: Readonly<Record<string, string>>): RerunFixture {
  const stamp = `${process.pid}_${Date.now().toString(36)}`;
  const prefixes = { old: `${name}_o_${stamp}`, fresh: `${name}_f_${stamp}` };
  const dirs = {} as Record<RerunDb, string>;
  beforeAll(() => {
    for (const db of ["old", "fresh"] as const) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-${name}-${db}-`));
      chmodSync(dir, 0o755); // the PostgreSQL server reads the files itself, as its own user
      dirs[db] = dir;
      for (const f of Object.keys(dml)) mkdirSync(path.dirname(path.join(dir, "dml", f)), { recursive: true });
      mkdirSync(path.join(dir, "data"));
      writeFileSync(path.join(dir, "workflow.yaml"), workflow);
      for (const [f, text] of Object.entries(dml)) writeFileSync(path.join(dir, "dml", f), text);
      writeTwoEngineConfig(dir, prefixes[db]);
    }
  });
  afterAll(async () => {
    for (const db of ["old", "fresh"] as const) if (dirs[db]) await dropPgSchemas(dirs[db], prefixes[db]);
  });
  const writeSource = (db: RerunDb, s: RerunSource): void => {
    const d = path.join(dirs[db], "data");
    writeFileSync(path.join(d, "patients.csv"), ["id,gender,birthdate", ...s.patients, ""].join("\n"));
    writeFileSync(path.join(d, "visits.csv"), ["id,patient,start", ...s.visits, ""].join("\n"));
    writeFileSync(path.join(d, "claims.csv"), ["id,visit,amount", ...s.claims, ""].join("\n"));
  };
  const run = (db: RerunDb, engine: EngineName, ...more: string[]): CliResult =>
    runCli(["run", "workflow.yaml", "--target", engine, ...more], { cwd: dirs[db] });
  const runFresh = async (engine: EngineName, source: RerunSource, ...more: string[]): Promise<CliResult> => {
    if (engine === "duckdb") for (const f of ["omop.duckdb", "omop.duckdb.wal"]) rmSync(path.join(dirs.fresh, f), { force: true });
    else await dropPgSchemas(dirs.fresh, prefixes.fresh);
    writeSource("fresh", source);
    return run("fresh", engine, ...more);
  };
  return { dirs, prefixes, writeSource, run, runFresh };
}
