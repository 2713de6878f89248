/**
 * Secret providers by scheme: the built-in ones (env, file) and those named in the configuration's `secrets:` list
 * (`secrets: [omopetl-secrets-vault, "@acme/omopetl-secrets-kms", ./my-secrets.js]`), resolved from the project's
 * folder the way Node resolves its imports, as providers are.
 */
import { didYouMean } from "../../core/diagnostics/did-you-mean.js";
import { importPluginModule, pickPluginExport, pluginPackageCandidates } from "../../core/plugins/load-plugin.js";
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

/** Package names to try for `spec`: the conventional omopetl-secrets-<x> form first, then the name as written. */
export function secretPackageCandidates(spec: string): string[] {
  return pluginPackageCandidates(spec, SECRET_PACKAGE_PREFIX);
}

/**
 * Imports a third-party secret provider: a path (relative to `projectDir`) or a package installed where
 * `projectDir` can import it. Its module must export it as `default` or `secretProvider` (or a function returning one).
 */
export async function importSecretProvider(spec: string, projectDir: string): Promise<{ provider: SecretProvider; source: string }> {
  const { module, source } = await importPluginModule(spec, projectDir, {
    prefix: SECRET_PACKAGE_PREFIX,
    notFound: (what) => secretProviderNotFound(spec, what.detail, what.kind === "path" ? 'Paths in the "secrets:" list are relative to the configuration\'s folder.' : `Install it in the project: npm install ${what.candidates[0]}`),
    importFailed: (file, message) => secretProviderInvalid(spec, [`importing ${file} failed: ${message}`]),
  });
  return { provider: validateSecretProvider(await pickPluginExport(module, { name: "secretProvider" }), spec), source };
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
