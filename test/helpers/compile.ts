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
