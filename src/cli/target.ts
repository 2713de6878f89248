import path from "node:path";
import { didYouMean } from "../core/diagnostics/did-you-mean.js";
import { OmopetlError } from "../core/diagnostics/diagnostic.js";
import type { RunTarget } from "../orchestrators/orchestrator-api.js";
import { redactUrl, urlPasswords } from "../core/secrets/url-password.js";
import type { Provider, TargetConfig } from "../providers/provider-api.js";
import type { LoadedConfig } from "./config.js";
import { maskError } from "./secrets/mask-error.js";
import { secretReferenceNotAllowed } from "./secrets/secret-errors.js";
import { hasReferences, parseSecretTemplate, templateText } from "./secrets/secret-reference.js";
import { containsSecretReferences, resolveSecretReferences } from "./secrets/secret-resolver.js";

/** The target used when `--target` is not given. */
export const DEFAULT_TARGET = "default";
/** The database used when the configuration defines no targets: a DuckDB file in the working directory. */
export const EMBEDDED_DUCKDB_FILE = "omop.duckdb";

/** A configured target, ready to connect (not connected). */
export interface ResolvedTarget {
  name: string;
  /** Connection options with their secret references resolved and relative paths made absolute. Contains secrets. */
  config: TargetConfig;
  /** Secret-free, e.g. `duckdb ./omop.duckdb` or `postgres postgres://etl:***@db/omop`. */
  description: string;
  /** Values never to print: every resolved reference, secret-named options (password, token...), URL passwords. */
  secrets: string[];
  /** True when no target was configured and the embedded DuckDB file is used. */
  embedded: boolean;
}

/** A target as configured, checked, its secret references not yet resolved. */
interface PreparedTarget {
  name: string;
  /** Options as written, literal paths made absolute; references intact. Contains no resolved secret. */
  options: TargetConfig;
  embedded: boolean;
}

const configError = (message: string, hint?: string) => new OmopetlError({ code: "TARGET_INVALID", severity: "error", message, ...(hint ? { hint } : {}) }, 2);

/** Keys whose values are secrets. */
const SECRET_KEY = /pass(word)?|secret|token|credential|api_?key|private_?key/i;
/** Keys holding a connection URL, whose password part is a secret. */
const URL_KEY = /^(url|uri|dsn|connection_?string)$/i;
/** Keys whose values are files relative to the configuration's folder. */
const PATH_KEYS = new Set(["path"]);

/** The secret values of a target's options: secret-named keys, and passwords inside URLs. */
export function targetSecrets(config: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const visit = (o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === "string") {
        if (SECRET_KEY.test(k) && v.length > 0) out.add(v);
        for (const p of urlPasswords(v)) out.add(p);
      } else if (v && typeof v === "object" && !Array.isArray(v)) visit(v as Record<string, unknown>);
    }
  };
  visit(config);
  return [...out].filter((s) => s.length > 0);
}

/** True when `v` is a string with a secret reference (malformed ones were reported when the target was prepared). */
function referenced(v: unknown): v is string {
  try {
    return typeof v === "string" && hasReferences(parseSecretTemplate(v, ""));
  } catch {
    return false;
  }
}

/**
 * A secret-free one-line description of a target's options. With `written` (the options as configured), an option
 * whose value came from a secret reference shows the reference (`user=${env:PGUSER}`), except URLs, which show the
 * resolved URL with its password masked.
 */
export function describeTarget(config: TargetConfig, cwd = process.cwd(), written?: Record<string, unknown>): string {
  const parts: string[] = [config.provider];
  for (const [k, v] of Object.entries(config)) {
    if (k === "provider" || k === "schemas" || SECRET_KEY.test(k)) continue;
    const ref = written && referenced(written[k]) ? templateText(parseSecretTemplate(written[k], "")) : undefined;
    if (typeof v === "string" && URL_KEY.test(k)) parts.push(redactUrl(v));
    else if (typeof v === "string" && PATH_KEYS.has(k)) {
      if (ref !== undefined) parts.push(ref);
      else {
        const rel = path.relative(cwd, v);
        parts.push(v === ":memory:" ? v : rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? `./${rel}` : v);
      }
    } else if (["host", "port", "database", "user"].includes(k) && (typeof v === "string" || typeof v === "number")) parts.push(`${k}=${ref ?? v}`);
  }
  return parts.join(" ");
}

