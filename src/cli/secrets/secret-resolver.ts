import { secretUnresolved } from "./secret-errors.js";
import type { SecretProvider } from "./secret-provider-api.js";
import { loadSecretProviders } from "./secret-provider-registry.js";
import { hasReferences, mapStrings, parseSecretTemplate, stringsOf } from "./secret-reference.js";

/** What resolving a target's references needs. */
export interface ResolveSecretsOptions {
  /** The configuration's `secrets:` list (third-party secret providers). */
  configured: readonly string[];
  /** The configuration's folder: packages, module paths and relative `file:` references resolve from here. */
  configDir: string;
  /** The target's name (passed to providers). */
  target: string;
  /** Receives every resolved value, before anything can print it, so it can be masked. */
  onSecret: (value: string) => void;
}

/** True when some string in `value` has a `${scheme:ref}` reference. @throws SECRET_REFERENCE_INVALID */
export function containsSecretReferences(value: unknown, where: string): boolean {
  for (const s of stringsOf(value, where)) if (hasReferences(parseSecretTemplate(s.value, s.where))) return true;
  return false;
}

/**
 * `options` with every `${scheme:ref}` replaced by its secret and `$${` by `${`. Providers (built-in and configured)
 * load only when there is a reference to resolve; each distinct reference is resolved once.
 * @throws SECRET_REFERENCE_INVALID, SECRET_SCHEME_UNKNOWN, SECRET_UNRESOLVED, SECRET_PROVIDER_*
 */
export async function resolveSecretReferences(options: Record<string, unknown>, where: string, o: ResolveSecretsOptions): Promise<Record<string, unknown>> {
  const needed = containsSecretReferences(options, where);
  const registry = needed ? await loadSecretProviders(o.configured, o.configDir) : undefined;
  const cache = new Map<string, Promise<string>>();
  const resolveOne = (provider: SecretProvider, ref: string, text: string, at: string): Promise<string> => {
    const key = `${provider.scheme}:${ref}`;
    let p = cache.get(key);
    if (!p) {
      p = (async () => {
        let value: unknown;
        try {
          value = await provider.resolve(ref, { configDir: o.configDir, target: o.target, where: at });
        } catch (e) {
          throw secretUnresolved(at, text, e instanceof Error ? e.message : String(e));
        }
        if (typeof value !== "string") throw secretUnresolved(at, text, `the "${provider.scheme}" secret provider returned ${value === null ? "null" : typeof value}, not a string`);
        o.onSecret(value);
        return value;
      })();
      cache.set(key, p);
    }
    return p;
  };
  return (await mapStrings(options, where, async (s, at) => {
    const parts: string[] = [];
    for (const part of parseSecretTemplate(s, at)) {
      parts.push(typeof part === "string" ? part : await resolveOne(registry!.require(part.scheme, at), part.ref, part.text, at));
    }
    return parts.join("");
  })) as Record<string, unknown>;
}
