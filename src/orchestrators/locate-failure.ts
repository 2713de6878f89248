import type { PlanStep } from "../core/model/plan.js";
import type { ColumnFailureProbe, Connection, FailureProbes, RenderContext, SqlGenerator } from "../providers/provider-api.js";
import type { LocatedFailure } from "./orchestrator-api.js";

/** Longest bisection (rows up to 2^40). */
const MAX_STEPS = 40;

/** A value as it reads in a message: NULL, a number, or a quoted string. */
function shown(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  return `'${String(v).replace(/'/g, "''")}'`;
}

/** Runs a probe: its first row, or the error it fails with. */
async function probe(conn: Connection, sql: string): Promise<{ row?: Record<string, unknown>; failed?: unknown }> {
  try {
    const [row] = await conn.query<Record<string, unknown>>(sql);
    return { row: row ?? {} };
  } catch (e) {
    return { failed: e };
  }
}

/**
 * The first source row (in the probes' order) for which `bad` holds over a row range, by bisection: O(log rows)
 * queries, each over the select's rows.
 */
async function firstBadRow(conn: Connection, c: ColumnFailureProbe, total: number, bad: (r: { row?: Record<string, unknown>; failed?: unknown }) => boolean): Promise<LocatedFailure["sample"]> {
  const s = c.sample;
  if (!s || total <= 0) return undefined;
  let lo = 0;
  let hi = total;
  for (let i = 0; i < MAX_STEPS && hi - lo > 1; i++) {
    const mid = Math.floor((lo + hi) / 2);
    if (bad(await probe(conn, s.values(lo, mid)))) hi = mid;
    else if (bad(await probe(conn, s.values(mid, hi)))) lo = mid;
    else return undefined; // the failure did not reproduce row by row
  }
  const { row } = await probe(conn, s.row(hi));
  if (!row) return undefined;
  const values = Object.values(row);
  return s.refs.map((ref, i) => ({ ref, value: shown(values[i]) }));
}

const count = (v: unknown) => Number(v ?? 0);

/**
 * Finds which column of a failed transform fails, and one source row it fails for, by re-running the step's select
 * piece by piece (read-only, after the step rolled back): per union branch, its rows (a failure there is the where's
 * or a join's); then each output column in order — the first whose values cannot be computed is the value error
 * (`invalid input syntax for type integer: "Y"`, `Date out of range`); when every column computes, the first NOT NULL
 * column with a NULL. Undefined when nothing reproduces (the failure was something else, e.g. a key check).
 */
export async function locateFailure(step: PlanStep, conn: Connection, generator: SqlGenerator, ctx: RenderContext): Promise<LocatedFailure | undefined> {
  if (step.body.kind !== "transform") return undefined;
  const probes: FailureProbes | undefined = generator.renderFailureProbes?.(step.body, ctx);
  if (!probes) return undefined;
  const at = (branch: number | undefined) => ({ file: step.file, ...(branch !== undefined ? { branch } : {}) });
  let nullFound: { c: ColumnFailureProbe; branch: number | undefined; total: number } | undefined;
  for (const b of probes.branches) {
    const rows = await probe(conn, b.rows);
    if (rows.failed) {
      return b.where ? { ...at(b.branch), line: b.where.line, column: b.where.column, kind: "rows" } : undefined;
    }
    const total = count(rows.row!["n"]);
    for (const c of b.columns) {
      const r = await probe(conn, c.sql);
      if (r.failed) {
        const sample = await firstBadRow(conn, c, total, (x) => x.failed !== undefined);
        return { ...at(b.branch), line: c.at.line, column: c.at.column, kind: "value", target: c.column, ...(sample ? { sample } : {}) };
      }
      if (!nullFound && c.required && !c.ignoreNulls && count(r.row!["v"]) < count(r.row!["n"])) nullFound = { c, branch: b.branch, total };
    }
  }
  if (!nullFound) return undefined;
  const { c, branch, total } = nullFound;
  const sample = await firstBadRow(conn, c, total, (x) => x.row !== undefined && count(x.row["v"]) < count(x.row["n"]));
  return { ...at(branch), line: c.at.line, column: c.at.column, kind: "null", target: c.column, ...(sample ? { sample } : {}) };
}

/** The located failure as lines under the step's error, the same on every engine. */
export function describeLocatedFailure(l: LocatedFailure, target: string): string[] {
  const where = `${l.file}:${l.line}:${l.column}`;
  const branch = l.branch !== undefined ? ` (union branch ${l.branch})` : "";
  const lines =
    l.kind === "rows"
      ? [`at ${where}: the where or a join of the select${branch} fails`]
      : l.kind === "null"
        ? [`at ${where}: column ${l.target}${branch} is NULL, and ${target}.${l.target} is NOT NULL`]
        : [`at ${where}: column ${l.target}${branch} cannot be computed for every row`];
  if (l.sample?.length) lines.push(`a source row it fails for: ${l.sample.map((s) => `${s.ref} = ${s.value}`).join(", ")}`);
  return lines;
}