/** Makes the literal relative paths among `options` absolute (against the configuration's folder), in place. */
function absolutePaths(options: Record<string, unknown>, dir: string, skipReferenced: boolean): void {
  for (const k of PATH_KEYS) {
    const v = options[k];
    if (typeof v !== "string" || v === ":memory:" || /^[a-z][a-z0-9+.-]*:\/\//i.test(v)) continue;
    if (skipReferenced && referenced(v)) continue;
    options[k] = path.resolve(dir, v);
  }
}

/**
 * The target `name` (default "default") from the configuration's `targets:`, checked but with its secret references
 * unresolved. With no targets configured, "default" is an embedded DuckDB file `./omop.duckdb` in the working
 * directory. A literal duckdb `path` is made absolute against the configuration's folder.
 */
function prepareTarget(name: string | undefined, config: LoadedConfig, cwd: string): PreparedTarget {
  const targets = config.config.targets ?? {};
  const wanted = name ?? DEFAULT_TARGET;
  const names = Object.keys(targets).sort();
  if (names.length === 0 && wanted === DEFAULT_TARGET) {
    return { name: wanted, options: { provider: "duckdb", path: path.resolve(cwd, EMBEDDED_DUCKDB_FILE) }, embedded: true };
  }
  const raw = Object.hasOwn(targets, wanted) ? targets[wanted] : undefined;
  if (!raw) {
    const dym = didYouMean(wanted, names);
    throw configError(
      names.length ? `no target named "${wanted}" in ${config.filepath ? path.relative(cwd, config.filepath) || config.filepath : "the configuration"}.${dym ? ` ${dym}` : ""}` : `no target named "${wanted}": the configuration defines no targets.`,
      names.length ? `Targets: ${names.join(", ")}. Pick one with --target <name>.` : `Add one under "targets:", e.g. ${wanted}: { provider: duckdb, path: ./omop.duckdb }`,
    );
  }
  const options = structuredClone(raw) as Record<string, unknown>;
  const where = `targets.${wanted}`;
  // Syntax first (a malformed ${...} anywhere is a configuration error in every command that names the target).
  containsSecretReferences(options, where);
  // The provider and schema names are needed before connecting (to render SQL for dry runs, in the ledger): literal.
  const literalOnly: Array<[string, unknown]> = [[`${where}.provider`, options["provider"]]];
  const schemas = options["schemas"];
  if (schemas && typeof schemas === "object") for (const [k, v] of Object.entries(schemas)) literalOnly.push([`${where}.schemas.${k}`, v]);
  for (const [at, v] of literalOnly) if (referenced(v)) throw secretReferenceNotAllowed(at, templateText(parseSecretTemplate(v, at)));
  if (typeof options["provider"] !== "string" || options["provider"].length === 0) {
    throw configError(`target "${wanted}" has no provider.`, "Add e.g. provider: duckdb (or postgres).");
  }
  if (options["schemas"] !== undefined) {
    const s = options["schemas"];
    if (typeof s !== "object" || s === null || Array.isArray(s) || Object.values(s).some((v) => typeof v !== "string")) {
      throw configError(`target "${wanted}": schemas must map logical schema names to physical ones, e.g. { cdm: cdm, staging: etl }.`);
    }
  }
  absolutePaths(options, config.dir, true);
  return { name: wanted, options: options as TargetConfig, embedded: false };
}

/** Resolves the secret references of `options` (a prepared target's, or a copy an orchestrator changed). */
async function resolveOptions(prepared: PreparedTarget, options: TargetConfig, config: LoadedConfig, onSecret: (v: string) => void): Promise<TargetConfig> {
  const resolved = await resolveSecretReferences(options, `targets.${prepared.name}`, {
    configured: config.config.secrets ?? [],
    configDir: config.dir,
    target: prepared.name,
    onSecret,
  });
  absolutePaths(resolved, config.dir, false);
  return resolved as TargetConfig;
}

/** Adds `values` to `secrets` (in place: reporters hold the same array), skipping ones already there. */
function addSecrets(secrets: string[], values: Iterable<string>): void {
  for (const v of values) if (v.length > 0 && !secrets.includes(v)) secrets.push(v);
}

/**
 * The target `name`, its secret references (`${env:NAME}`, `${file:PATH}`, `${<scheme>:<ref>}` of a configured secret
 * provider) resolved now: only for a caller about to connect. See {@link resolveRunTarget} for one that resolves
 * them when it connects.
 */
export async function resolveTarget(name: string | undefined, config: LoadedConfig, cwd = process.cwd()): Promise<ResolvedTarget> {
  const prepared = prepareTarget(name, config, cwd);
  const secrets: string[] = [];
  const tc = await resolveOptions(prepared, prepared.options, config, (v) => addSecrets(secrets, [v]));
  addSecrets(secrets, targetSecrets(tc));
  return { name: prepared.name, config: tc, description: describeTarget(tc, cwd, prepared.options), secrets, embedded: prepared.embedded };
}

/**
 * The target with its provider (built-in or from the configuration's `providers:`), ready for an orchestrator.
 *
 * Its secret references stay unresolved until the provider connects: `config` holds them as written, and the
 * provider's `connect` resolves them first (so a dry run, which does not connect, never resolves them). Each resolved
 * value joins `secrets`, the same array the reporters and the orchestrator mask with, before the connection is
 * opened; `description` then shows the resolved target (passwords masked); errors leave `connect` masked.
 */
export async function resolveRunTarget(name: string | undefined, config: LoadedConfig, cwd = process.cwd()): Promise<RunTarget & { embedded: boolean }> {
  const prepared = prepareTarget(name, config, cwd);
  const { resolveProviderFromConfig } = await import("./provider-resolution.js");
  const provider = await resolveProviderFromConfig(prepared.options.provider, config);
  if (!prepared.embedded && provider.checkTarget) {
    const { assertTargetOptions } = await import("./config.js");
    assertTargetOptions(prepared.name, prepared.options, provider.checkTarget(prepared.options), config);
  }
  const literal = Object.fromEntries(Object.entries(prepared.options).filter(([, v]) => !referenced(v)));
  const secrets: string[] = [];
  addSecrets(secrets, targetSecrets(literal).filter((s) => !s.includes("${")));
  let description = describeTarget(prepared.options, cwd, prepared.options);
  const resolvedConfigs = new WeakMap<object, Promise<TargetConfig>>();

  const resolveFor = (options: TargetConfig): Promise<TargetConfig> => {
    let p = resolvedConfigs.get(options);
    if (!p) {
      p = resolveOptions(prepared, options, config, (v) => addSecrets(secrets, [v])).then((tc) => {
        addSecrets(secrets, targetSecrets(tc));
        if (options === prepared.options) description = describeTarget(tc, cwd, prepared.options);
        return tc;
      });
      // A failed resolution (an unset variable) is retried by the next connect, not remembered.
      p.catch(() => resolvedConfigs.delete(options));
      resolvedConfigs.set(options, p);
    }
    return p;
  };

  let wrapped: Provider = provider;
  const connect = provider.connect;
  if (connect) {
    // Own properties copied (a spread of the wrapper still sees them; descriptors, so getters and frozen objects
    // work), the rest through the prototype chain; only connect differs.
    wrapped = Object.create(provider, {
      ...Object.getOwnPropertyDescriptors(provider),
      connect: {
        enumerable: true,
        writable: true,
        configurable: true,
        value: async (options: TargetConfig) => {
          try {
            return await connect.call(provider, await resolveFor(options));
          } catch (e) {
            maskError(e, secrets);
            throw e;
          }
        },
      },
    }) as Provider;
  }
  return {
    name: prepared.name,
    provider: wrapped,
    config: prepared.options,
    get description() {
      return description;
    },
    secrets,
    embedded: prepared.embedded,
  };
}
