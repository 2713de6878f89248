import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ORCHESTRATOR_API_VERSION, type Orchestrator } from "./orchestrator-api.js";
import { orchestratorDuplicate, orchestratorInvalid, orchestratorNotFound } from "./orchestrator-errors.js";

/**
 * Finding orchestrators. `local` is built in. Others are modules, resolved like providers:
 * - a path (`./my-orchestrator.js`, absolute or relative to the project directory);
 * - a package: `x` -> `omopetl-orchestrator-x`, `@scope/x` -> `@scope/omopetl-orchestrator-x` (full package names
 *   work too), resolved from the project directory's node_modules.
 * Modules listed in the configuration's `orchestrators:` are loaded and known by the `name` they export.
 */

/** Built-in orchestrators, imported only when used. */
const BUILT_IN: Record<string, () => Promise<Orchestrator>> = {
  local: async () => (await import("./local/local-orchestrator.js")).localOrchestrator,
};

/** Names of the built-in orchestrators. */
export const builtInOrchestrators = Object.keys(BUILT_IN);

/** Problems that make `value` unusable as an Orchestrator (empty when it is one). */
export function validateOrchestrator(value: unknown): string[] {
  if (typeof value !== "object" || value === null) return ["the export is not an object"];
  const o = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof o["name"] !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(o["name"])) problems.push("name must be a non-empty string of letters, digits, _ . -");
  if (o["apiVersion"] !== ORCHESTRATOR_API_VERSION) problems.push(`apiVersion must be ${ORCHESTRATOR_API_VERSION} (got ${JSON.stringify(o["apiVersion"])})`);
  if (typeof o["execute"] !== "function") problems.push("execute must be a function (plan, target, options) => Promise<RunResult>");
  return problems;
}

/** A file (relative to the project directory, or absolute) rather than a package name. */
const isPath = (spec: string) => spec.startsWith("./") || spec.startsWith("../") || path.isAbsolute(spec) || /\.(c|m)?js$/.test(spec);

/**
 * A package's entry file as an import from `fromDir` would find it: require.resolve first, else (ESM-only packages,
 * whose "exports" have no require condition) the package.json's import/default export or main.
 */
function resolvePackage(name: string, fromDir: string): string | undefined {
  try {
    return createRequire(path.join(fromDir, "package.json")).resolve(name);
  } catch {
    // fall through to the ESM lookup
  }
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const pkgJson = path.join(dir, "node_modules", name, "package.json");
    if (existsSync(pkgJson)) {
      const pkg = JSON.parse(readFileSync(pkgJson, "utf8")) as { exports?: unknown; main?: unknown };
      const entry = exportEntry(pkg.exports) ?? (typeof pkg.main === "string" ? pkg.main : "index.js");
      const file = path.join(path.dirname(pkgJson), entry);
      return existsSync(file) ? file : undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The "." entry of package.json "exports" for an ESM import. */
function exportEntry(e: unknown): string | undefined {
  if (typeof e === "string") return e;
  if (Array.isArray(e)) return e.map(exportEntry).find((x) => x !== undefined);
  if (e && typeof e === "object") {
    const o = e as Record<string, unknown>;
    if ("." in o) return exportEntry(o["."]);
    for (const c of ["import", "node", "default"]) if (c in o) return exportEntry(o[c]);
  }
  return undefined;
}

/** Package names to try for a spec: itself when already prefixed, else the conventional name. */
function packageNames(spec: string): string[] {
  const m = /^(@[^/]+\/)?(.+)$/.exec(spec)!;
  const scope = m[1] ?? "";
  const base = m[2]!;
  return base.startsWith("omopetl-orchestrator-") ? [spec] : [`${scope}omopetl-orchestrator-${base}`, spec];
}

/** Imports a module spec (path or package) from `projectDir` and validates its export. */
export async function loadOrchestratorModule(spec: string, projectDir: string): Promise<Orchestrator> {
  let file: string | undefined;
  const tried: string[] = [];
  if (isPath(spec)) {
    const p = path.resolve(projectDir, spec);
    tried.push(p);
    if (existsSync(p)) file = p;
  } else {
    for (const name of packageNames(spec)) {
      tried.push(name);
      file = resolvePackage(name, path.resolve(projectDir));
      if (file) break;
    }
  }
  if (!file) {
    throw orchestratorNotFound(spec, `tried ${tried.join(", ")} from ${projectDir}`, isPath(spec) ? undefined : `Install it (npm install ${packageNames(spec)[0]}) or give a path to a module.`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw orchestratorNotFound(spec, `${file} could not be loaded: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  // ESM: `export default` or `export const orchestrator`; CommonJS: module.exports (arrives as default) or its
  // `orchestrator` property.
  const def = mod["default"] as Record<string, unknown> | undefined;
  const candidates = [mod["orchestrator"], def, typeof def === "object" && def !== null ? def["orchestrator"] : undefined].filter((c) => c !== undefined);
  const value = candidates.find((c) => validateOrchestrator(c).length === 0);
  if (value === undefined) throw orchestratorInvalid(spec, candidates.length ? validateOrchestrator(candidates[0]) : ['no export named "orchestrator" and no default export']);
  return value as Orchestrator;
}

/**
 * The orchestrator `spec` names: a built-in, one of the configured modules (by its exported name), or a module spec
 * itself. Configured modules are loaded only when the spec is not built in.
 */
export async function resolveOrchestrator(spec: string, options: { projectDir: string; configured?: readonly string[] }): Promise<Orchestrator> {
  const builtIn = BUILT_IN[spec];
  if (builtIn) return builtIn();
  const configured = options.configured ?? [];
  if (configured.length > 0 && !isPath(spec)) {
    const byName = new Map<string, { orchestrator: Orchestrator; from: string }>();
    for (const m of configured) {
      const o = await loadOrchestratorModule(m, options.projectDir);
      const prev = byName.get(o.name);
      if (prev || BUILT_IN[o.name]) throw orchestratorDuplicate(o.name, prev?.from ?? "built-in", m);
      byName.set(o.name, { orchestrator: o, from: m });
    }
    const hit = byName.get(spec);
    if (hit) return hit.orchestrator;
  }
  return loadOrchestratorModule(spec, options.projectDir);
}
