import path from "node:path";
import { didYouMean } from "../core/diagnostics/did-you-mean.js";
import { OmopetlError } from "../core/diagnostics/diagnostic.js";
import type { RunTarget } from "../orchestrators/orchestrator-api.js";
import { redactUrl } from "../orchestrators/redact.js";
import type { TargetConfig } from "../providers/provider-api.js";
import type { LoadedConfig } from "./config.js";

/** The target used when `--target` is not given. */
export const DEFAULT_TARGET = "default";
/** The database used when the configuration defines no targets: a DuckDB file in the working directory. */
export const EMBEDDED_DUCKDB_FILE = "omop.duckdb";

/** A configured target, ready to connect (not connected). */
export interface ResolvedTarget {
  name: string;
  /** Connection options with `${env:X}` substituted and relative paths made absolute. Contains secrets. */
  config: TargetConfig;
  /** Secret-free, e.g. `duckdb ./omop.duckdb` or `postgres postgres://etl:***@db/omop`. */
  description: string;
  /** Values never to print (passwords, tokens). */
  secrets: string[];
  /** True when no target was configured and the embedded DuckDB file is used. */
  embedded: boolean;
}

const configError = (message: string, hint?: string) => new OmopetlError({ code: "TARGET_INVALID", severity: "error", message, ...(hint ? { hint } : {}) }, 2);

/** Keys whose values are secrets. */
const SECRET_KEY = /pass(word)?|secret|token|credential|api_?key|private_?key/i;
/** Keys holding a connection URL, whose password part is a secret. */
const URL_KEY = /^(url|uri|dsn|connection_?string)$/i;
/** Keys whose values are files relative to the configuration's folder. */
const PATH_KEYS = new Set(["path"]);

/** Replaces `${env:NAME}` in every string of a target's options. */
function substituteEnv(value: unknown, where: string): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = process.env[name];
      if (v === undefined) throw configError(`${where} uses \${env:${name}} but the environment variable ${name} is not set.`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, `${where}[${i}]`));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, `${where}.${k}`)]));
  }
  return value;
}

/** The secret values of a target's options: secret-named keys, and passwords inside URLs. */
export function targetSecrets(config: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const visit = (o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === "string") {
        if (SECRET_KEY.test(k) && v.length > 0) out.add(v);
        const m = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:([^@/?#]*)@/i.exec(v);
        if (m && m[1]) {
          out.add(m[1]);
          try {
            out.add(decodeURIComponent(m[1]));
          } catch {
            // not percent-encoded
          }
        }
      } else if (v && typeof v === "object" && !Array.isArray(v)) visit(v as Record<string, unknown>);
    }
  };
  visit(config);
  return [...out].filter((s) => s.length > 0);
}

/** A secret-free one-line description of a target's options. */
export function describeTarget(config: TargetConfig, cwd = process.cwd()): string {
  const parts: string[] = [config.provider];
  for (const [k, v] of Object.entries(config)) {
    if (k === "provider" || k === "schemas" || SECRET_KEY.test(k)) continue;
    if (typeof v === "string" && URL_KEY.test(k)) parts.push(redactUrl(v));
    else if (typeof v === "string" && PATH_KEYS.has(k)) {
      const rel = path.relative(cwd, v);
      parts.push(v === ":memory:" ? v : rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? `./${rel}` : v);
    } else if (["host", "port", "database", "user"].includes(k) && (typeof v === "string" || typeof v === "number")) parts.push(`${k}=${v}`);
  }
  return parts.join(" ");
}

/**
 * The target `name` (default "default") from the configuration's `targets:`. With no targets configured, "default"
 * is an embedded DuckDB file `./omop.duckdb` in the working directory (`embedded: true`, so the CLI can say so).
 * `${env:NAME}` in option values is replaced from the environment; a duckdb `path` is relative to the
 * configuration's folder.
 */
export async function resolveTarget(name: string | undefined, config: LoadedConfig, cwd = process.cwd()): Promise<ResolvedTarget> {
  const targets = config.config.targets ?? {};
  const wanted = name ?? DEFAULT_TARGET;
  const names = Object.keys(targets).sort();
  if (names.length === 0 && wanted === DEFAULT_TARGET) {
    const file = path.resolve(cwd, EMBEDDED_DUCKDB_FILE);
    const tc: TargetConfig = { provider: "duckdb", path: file };
    return { name: wanted, config: tc, description: describeTarget(tc, cwd), secrets: [], embedded: true };
  }
  const raw = Object.hasOwn(targets, wanted) ? targets[wanted] : undefined;
  if (!raw) {
    const dym = didYouMean(wanted, names);
    throw configError(
      names.length ? `no target named "${wanted}" in ${config.filepath ? path.relative(cwd, config.filepath) || config.filepath : "the configuration"}.${dym ? ` ${dym}` : ""}` : `no target named "${wanted}": the configuration defines no targets.`,
      names.length ? `Targets: ${names.join(", ")}. Pick one with --target <name>.` : `Add one under "targets:", e.g. ${wanted}: { provider: duckdb, path: ./omop.duckdb }`,
    );
  }
  const options = substituteEnv(raw, `targets.${wanted}`) as Record<string, unknown>;
  if (typeof options["provider"] !== "string" || options["provider"].length === 0) {
    throw configError(`target "${wanted}" has no provider.`, "Add e.g. provider: duckdb (or postgres).");
  }
  if (options["schemas"] !== undefined) {
    const s = options["schemas"];
    if (typeof s !== "object" || s === null || Array.isArray(s) || Object.values(s).some((v) => typeof v !== "string")) {
      throw configError(`target "${wanted}": schemas must map logical schema names to physical ones, e.g. { cdm: cdm, staging: etl }.`);
    }
  }
  for (const k of PATH_KEYS) {
    const v = options[k];
    if (typeof v === "string" && v !== ":memory:" && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) options[k] = path.resolve(config.dir, v);
  }
  const tc = options as TargetConfig;
  return { name: wanted, config: tc, description: describeTarget(tc, cwd), secrets: targetSecrets(options), embedded: false };
}

/** The target with its provider (built-in or from the configuration's `providers:`), ready for an orchestrator. */
export async function resolveRunTarget(name: string | undefined, config: LoadedConfig, cwd = process.cwd()): Promise<RunTarget & { embedded: boolean }> {
  const t = await resolveTarget(name, config, cwd);
  const { resolveProviderFromConfig } = await import("./provider-resolution.js");
  const provider = await resolveProviderFromConfig(t.config.provider, config);
  return { name: t.name, provider, config: t.config, description: t.description, secrets: t.secrets, embedded: t.embedded };
}
