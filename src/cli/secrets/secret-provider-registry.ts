/**
 * Secret providers by scheme: the built-in ones (env, file) and those named in the configuration's `secrets:` list
 * (`secrets: [omopetl-secrets-vault, "@acme/omopetl-secrets-kms", ./my-secrets.js]`), resolved from the project's
 * folder the way Node resolves its imports, as providers are.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { didYouMean } from "../../core/diagnostics/did-you-mean.js";
import { BUILTIN_SECRET_PROVIDERS } from "./builtin-secret-providers.js";
import { secretProviderDuplicate, secretProviderInvalid, secretProviderNotFound, secretSchemeUnknown } from "./secret-errors.js";
import { SECRET_PROVIDER_API_VERSION, type SecretProvider } from "./secret-provider-api.js";

/** Package-name prefix of third-party secret providers. */
export const SECRET_PACKAGE_PREFIX = "omopetl-secrets-";

/** Secret providers by scheme, each remembering where it came from (for duplicate messages). */
export class SecretProviderRegistry {
  private readonly byScheme = new Map<string, { provider: SecretProvider; source: string }>();

  /** @throws SECRET_PROVIDER_DUPLICATE when the scheme is taken. */
  register(provider: SecretProvider, source: string): void {
    const existing = this.byScheme.get(provider.scheme);
    if (existing) throw secretProviderDuplicate(provider.scheme, existing.source, source);
    this.byScheme.set(provider.scheme, { provider, source });
  }

  /** The provider of `scheme`. @throws SECRET_SCHEME_UNKNOWN (with the closest scheme when it looks like a typo). */
  require(scheme: string, where: string): SecretProvider {
    const found = this.byScheme.get(scheme);
    if (found) return found.provider;
    const dym = didYouMean(scheme, this.schemes());
    throw secretSchemeUnknown(where, scheme, this.schemes(), dym);
  }

  /** Registered schemes, sorted. */
  schemes(): string[] {
    return [...this.byScheme.keys()].sort();
  }
}

/** The built-ins plus every configured secret provider (all are loaded, so duplicate schemes are always reported). */
export async function loadSecretProviders(configured: readonly string[], projectDir: string): Promise<SecretProviderRegistry> {
  const registry = new SecretProviderRegistry();
  for (const p of BUILTIN_SECRET_PROVIDERS) registry.register(p, `built-in secret provider "${p.scheme}"`);
  for (const spec of configured) {
    const { provider, source } = await importSecretProvider(spec, projectDir);
    registry.register(provider, source);
  }
  return registry;
}

/** True when `spec` names a file rather than a package. */
function isPathSpec(spec: string): boolean {
  return spec.startsWith("./") || spec.startsWith("../") || spec === "." || spec === ".." || path.isAbsolute(spec) || /\.(c|m)?js$/.test(spec);
}

/** Package names to try for `spec`: the conventional omopetl-secrets-<x> form first, then the name as written. */
export function secretPackageCandidates(spec: string): string[] {
  const scoped = /^(@[^/]+)\/(.+)$/.exec(spec);
  if (scoped) {
    const [, scope, name] = scoped as unknown as [string, string, string];
    return name.startsWith(SECRET_PACKAGE_PREFIX) ? [spec] : [`${scope}/${SECRET_PACKAGE_PREFIX}${name}`, spec];
  }
  return spec.startsWith(SECRET_PACKAGE_PREFIX) ? [spec] : [`${SECRET_PACKAGE_PREFIX}${spec}`, spec];
}

/**
 * Imports a third-party secret provider: a path (relative to `projectDir`) or a package installed where
 * `projectDir` can import it.
 */
export async function importSecretProvider(spec: string, projectDir: string): Promise<{ provider: SecretProvider; source: string }> {
  let file: string | undefined;
  let source = "";
  if (isPathSpec(spec)) {
    file = path.resolve(projectDir, spec);
    source = file;
    if (!existsSync(file)) throw secretProviderNotFound(spec, `no file at ${file}`, 'Paths in the "secrets:" list are relative to the configuration\'s folder.');
  } else {
    const candidates = secretPackageCandidates(spec);
    for (const name of candidates) {
      file = resolvePackage(name, projectDir);
      if (file) {
        source = `package "${name}"`;
        break;
      }
    }
    if (!file) {
      throw secretProviderNotFound(spec, `no package ${candidates.map((c) => `"${c}"`).join(" or ")} can be imported from ${projectDir}`, `Install it in the project: npm install ${candidates[0]}`);
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw secretProviderInvalid(spec, [`importing ${file} failed: ${e instanceof Error ? e.message : String(e)}`]);
  }
  return { provider: validateSecretProvider(await exportedSecretProvider(mod), spec), source };
}

/** The export that should be the provider: `secretProvider`, `default`, or `default.secretProvider` (CommonJS). */
async function exportedSecretProvider(mod: Record<string, unknown>): Promise<unknown> {
  const def = mod["default"];
  let value: unknown =
    mod["secretProvider"] ?? (def !== null && typeof def === "object" && "secretProvider" in def ? (def as { secretProvider: unknown }).secretProvider : def);
  if (typeof value === "function") value = await (value as () => unknown)();
  return value;
}

/** Checks that `value` is a SecretProvider of this API version. @throws SECRET_PROVIDER_INVALID listing every problem. */
export function validateSecretProvider(value: unknown, spec: string): SecretProvider {
  if (value === null || typeof value !== "object") {
    throw secretProviderInvalid(spec, [`the export is ${value === null ? "null" : typeof value}, not a secret provider object`]);
  }
  const p = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof p["scheme"] !== "string" || !/^[a-z][a-z0-9_-]*$/.test(p["scheme"])) {
    problems.push(`"scheme" must be a lower-case name such as "vault" (got ${JSON.stringify(p["scheme"])})`);
  }
  if (p["apiVersion"] !== SECRET_PROVIDER_API_VERSION) {
    problems.push(`"apiVersion" is ${JSON.stringify(p["apiVersion"])}; this omopetl implements secret provider API version ${SECRET_PROVIDER_API_VERSION}`);
  }
  if (typeof p["resolve"] !== "function") problems.push(`"resolve" must be a function (ref) => Promise<string>`);
  if (p["description"] !== undefined && typeof p["description"] !== "string") problems.push(`"description" must be a string when present`);
  if (problems.length > 0) throw secretProviderInvalid(spec, problems);
  return value as SecretProvider;
}

/**
 * Resolves a package's entry file from `fromDir` like an import would: through require.resolve (packages with a
 * "require" or "default" export), else by reading node_modules/<name>/package.json for ESM-only packages.
 */
function resolvePackage(name: string, fromDir: string): string | undefined {
  const req = createRequire(path.join(path.resolve(fromDir), "__omopetl_resolve__.js"));
  try {
    return req.resolve(name);
  } catch {
    // ESM-only exports ("import" condition only) are invisible to require.resolve: read the package ourselves.
  }
  for (let dir = path.resolve(fromDir); ; dir = path.dirname(dir)) {
    const pkgDir = path.join(dir, "node_modules", name);
    const pkgJson = path.join(pkgDir, "package.json");
    if (existsSync(pkgJson)) {
      const entry = esmEntry(JSON.parse(readFileSync(pkgJson, "utf8")) as Record<string, unknown>);
      const file = entry ? path.join(pkgDir, entry) : undefined;
      return file && existsSync(file) ? file : undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
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
