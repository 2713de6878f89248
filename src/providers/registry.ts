/**
 * Providers by name: the built-in ones (duckdb, postgres, spark) and third-party ones named in a project's configuration
 * (`providers: [omopetl-provider-x, "@scope/omopetl-provider-y", ./local/provider.js]`), resolved from the
 * project's directory the way Node resolves its imports.
 */
import { didYouMean } from "../core/diagnostics/did-you-mean.js";
import { importPluginModule, pickPluginExport, pluginPackageCandidates } from "../core/plugins/load-plugin.js";
import { duckdbProvider } from "./duckdb/index.js";
import { postgresProvider } from "./postgres/index.js";
import { sparkProvider } from "./spark/index.js";
import type { Provider, ProviderCapabilities } from "./provider-api.js";
import { PROVIDER_API_VERSION, V1_CAPABILITY_DEFAULTS } from "./provider-api.js";
import { providerDuplicate, providerInvalid, providerNotFound } from "./provider-errors.js";

/** Package-name prefix of third-party providers. */
const PROVIDER_PACKAGE_PREFIX = "omopetl-provider-";

/** The providers shipped with omopetl. Their drivers load only when they connect. */
export const BUILTIN_PROVIDERS: readonly Provider[] = [duckdbProvider, postgresProvider, sparkProvider];

/** Where and what to resolve. */
export interface ResolveProvidersOptions {
  /** The project directory (where omopetl.config.* lives); packages and relative paths resolve from here. */
  projectDir: string;
  /** Third-party providers from the configuration: package names or paths. */
  configured?: readonly string[];
}

/** Providers by name, each remembering where it came from (for duplicate messages). */
export class ProviderRegistry {
  private readonly byName = new Map<string, { provider: Provider; source: string }>();

  /** @throws PROVIDER_DUPLICATE when the name is taken. */
  register(provider: Provider, source: string): void {
    const existing = this.byName.get(provider.name);
    if (existing) throw providerDuplicate(provider.name, existing.source, source);
    this.byName.set(provider.name, { provider, source });
  }

  get(name: string): Provider | undefined {
    return this.byName.get(name)?.provider;
  }

