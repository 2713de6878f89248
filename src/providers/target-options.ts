/**
 * The options a target may set in the configuration's `targets:`, per built-in provider, as strict zod schemas: an
 * unknown key (`pth:` for `path:`) or a value out of range (`port: 99999`) is an error, never silently ignored.
 *
 * This is the one place target options are declared: a provider (or an engineer adding an option) adds its key
 * here, to {@link TARGET_COMMON_OPTIONS} when every provider understands it. A third-party provider declares its own
 * schema and exposes it through `Provider.checkTarget` (see {@link checkTargetOptions}).
 */
import { z } from "zod";
import { didYouMean } from "../core/diagnostics/did-you-mean.js";
import { MAX_TIMER_SECONDS } from "../core/model/workflow-schema.js";

export { MAX_TIMER_SECONDS };

/** A TCP port. */
export const PortSchema = z.number().int().min(1, "a port is 1 to 65535").max(65535, "a port is 1 to 65535");

/** A duration in seconds that Node's timers can wait for (at most 24 days). */
export const TimeoutSecondsSchema = z
  .number()
  .positive("a timeout must be more than 0 seconds")
  .max(MAX_TIMER_SECONDS, `at most ${MAX_TIMER_SECONDS} seconds (24 days: Node's timers cannot wait longer)`);

/** Options every built-in provider accepts. */
export const TARGET_COMMON_OPTIONS = {
  provider: z.string().min(1),
  /** Logical -> physical schema names; the logical names must be the workflow's (checked when a plan runs). */
  schemas: z.record(z.string().min(1), z.string().min(1)).optional(),
  /** Create the CDM's standard indexes (ddl part "indexes")? Default: the provider's. */
  indexes: z.boolean().optional(),
  /** Re-runs of an operation failing with a transient error. */
  retries: z.number().int().min(0).max(100).default(3),
};

/** Options of a duckdb target. */
export const DuckDbTargetSchema = z.strictObject({
  ...TARGET_COMMON_OPTIONS,
  /** Database file, or ":memory:" (the default). Relative paths resolve against the working directory. */
  path: z.string().min(1).default(":memory:"),
  /**
   * DuckDB memory_limit. Default 768MB: DuckDB's own default is 80% of RAM; with this the whole process stayed under
   * 1.2 GB on the x1000 Synthea benchmark (27,000 patients), spilling to disk where needed. "none" keeps DuckDB's.
   */
  memoryLimit: z.string().min(1).default("768MB"),
  threads: z.number().int().min(1).max(1024).optional(),
  /**
   * DuckDB preserve_insertion_order. Default false: omopetl never relies on the physical order of rows (ids follow
   * the order of their keys, reads that need an order say ORDER BY), and without it DuckDB inserts in parallel and
   * needs less memory for large INSERT ... SELECT (measured: -2.7 s and faster commits on the x1000 Synthea run).
   */
  preserveInsertionOrder: z.boolean().default(false),
});
export type DuckDbTarget = z.infer<typeof DuckDbTargetSchema>;

/** Default seconds to wait for a PostgreSQL connection (TCP, TLS and authentication) before failing. */
export const DEFAULT_PG_CONNECT_TIMEOUT_SECONDS = 30;

/** Options of a postgres target: a URL, or host/port/user/password/database (libpq environment as fallback). */
export const PostgresTargetSchema = z.strictObject({
  ...TARGET_COMMON_OPTIONS,
  url: z.string().min(1).optional(),
  host: z.string().min(1).optional(),
  port: PortSchema.optional(),
  user: z.string().min(1).optional(),
  password: z.string().optional(),
  database: z.string().min(1).optional(),
  ssl: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
  /** Most connections open at once (concurrent steps). */
  poolSize: z.number().int().min(1).max(1000).default(4),
  /** Milliseconds before the first retry (doubling after each). */
  retryDelayMs: z.number().int().min(0).max(600_000).default(250),
  /** Seconds to wait for a connection to be established (a server that accepts but never answers fails here). */
  connectTimeoutSeconds: TimeoutSecondsSchema.default(DEFAULT_PG_CONNECT_TIMEOUT_SECONDS),
  /** Seconds any one statement may run before the server cancels it; default none (steps have timeout_seconds). */
  statementTimeoutSeconds: TimeoutSecondsSchema.optional(),
});
export type PostgresTarget = z.infer<typeof PostgresTargetSchema>;

/** One problem with a target's options: where (the key path inside the target), what, and how to fix it. */
export interface TargetOptionIssue {
  path: (string | number)[];
  message: string;
  hint?: string;
  /** True for a key the provider does not know (reported whatever its value is). */
  unknownKey?: boolean;
}

/**
 * Checks `options` (a target's options as written) against `schema`: unknown keys with a did-you-mean, wrong types,
 * values out of range. For a provider's `checkTarget` hook; returns no issue when the options are valid.
 */
export function checkTargetOptions(schema: z.ZodObject, options: Record<string, unknown>): TargetOptionIssue[] {
  const parsed = schema.safeParse(options);
  if (parsed.success) return [];
  const known = Object.keys(schema.shape).sort();
  const out: TargetOptionIssue[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const dym = path.length === 0 ? didYouMean(key, known) : undefined;
        out.push({
          path: [...path, key],
          message: `"${key}" is not an option of a ${String(options["provider"])} target.${dym ? ` ${dym}` : ""}`,
          hint: `Known options: ${known.join(", ")}.`,
          unknownKey: true,
        });
      }
      continue;
    }
    const value = path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[k] : undefined), options);
    // A required option left out (a refinement's issue at a key the options do not have) has no value to show.
    const what = value === undefined ? `missing "${path.join(".")}"` : `invalid value ${JSON.stringify(value)} for "${path.join(".")}"`;
    out.push({ path, message: `${what}: ${issue.message}.` });
  }
  return out;
}

/** The option schemas of the built-in providers, by provider name (the CLI checks every such target on load). */
export const BUILTIN_TARGET_OPTIONS: Readonly<Record<string, z.ZodObject>> = {
  duckdb: DuckDbTargetSchema,
  postgres: PostgresTargetSchema,
};
