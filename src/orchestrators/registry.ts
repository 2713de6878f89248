import { importPluginModule, isPluginPath, pluginExportCandidates } from "../core/plugins/load-plugin.js";
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

/** Package-name prefix of third-party orchestrators. */
const ORCHESTRATOR_PACKAGE_PREFIX = "omopetl-orchestrator-";

/** Imports a module spec (path or package) from `projectDir` and validates its export. */
export async function loadOrchestratorModule(spec: string, projectDir: string): Promise<Orchestrator> {
  const { module } = await importPluginModule(spec, projectDir, {
    prefix: ORCHESTRATOR_PACKAGE_PREFIX,
    notFound: (what) =>
      what.kind === "path"
        ? orchestratorNotFound(spec, `tried ${what.file} from ${projectDir}`)
        : orchestratorNotFound(spec, `tried ${what.candidates.join(", ")} from ${projectDir}`, `Install it (npm install ${what.candidates[0]}) or give a path to a module.`),
    importFailed: (file, message) => orchestratorNotFound(spec, `${file} could not be loaded: ${message.split("\n")[0]}`),
  });
  // ESM: `export default` or `export const orchestrator`; CommonJS: module.exports (arrives as default) or its
  // `orchestrator` property. The first valid one wins; otherwise the first one's problems are reported.
  const candidates = pluginExportCandidates(module, "orchestrator");
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
  if (configured.length > 0 && !isPluginPath(spec)) {
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
