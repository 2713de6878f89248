import path from "node:path";
import { OmopetlError } from "../core/diagnostics/diagnostic.js";
import { boundMessage } from "../core/diagnostics/safe-text.js";
import type { ParamOverride } from "../core/compile/params.js";
import type { CompileResult } from "../core/compile/compile-workflow.js";
import type { LoadedConfig } from "./config.js";

export interface GlobalOptions {
  config?: string;
  specDir?: string;
}

/** Parses repeated `--param k=v` into overrides relative to the working directory. */
export function parseParamFlags(flags: readonly string[], cwd: string): Record<string, ParamOverride> {
  const out: Record<string, ParamOverride> = {};
  for (const f of flags) {
    const eq = f.indexOf("=");
    if (eq <= 0) {
      throw new OmopetlError({ code: "USAGE", severity: "error", message: `--param expects key=value, got "${f}".`, hint: "Example: --param source_dir=./synthea" });
    }
    out[f.slice(0, eq).trim()] = { value: f.slice(eq + 1), baseDir: cwd };
  }
  return out;
}

/** Loads configuration and compiles a workflow the way every command does (config params < --param). */
export async function compileFromCli(
  workflow: string,
  paramFlags: readonly string[],
  global: GlobalOptions,
  strict = false,
): Promise<{ result: CompileResult; config: LoadedConfig }> {
  const cwd = process.cwd();
  const { loadConfig } = await import("./config.js");
  const config = await loadConfig(cwd, global.config);
  const params: Record<string, ParamOverride> = {};
  for (const [k, v] of Object.entries(config.config.params ?? {})) params[k] = { value: v, baseDir: config.dir };
  Object.assign(params, parseParamFlags(paramFlags, cwd));
  const manager = await specManager(config, global);
  const { compileWorkflow } = await import("../core/compile/compile-workflow.js");
  const result = await compileWorkflow(workflow, { cwd, params, loadSpec: (v) => manager.load(v) });
  return { result: strict ? strictResult(result) : result, config };
}

/**
 * `--strict` (validate, compile, run): every warning counts as an error — exit 1 and no plan, so nothing runs — for
 * pipelines that must not ship a workflow with a known doubt (a window over ties, an unknown vocabulary, ...).
 */
export function strictResult(result: CompileResult): CompileResult {
  if (!result.diagnostics.some((d) => d.severity === "warning")) return result;
  const diagnostics = result.diagnostics.map((d) =>
    d.severity === "warning" ? { ...d, severity: "error" as const, hint: `${d.hint ? `${d.hint} ` : ""}(a warning, made an error by --strict)` } : d,
  );
  return { diagnostics };
}

/** The SpecificationManager configured by --spec-dir, OMOPETL_SPEC_DIR or the config file. */
export async function specManager(config: LoadedConfig, global: GlobalOptions) {
  const { SpecificationManager } = await import("../core/spec/specification-manager.js");
  const s = config.config.spec ?? {};
  const dir = global.specDir ? path.resolve(global.specDir) : process.env.OMOPETL_SPEC_DIR || (s.dir ? path.resolve(config.dir, s.dir) : undefined);
  return new SpecificationManager({
    ...(dir ? { dir } : {}),
    ...(s.ref ? { ref: s.ref } : {}),
    ...(s.cache_dir ? { cacheDir: path.resolve(config.dir, s.cache_dir) } : {}),
    ...(s.offline !== undefined ? { offline: s.offline } : {}),
    ...(s.github
      ? { github: { ...(s.github.base_url ? { baseUrl: s.github.base_url } : {}), ...(s.github.owner ? { owner: s.github.owner } : {}), ...(s.github.repo ? { repo: s.github.repo } : {}) } }
      : {}),
    onWarning: (m) => process.stderr.write(`warning: ${boundMessage(m)}\n`),
  });
}
