import type { Expr, ValueType } from "../../core/expr/ast.js";
import { col, sourceKeyText } from "../../core/compile/expr-builders.js";
import type { ColumnDef, TableDef, TableRef, TransformBody } from "../../core/model/plan.js";
import type { RenderContext } from "../provider-api.js";
import { invalidPlan } from "../provider-errors.js";
import { indent } from "./sql-text.js";

/**
 * Merge steps own the rows they wrote: after the upsert, rows a merge step wrote in an earlier run and whose key its
 * select no longer produces are deleted, so a re-run on an old database leaves the target a fresh run would write.
 *
 * A `MERGE` alone only inserts and updates: after a source row was deleted (or its key changed) the target kept the
 * row it had written for it, and the re-run differed from a fresh run. Deleting every target row the select does
 * not produce would be wrong as soon as the target is shared (two merge steps writing disjoint rows of one CDM table,
 * rows loaded by another step): each step deletes only rows it wrote itself. Which ones is recorded, as dbt's
 * incremental models keep their state in the target and SQLMesh in its own tables, in a ledger beside the id map
 * (`omopetl_merge_keys` in the id map's schema: target, key text, step; see {@link mergeKeysTableDef}) that each merge step brings up to
 * date in its own transaction, as id liveness does with `<id map>_keys`.
 *
 * The statements, after the MERGE:
 * 1. the keys the select produces now, into a temporary table (the select runs a second time, keys only);
 * 2. DELETE of target rows whose key is recorded as this step's (or a step no longer in the plan's) and not as
 *    another current merge step's, and which the select no longer produces — the rows "whose source is gone",
 *    counted apart in the step's rows;
 * 3. the ledger forgets this step's keys it no longer produces (and every key of steps no longer in the plan);
 * 4. records the keys it produces that are new;
 * 5. drops the temporary table.
 *
 * Rows written before this ledger existed (by an older omopetl) are not recorded: they are left alone until the step
 * writes their key again, since nothing says which step wrote them.
 */

/** The ledger's table name, in the id map's schema. */
export const MERGE_KEYS_TABLE = "omopetl_merge_keys";

/** Column names of the merge ownership ledger. */
export const MERGE_KEYS_COLUMNS = { target: "target_table", key: "target_key", step: "step" } as const;

/** The temporary table holding the keys the select produces in this run. */
const NOW_TABLE = "omopetl_merge_now";

/** What the prune SQL needs of a generator (kept narrow: pure SQL text). */
export interface MergePruneGenerator {
  ident(name: string): string;
  stringLiteral(s: string): string;
  table(ref: TableRef, ctx: RenderContext): string;
  expr(e: Expr): string;
}

/** The ledger's reference: beside the id map, named after it. */
export function mergeKeysTable(ctx: RenderContext): TableRef {
  return { schema: ctx.idMap.schema, name: MERGE_KEYS_TABLE };
}

/** The ledger's definition; its primary key leads with (target, key), the columns the prune looks up. */
export function mergeKeysTableDef(ctx: RenderContext): TableDef {
  const ref = mergeKeysTable(ctx);
  return {
    schema: ref.schema,
    name: ref.name,
    cdm: false,
    columns: [
      { name: MERGE_KEYS_COLUMNS.target, type: { kind: "varchar" }, required: true },
      { name: MERGE_KEYS_COLUMNS.key, type: { kind: "varchar" }, required: true },
      { name: MERGE_KEYS_COLUMNS.step, type: { kind: "varchar" }, required: true },
    ],
    primaryKey: [MERGE_KEYS_COLUMNS.target, MERGE_KEYS_COLUMNS.key, MERGE_KEYS_COLUMNS.step],
    foreignKeys: [],
    indexes: [],
  };
}

/** The logical name a ledger row names its target by (unchanged when a target maps schemas differently). */
export function mergeTargetName(target: TableRef): string {
  return `${target.schema}.${target.name}`;
}

/** The expression type of a column of `type`. */
function valueType(c: ColumnDef): ValueType {
  return c.type.kind === "varchar" ? "string" : c.type.kind;
}

/**
 * The statements that prune a merge step's target after its MERGE ({@link renderMergePrune}'s list), and the index
 * among them of the DELETE whose count is the rows deleted because their source is gone.
 */
export interface MergePrune {
  statements: string[];
  staleRows: number;
  /** Indexes of the statements writing the ledger (not the step's rows). */
  bookkeeping: number[];
}

/**
 * Steps that write `target` by merge, from the context; undefined when the context does not list them (then only
 * the step's own records count as its rows).
 */
function writersOf(target: TableRef, ctx: RenderContext): readonly string[] | undefined {
  return ctx.mergeWriters?.[mergeTargetName(target)];
}

