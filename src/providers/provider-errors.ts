import { OmopetlError } from "../core/diagnostics/diagnostic.js";
import type { RunLockHolder } from "./provider-api.js";

/*
 * Errors of the provider layer. Providers fail fast (they run after validation), so every factory returns an
 * OmopetlError subclass ready to throw. One factory per diagnostic code.
 */

/**
 * A plan needs something a dialect cannot express. Thrown instead of emitting SQL that would behave differently:
 * a provider never silently degrades.
 */
export class UnsupportedFeatureError extends OmopetlError {
  /** The dialect that cannot render the feature, e.g. "postgres". */
  readonly dialect: string;
  /** Short name of the feature, e.g. "load from s3:// URI". */
  readonly feature: string;
  constructor(dialect: string, feature: string, detail?: string, hint?: string) {
    super(
      {
        code: "UNSUPPORTED_FEATURE",
        severity: "error",
        message: `the ${dialect} provider does not support ${feature}${detail ? `: ${detail}` : ""}.`,
        ...(hint ? { hint } : {}),
      },
      2,
    );
    this.name = "UnsupportedFeatureError";
    this.dialect = dialect;
    this.feature = feature;
  }
}

/** Longest SQL excerpt carried in an error message. */
const EXCERPT_CHARS = 400;

/**
 * A statement failed on the database. Carries where (step, statement index), what (an excerpt of the SQL, around
 * the error position when the driver reports one) and why (the driver error, also as `cause`).
 */
export class SqlExecutionError extends OmopetlError {
  readonly stepName: string;
  /** 0-based index of the failing statement in the step's statement list. */
  readonly statementIndex: number;
  readonly sqlExcerpt: string;
  readonly driverError: unknown;
  /** The driver's error code when it has one (Postgres SQLSTATE, errno name). */
  readonly driverCode: string | undefined;
  constructor(stepName: string, statementIndex: number, sql: string, driverError: unknown) {
    const driverMessage = driverError instanceof Error ? driverError.message : String(driverError);
    const code = driverErrorCode(driverError);
    const position = driverErrorPosition(driverError);
    const excerpt = sqlExcerpt(sql, position);
    super(
      {
        code: "SQL_EXECUTION_FAILED",
        severity: "error",
        message: `step "${stepName}" failed at statement ${statementIndex + 1}: ${driverMessage}${code ? ` [${code}]` : ""}\n${excerpt}`,
      },
      1,
    );
    this.name = "SqlExecutionError";
    this.stepName = stepName;
    this.statementIndex = statementIndex;
    this.sqlExcerpt = excerpt;
    this.driverError = driverError;
    this.driverCode = code;
    this.cause = driverError;
  }
}

function driverErrorCode(e: unknown): string | undefined {
  if (typeof e === "object" && e !== null && "code" in e && typeof (e as { code: unknown }).code === "string") {
    return (e as { code: string }).code;
  }
  return undefined;
}

/** Postgres reports a 1-based character position of the error in the statement. */
function driverErrorPosition(e: unknown): number | undefined {
  if (typeof e === "object" && e !== null && "position" in e) {
    const p = Number((e as { position: unknown }).position);
    if (Number.isInteger(p) && p > 0) return p - 1;
  }
  return undefined;
}

/** The statement, or the part of it around `position`, short enough for a terminal. */
export function sqlExcerpt(sql: string, position?: number): string {
  if (sql.length <= EXCERPT_CHARS) return sql;
  if (position === undefined || position < EXCERPT_CHARS / 2) return `${sql.slice(0, EXCERPT_CHARS)} ...`;
  const start = Math.max(0, position - EXCERPT_CHARS / 2);
  const end = Math.min(sql.length, start + EXCERPT_CHARS);
  return `... ${sql.slice(start, end)}${end < sql.length ? " ..." : ""}`;
}

/** An identifier (schema, table, column, alias) that cannot be quoted safely or would be truncated by the engine. */
export function invalidIdentifier(dialect: string, name: string, reason: string): OmopetlError {
  return new OmopetlError({
    code: "INVALID_IDENTIFIER",
    severity: "error",
    message: `${JSON.stringify(name)} cannot be used as a ${dialect} identifier: ${reason}.`,
    hint: "Rename the table, column or schema.",
  });
}