  /** @throws PROVIDER_NOT_FOUND, with the closest name when it looks like a typo. */
  require(name: string): Provider {
    const p = this.get(name);
    if (p) return p;
    const names = this.names();
    const suggestion = didYouMean(name, names);
    throw providerNotFound(
      name,
      `no built-in or configured provider has this name${suggestion ? `. ${suggestion}` : ""}`,
      `Available: ${names.join(", ")}. A third-party provider is named in the configuration's "providers:" list (e.g. omopetl-provider-${name}).`,
    );
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

/** The built-ins plus every configured provider (all are loaded, so duplicate names are always reported). */
export async function loadProviderRegistry(options: ResolveProvidersOptions): Promise<ProviderRegistry> {
  const registry = new ProviderRegistry();
  for (const p of BUILTIN_PROVIDERS) registry.register(p, `built-in provider "${p.name}"`);
  for (const spec of options.configured ?? []) {
    const { provider, source } = await importProvider(spec, options.projectDir);
    registry.register(provider, source);
  }
  return registry;
}

/** The provider called `name`, among the built-ins and the configured ones. */
export async function resolveProvider(name: string, options: ResolveProvidersOptions): Promise<Provider> {
  return (await loadProviderRegistry(options)).require(name);
}

/** Package names to try for `spec`: the conventional omopetl-provider-<x> form first, then the name as written. */
export function packageCandidates(spec: string): string[] {
  return pluginPackageCandidates(spec, PROVIDER_PACKAGE_PREFIX);
}

/**
 * Imports a third-party provider: a path (relative to `projectDir`) or a package installed where `projectDir`
 * can import it. Its module must export the Provider as `default` or `provider` (or a function returning one).
 */
export async function importProvider(spec: string, projectDir: string): Promise<{ provider: Provider; source: string }> {
  const { module, source } = await importPluginModule(spec, projectDir, {
    prefix: PROVIDER_PACKAGE_PREFIX,
    notFound: (what) => providerNotFound(spec, what.detail, what.kind === "path" ? "Paths in the providers list are relative to the project directory." : `Install it in the project: npm install ${what.candidates[0]}`),
    importFailed: (file, message) => providerInvalid(spec, [`importing ${file} failed: ${message}`]),
  });
  // A provider object has a `generator`; a default export without one but with `provider` is a CommonJS module.
  const exported = await pickPluginExport(module, { name: "provider", isPlugin: (def) => "generator" in def });
  return { provider: validateProvider(exported, spec), source };
}

type CapabilityType = "boolean" | "number" | "string[]" | "transactions";
/** Every capability's type; optional ones end in "?" (absent is fine, a wrong type is not). */
const CAPABILITY_TYPES: Record<keyof ProviderCapabilities, CapabilityType | `${CapabilityType}?`> = {
  merge: "boolean",
  onConflict: "boolean",
  transactionalDdl: "boolean",
  createOrReplaceTable: "boolean",
  serverSideFileLoad: "boolean",
  fileUriSchemes: "string[]",
  fileGlobs: "boolean",
  parquet: "boolean",
  alterTableAddPrimaryKey: "boolean",
  alterTableAddForeignKey: "boolean",
  indexes: "boolean",
  nullsOrdering: "boolean",
  tempTables: "boolean",
  maxIdentifierLength: "number",
  standardIndexes: "boolean?",
  transactions: "transactions",
  singleWriter: "boolean",
  maxConcurrency: "number?",
  fileNameColumns: "boolean?",
};

const TRANSACTION_SUPPORT = ["none", "statement", "multi-statement"];

/** Is `v` of the capability type `type`? */
function hasCapabilityType(v: unknown, type: string): boolean {
  switch (type) {
    case "string[]":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "transactions":
      return typeof v === "string" && TRANSACTION_SUPPORT.includes(v);
    case "number":
      return typeof v === "number" && Number.isInteger(v) && v > 0;
    default:
      return typeof v === type;
  }
}

/** How a capability's expected type reads in a PROVIDER_INVALID message. */
function describeCapabilityType(type: string): string {
  if (type === "transactions") return `one of ${TRANSACTION_SUPPORT.map((t) => JSON.stringify(t)).join(", ")}`;
  if (type === "number") return "a positive integer";
  return `a ${type}`;
}

/**
 * Checks that `value` is a Provider of an API version this omopetl loads (1 or {@link PROVIDER_API_VERSION}). A
 * version 1 provider is returned as a copy whose capabilities add {@link V1_CAPABILITY_DEFAULTS} (it cannot declare
 * them); everything else is returned as is. @throws PROVIDER_INVALID listing every problem.
 */
export function validateProvider(value: unknown, spec: string): Provider {
  const problems: string[] = [];
  if (value === null || typeof value !== "object") {
    throw providerInvalid(spec, [`the export is ${value === null ? "null" : typeof value}, not a provider object`]);
  }
  const p = value as Record<string, unknown>;
  if (typeof p["name"] !== "string" || !/^[a-z][a-z0-9_-]*$/.test(p["name"])) {
    problems.push(`"name" must be a lower-case name such as "snowflake" (got ${JSON.stringify(p["name"])})`);
  }
  const v1 = p["apiVersion"] === 1;
  if (!v1 && p["apiVersion"] !== PROVIDER_API_VERSION) {
    problems.push(
      `"apiVersion" is ${JSON.stringify(p["apiVersion"])}; this omopetl implements provider API version ${PROVIDER_API_VERSION} (and still loads version 1)`,
    );
  }
  if (typeof p["dialect"] !== "string" || p["dialect"] === "") problems.push(`"dialect" must be a non-empty string`);
  const declared = p["capabilities"];
  const caps = v1 && declared !== null && typeof declared === "object" ? { ...V1_CAPABILITY_DEFAULTS, ...declared } : declared;
  if (caps === null || typeof caps !== "object") problems.push(`"capabilities" must be an object`);
  else {
    // Grouped by expected type, so a provider missing many capabilities gets a message that stays readable.
    const wrong = new Map<string, string[]>();
    const missingV2: string[] = [];
    for (const [key, expected] of Object.entries(CAPABILITY_TYPES)) {
      const v = (caps as Record<string, unknown>)[key];
      const type = expected.replace("?", "");
      if (expected.endsWith("?") && v === undefined) continue;
      if (hasCapabilityType(v, type)) continue;
      (wrong.get(type) ?? wrong.set(type, []).get(type)!).push(`capabilities.${key}`);
      if (!v1 && v === undefined && key in V1_CAPABILITY_DEFAULTS) missingV2.push(key);
    }
    for (const [type, keys] of wrong) problems.push(`${keys.join(", ")} must ${keys.length === 1 ? "be" : "each be"} ${describeCapabilityType(type)}`);
    if (missingV2.length > 0) problems.push(`${missingV2.join(" and ")} ${missingV2.length === 1 ? "is" : "are"} new in provider API version 2 (see docs/writing-a-provider.md)`);
  }
  const gen = p["generator"];
  if (gen === null || typeof gen !== "object") problems.push(`"generator" must be an object with renderStep and renderDdl`);
  else {
    for (const fn of ["renderStep", "renderDdl"]) {
      if (typeof (gen as Record<string, unknown>)[fn] !== "function") problems.push(`generator.${fn} must be a function`);
    }
  }
  if (p["connect"] !== undefined && typeof p["connect"] !== "function") problems.push(`"connect" must be a function when present`);
  if (p["classifyError"] !== undefined && typeof p["classifyError"] !== "function") problems.push(`"classifyError" must be a function when present`);
  if (problems.length > 0) throw providerInvalid(spec, problems);
  // A copy keeps the module's own object untouched (its generator may read its own capabilities).
  return v1 ? ({ ...p, capabilities: caps } as unknown as Provider) : (value as Provider);
}
