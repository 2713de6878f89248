/**
 * Providers by name: the built-in ones (duckdb, postgres) and third-party ones named in a project's configuration
 * (`providers: [omopetl-provider-x, "@scope/omopetl-provider-y", ./local/provider.js]`), resolved from the
 * project's directory the way Node resolves its imports.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { didYouMean } from "../core/diagnostics/did-you-mean.js";
import { duckdbProvider } from "./duckdb/index.js";
import { postgresProvider } from "./postgres/index.js";
import type { Provider, ProviderCapabilities } from "./provider-api.js";
import { PROVIDER_API_VERSION } from "./provider-api.js";
import { providerDuplicate, providerInvalid, providerNotFound } from "./provider-errors.js";

/** The providers shipped with omopetl. Their drivers load only when they connect. */
export const BUILTIN_PROVIDERS: readonly Provider[] = [duckdbProvider, postgresProvider];

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

/** True when `spec` names a file rather than a package. */
function isPathSpec(spec: string): boolean {
  return spec.startsWith("./") || spec.startsWith("../") || spec === "." || spec === ".." || isAbsolute(spec) || /\.(c|m)?js$/.test(spec);
}

/** Package names to try for `spec`: the conventional omopetl-provider-<x> form first, then the name as written. */
export function packageCandidates(spec: string): string[] {
  const scoped = /^(@[^/]+)\/(.+)$/.exec(spec);
  if (scoped) {
    const [, scope, name] = scoped as unknown as [string, string, string];
    return name.startsWith("omopetl-provider-") ? [spec] : [`${scope}/omopetl-provider-${name}`, spec];
  }
  return spec.startsWith("omopetl-provider-") ? [spec] : [`omopetl-provider-${spec}`, spec];
}

/**
 * Imports a third-party provider: a path (relative to `projectDir`) or a package installed where `projectDir`
 * can import it. Its module must export the Provider as `default` or `provider` (or a function returning one).
 */
export async function importProvider(spec: string, projectDir: string): Promise<{ provider: Provider; source: string }> {
  let file: string | undefined;
  let source = "";
  if (isPathSpec(spec)) {
    file = resolve(projectDir, spec);
    source = file;
    if (!existsSync(file)) throw providerNotFound(spec, `no file at ${file}`, "Paths in the providers list are relative to the project directory.");
  } else {
    const candidates = packageCandidates(spec);
    for (const name of candidates) {
      file = resolvePackage(name, projectDir);
      if (file) {
        source = `package "${name}"`;
        break;
      }
    }
    if (!file) {
      throw providerNotFound(spec, `no package ${candidates.map((c) => `"${c}"`).join(" or ")} can be imported from ${projectDir}`, `Install it in the project: npm install ${candidates[0]}`);
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw providerInvalid(spec, [`importing ${file} failed: ${e instanceof Error ? e.message : String(e)}`]);
  }
  return { provider: await validateProvider(await exportedProvider(mod), spec), source };
}

/** The export that should be the provider: `provider`, `default`, or `default.provider` (CommonJS). */
async function exportedProvider(mod: Record<string, unknown>): Promise<unknown> {
  const def = mod["default"];
  let value: unknown =
    mod["provider"] ??
    (def !== null && typeof def === "object" && "provider" in def && !("generator" in def) ? (def as { provider: unknown }).provider : def);
  if (typeof value === "function") value = await (value as () => unknown)();
  return value;
}

/**
 * Resolves a package's entry file from `fromDir` like an import would: through require.resolve (packages with a
 * "require" or "default" export), else by reading node_modules/<name>/package.json for ESM-only packages.
 */
function resolvePackage(name: string, fromDir: string): string | undefined {
  const req = createRequire(join(resolve(fromDir), "__omopetl_resolve__.js"));
  try {
    return req.resolve(name);
  } catch {
    // ESM-only exports ("import" condition only) are invisible to require.resolve: read the package ourselves.
  }
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const pkgDir = join(dir, "node_modules", name);
    const pkgJson = join(pkgDir, "package.json");
    if (existsSync(pkgJson)) {
      const entry = esmEntry(JSON.parse(readFileSync(pkgJson, "utf8")) as Record<string, unknown>);
      const file = entry ? join(pkgDir, entry) : undefined;
      return file && existsSync(file) ? file : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** The "." entry of a package.json for an ESM import: exports (import/node/default conditions), else main. */
function esmEntry(pkg: Record<string, unknown>): string | undefined {
  const pick = (e: unknown): string | undefined => {
    if (typeof e === "string") return e;
    if (Array.isArray(e)) {
      for (const x of e) {
        const r = pick(x);
        if (r) return r;
      }
      return undefined;
    }
    if (e && typeof e === "object") {
      const o = e as Record<string, unknown>;
      if ("." in o) return pick(o["."]);
      for (const cond of ["import", "node", "default"]) if (cond in o) return pick(o[cond]);
    }
    return undefined;
  };
  return pick(pkg["exports"]) ?? (typeof pkg["main"] === "string" ? pkg["main"] : "index.js");
}

const CAPABILITY_TYPES: Record<keyof ProviderCapabilities, "boolean" | "number" | "string[]"> = {
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
};

/**
 * Checks that `value` is a Provider of this API version. @throws PROVIDER_INVALID listing every problem.
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
  if (p["apiVersion"] !== PROVIDER_API_VERSION) {
    problems.push(`"apiVersion" is ${JSON.stringify(p["apiVersion"])}; this omopetl implements provider API version ${PROVIDER_API_VERSION}`);
  }
  if (typeof p["dialect"] !== "string" || p["dialect"] === "") problems.push(`"dialect" must be a non-empty string`);
  const caps = p["capabilities"];
  if (caps === null || typeof caps !== "object") problems.push(`"capabilities" must be an object`);
  else {
    for (const [key, type] of Object.entries(CAPABILITY_TYPES)) {
      const v = (caps as Record<string, unknown>)[key];
      const ok = type === "string[]" ? Array.isArray(v) && v.every((x) => typeof x === "string") : typeof v === type;
      if (!ok) problems.push(`capabilities.${key} must be a ${type}`);
    }
  }
  const gen = p["generator"];
  if (gen === null || typeof gen !== "object") problems.push(`"generator" must be an object with renderStep and renderDdl`);
  else {
    for (const fn of ["renderStep", "renderDdl"]) {
      if (typeof (gen as Record<string, unknown>)[fn] !== "function") problems.push(`generator.${fn} must be a function`);
    }
  }
  if (p["connect"] !== undefined && typeof p["connect"] !== "function") problems.push(`"connect" must be a function when present`);
  if (problems.length > 0) throw providerInvalid(spec, problems);
  return value as Provider;
}
