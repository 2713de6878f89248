/**
 * Runs one of omopetl's compile fixtures (test/fixtures/compile/<name> of the omopetl repository) by omopetl's CLI on
 * SQLite and on the built-in DuckDB provider, from data files written to a temporary folder, and reads the tables it
 * wrote on both: what the tests of the DML kinds (kind: era, kind: observation_period) share.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { duckdbProvider } from "omopetl/provider/duckdb";
import provider from "../src/index.js";
import { omopetlDir, packageDir, specDir } from "./paths.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const omopetlPackage = require.resolve("omopetl/package.json");
const cli = path.join(path.dirname(omopetlPackage), JSON.parse(readFileSync(omopetlPackage, "utf8")).bin.omopetl);

/**
 * Writes `files` to a fresh folder, configures targets `sq` (SQLite) and `dk` (DuckDB) there, and returns how to run
 * the fixture on a target (`-p source_dir=<folder>`) and to read queries' rows (bigints as numbers, values in order).
 */
export function fixtureTargets(fixture, files) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-sqlite-${fixture}-`));
  const workflow = path.join(omopetlDir, "test/fixtures/compile", fixture, "workflow.yaml");
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const paths = { sq: path.join(dir, "target.sqlite"), dk: path.join(dir, "target.duckdb") };
  writeFileSync(
    path.join(dir, "omopetl.config.yaml"),
    [
      `providers: [${JSON.stringify(path.join(packageDir, "src/index.js"))}]`,
      "targets:",
      `  sq: { provider: sqlite, path: ${JSON.stringify(paths.sq)} }`,
      `  dk: { provider: duckdb, path: ${JSON.stringify(paths.dk)} }`,
    ].join("\n"),
  );
  return {
    /** Runs the fixture's workflow on target "sq" or "dk". */
    omopetl: (target) =>
      run(process.execPath, [cli, "run", workflow, "--target", target, "--config", path.join(dir, "omopetl.config.yaml"), "--spec-dir", specDir, "-p", `source_dir=${dir}`], { cwd: dir }),
    /** A connection to target "sq" or "dk". */
    connect: (target) => (target === "sq" ? provider.connect({ provider: "sqlite", path: paths.sq }) : duckdbProvider.connect({ provider: "duckdb", path: paths.dk })),
  };
}

/** Each query's rows as lists of values (bigints as numbers), so both engines' results compare. */
export async function contents(conn, queries) {
  const out = {};
  for (const [t, sql] of Object.entries(queries)) out[t] = (await conn.query(sql)).map((r) => Object.values(r).map((v) => (typeof v === "bigint" ? Number(v) : v)));
  return out;
}