/** The prune of `body`'s target, after the MERGE of `query` by `step` (see the module comment). */
export function renderMergePrune(g: MergePruneGenerator, body: TransformBody, query: string, step: string, ctx: RenderContext): MergePrune {
  const c = (n: string): string => g.ident(n);
  const ledger = g.table(mergeKeysTable(ctx), ctx);
  const target = g.table(body.target, ctx);
  const now = c(NOW_TABLE);
  const keyCols = body.key.map((k) => {
    const def = body.columns.find((x) => x.name === k);
    if (!def) throw invalidPlan(`merge key "${k}" is not a column written by the step.`);
    return def;
  });
  // Single keys are stored as their text; several as the id map's injective length-prefixed text.
  const keyText = (alias: string): string => {
    const parts = keyCols.map((k) => col(alias, k.name, valueType(k)));
    const one = parts[0]!;
    if (parts.length > 1) return g.expr(sourceKeyText(parts));
    return one.type === "string" ? g.expr(one) : g.expr({ k: "cast", arg: one, to: { kind: "varchar" }, type: "string" });
  };
  const name = g.stringLiteral(mergeTargetName(body.target));
  const self = g.stringLiteral(step);
  const writers = writersOf(body.target, ctx);
  const others = [...new Set(writers ?? [])].filter((w) => w !== step).sort();
  const stepCol = (alias: string): string => `${c(alias)}.${c(MERGE_KEYS_COLUMNS.step)}`;
  const inOthers = (alias: string): string => `${stepCol(alias)} IN (${others.map((o) => g.stringLiteral(o)).join(", ")})`;
  // Records that make a row this step's to prune: its own, and those of steps no longer in the plan (their rows
  // would not be in a fresh run either); without the plan's list, its own only.
  const owned = (alias: string): string | undefined =>
    writers === undefined ? `${stepCol(alias)} = ${self}` : others.length === 0 ? undefined : `NOT (${inOthers(alias)})`;
  const recorded = (alias: string, cond: string | undefined, keyOf: string): string =>
    [
      `SELECT 1 FROM ${ledger} AS ${c(alias)}`,
      `WHERE ${c(alias)}.${c(MERGE_KEYS_COLUMNS.target)} = ${name} AND ${c(alias)}.${c(MERGE_KEYS_COLUMNS.key)} = ${keyOf}`,
      ...(cond ? [`  AND ${cond}`] : []),
    ].join("\n");
  const t = "t";
  const n = "n";
  const produced = (alias: string): string =>
    `SELECT 1 FROM ${now} AS ${c(n)}\nWHERE ${keyCols.map((k) => `${c(n)}.${c(k.name)} = ${c(alias)}.${c(k.name)}`).join(" AND ")}`;
  const otherCond = writers === undefined ? `${stepCol("x")} <> ${self}` : others.length === 0 ? undefined : inOthers("x");
  const prune = [
    `DELETE FROM ${target} AS ${c(t)}`,
    `WHERE EXISTS (\n${indent(recorded("o", owned("o"), keyText(t)), 4)}\n  )`,
    ...(otherCond ? [`  AND NOT EXISTS (\n${indent(recorded("x", otherCond, keyText(t)), 4)}\n  )`] : []),
    `  AND NOT EXISTS (\n${indent(produced(t), 4)}\n  )`,
  ].join("\n");
  const l = "l";
  const lk = `${c(l)}.${c(MERGE_KEYS_COLUMNS.key)}`;
  const forgetGone = `${stepCol(l)} = ${self} AND NOT EXISTS (\n${indent(`SELECT 1 FROM ${now} AS ${c(n)}\nWHERE ${keyText(n)} = ${lk}`, 4)}\n  )`;
  const forgetWhere =
    writers === undefined ? forgetGone : `(${forgetGone}\n  OR ${stepCol(l)} NOT IN (${[...new Set([...writers, step])].sort().map((w) => g.stringLiteral(w)).join(", ")}))`;
  const forget = [`DELETE FROM ${ledger} AS ${c(l)}`, `WHERE ${c(l)}.${c(MERGE_KEYS_COLUMNS.target)} = ${name}`, `  AND ${forgetWhere}`].join("\n");
  const record = [
    `INSERT INTO ${ledger} (${[MERGE_KEYS_COLUMNS.target, MERGE_KEYS_COLUMNS.key, MERGE_KEYS_COLUMNS.step].map(c).join(", ")})`,
    `SELECT ${name}, ${keyText(n)}, ${self}`,
    `FROM ${now} AS ${c(n)}`,
    `WHERE NOT EXISTS (\n${indent(recorded("o", `${stepCol("o")} = ${self}`, keyText(n)), 4)}\n  )`,
  ].join("\n");
  const keysNow = `CREATE TEMPORARY TABLE ${now} AS\nSELECT DISTINCT ${keyCols.map((k) => `${c("s")}.${c(k.name)}`).join(", ")}\nFROM (\n${indent(query)}\n) AS ${c("s")}`;
  return { statements: [keysNow, prune, forget, record, `DROP TABLE ${now}`], staleRows: 1, bookkeeping: [2, 3] };
}
