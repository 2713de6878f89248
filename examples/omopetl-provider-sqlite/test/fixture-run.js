/**
 * One of omopetl's golden compile fixtures (test/fixtures/compile/<name>) run by omopetl's CLI into a SQLite file
 * and a DuckDB file, its `source_dir` a temporary folder holding the given files: what the tests comparing SQLite's
 * rows with DuckDB's, and a re-run's with a first run's, share.
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
 * Prepares the fixture `name` with `files` in a fresh folder; `extraArgs` go to every `omopetl run` (e.g. an
 * `--exclude`). Returns `run(target)` ("sq" or "dk") and `connect(target)`.
 */
export function fixtureRun(name, files, extraArgs = []) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `omopetl-sqlite-${name}-`));
  const paths = { sq: path.join(dir, `${name}.sqlite`), dk: path.join(dir, `${name}.duckdb`) };
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  writeFileSync(
    path.join(dir, "omopetl.config.yaml"),
    [
      `providers: [${JSON.stringify(path.join(packageDir, "src/index.js"))}]`,
      "targets:",
      `  sq: { provider: sqlite, path: ${JSON.stringify(paths.sq)} }`,
      `  dk: { provider: duckdb, path: ${JSON.stringify(paths.dk)} }`,
    ].join("\n"),
  );
  const workflow = path.join(omopetlDir, `test/fixtures/compile/${name}/workflow.yaml`);
  return {
    run: (target) =>
      run(process.execPath, [cli, "run", workflow, ...extraArgs, "--target", target, "--config", path.join(dir, "omopetl.config.yaml"), "--spec-dir", specDir, "-p", `source_dir=${dir}`], { cwd: dir }),
    connect: (target) => (target === "sq" ? provider.connect({ provider: "sqlite", path: paths.sq }) : duckdbProvider.connect({ provider: "duckdb", path: paths.dk })),
  };
}
