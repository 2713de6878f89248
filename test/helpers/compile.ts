import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { compileWorkflow, type CompileResult } from "../../src/core/compile/compile-workflow.js";
import type { ParamOverride } from "../../src/core/compile/params.js";
import { SpecificationManager } from "../../src/core/spec/specification-manager.js";
import { specDir } from "./paths.js";

const manager = new SpecificationManager({ dir: specDir, offline: true });

/** Compiles a workflow against the shared spec CSVs, with diagnostics' paths relative to `cwd`. */
export function compileFixture(workflow: string, cwd: string, params: Record<string, string> = {}): Promise<CompileResult> {
  const overrides: Record<string, ParamOverride> = {};
  for (const [k, v] of Object.entries(params)) overrides[k] = { value: v, baseDir: cwd };
  return compileWorkflow(workflow, { cwd, params: overrides, loadSpec: (v) => manager.load(v) });
}

/** The fixture folders under `root` that hold a workflow.yaml, sorted. */
export function workflowFixtures(root: string): string[] {
  return readdirSync(root).filter((d) => existsSync(path.join(root, d, "workflow.yaml"))).sort();
}

/** Compiles a fixture folder's workflow.yaml with the --param values of its `_params.json` (if any). */
export function compileFixtureDir(dir: string): Promise<CompileResult> {
  const paramsFile = path.join(dir, "_params.json");
  const params = existsSync(paramsFile) ? (JSON.parse(readFileSync(paramsFile, "utf8")) as Record<string, string>) : {};
  return compileFixture("workflow.yaml", dir, params);
}