/** A literal value that no SQL string can carry (NUL) or no number can represent (NaN, Infinity). */
export function invalidLiteral(dialect: string, value: string, reason: string): OmopetlError {
  return new OmopetlError({
    code: "INVALID_LITERAL",
    severity: "error",
    message: `the value ${value} cannot be written as a ${dialect} literal: ${reason}.`,
  });
}

/** The plan handed to a provider is inconsistent (a compiler bug or a hand-edited plan). */
export function invalidPlan(message: string): OmopetlError {
  return new OmopetlError({ code: "INVALID_PLAN", severity: "error", message }, 2);
}

/** A logical schema used by a step has no physical name in the target's mapping. */
export function unknownSchema(logical: string, known: readonly string[]): OmopetlError {
  return new OmopetlError(
    {
      code: "UNKNOWN_SCHEMA",
      severity: "error",
      message: `logical schema "${logical}" has no physical schema in this target.`,
      hint: known.length ? `Mapped schemas: ${known.join(", ")}. Add "${logical}" to the plan's or target's schemas.` : `Add "${logical}" to the target's schemas.`,
    },
    2,
  );
}

/** A target's connection options are missing or wrong. */
export function invalidTargetConfig(provider: string, detail: string): OmopetlError {
  return new OmopetlError(
    { code: "INVALID_TARGET", severity: "error", message: `invalid ${provider} target: ${detail}.` },
    2,
  );
}

/** The database could not be reached or opened. */
export function connectionFailed(provider: string, detail: string, cause?: unknown): OmopetlError {
  const e = new OmopetlError(
    { code: "CONNECTION_FAILED", severity: "error", message: `could not connect to ${provider}: ${detail}.` },
    2,
  );
  if (cause !== undefined) e.cause = cause;
  return e;
}

/** No provider of that name is built in or configured, or its module cannot be found. */
export function providerNotFound(spec: string, detail: string, hint?: string): OmopetlError {
  return new OmopetlError(
    {
      code: "PROVIDER_NOT_FOUND",
      severity: "error",
      message: `provider "${spec}" not found: ${detail}${/[.?!]$/.test(detail) ? "" : "."}`,
      ...(hint ? { hint } : {}),
    },
    2,
  );
}

/** A provider module was found but its export is not a valid Provider. */
export function providerInvalid(spec: string, problems: readonly string[]): OmopetlError {
  return new OmopetlError(
    {
      code: "PROVIDER_INVALID",
      severity: "error",
      message: `provider "${spec}" does not export a valid provider: ${problems.join("; ")}.`,
      hint: 'Export (default or as "provider") an object { name, apiVersion: 2, dialect, capabilities, generator: { renderStep, renderDdl }, connect? } — see omopetl/provider.',
    },
    2,
  );
}

/** Two providers claim the same name. */
export function providerDuplicate(name: string, first: string, second: string): OmopetlError {
  return new OmopetlError(
    {
      code: "PROVIDER_DUPLICATE",
      severity: "error",
      message: `two providers are named "${name}": ${first} and ${second}.`,
      hint: "Remove one of them from the configuration's providers list.",
    },
    2,
  );
}

/** Another run holds the target's run lock (and this one was not asked to wait, or waited in vain). Exit 2. */
export function targetLocked(target: string, schemas: readonly string[], holder: RunLockHolder | undefined, waitedSeconds: number | undefined): OmopetlError {
  const who = holder
    ? `run ${holder.runId} (pid ${holder.pid} on ${holder.host}, started ${holder.startedAt})`
    : "another process (not an omopetl run, or one that did not say who it is)";
  const waited = waitedSeconds === undefined ? "" : ` after waiting ${waitedSeconds} s`;
  return new OmopetlError(
    {
      code: "TARGET_LOCKED",
      severity: "error",
      message: `${target} is in use by ${who}${schemas.length > 0 ? `, which writes the same schemas (${schemas.join(", ")})` : ""}; this run stopped before its first statement${waited}.`,
      hint: "Wait for it with --wait-for-lock[=seconds] (default 3600 s), or see what it is doing with: omopetl status. A lock left by a process that died is released by the engine itself.",
    },
    2,
  );
}
