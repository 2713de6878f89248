/**
 * The merge prune (base/merge-prune.ts: a merge step deletes the rows it wrote earlier whose key its select no longer
 * produces) on Delta, which takes no subquery in the condition of a DELETE or UPDATE: the keys are cached temporary
 * views, the target's gone rows are deleted by one MERGE, and the ledger is brought up to date by one MERGE (the
 * step's keys recorded, its gone keys and the records of steps no longer in the plan forgotten). Each statement is
 * one Delta commit; each is idempotent, so a step killed between them is repaired by its re-run.
 */
import { col, sourceKeyText } from "../../core/compile/expr-builders.js";
import type { Expr, ValueType } from "../../core/expr/ast.js";
import type { ColumnDef, TransformBody } from "../../core/model/plan.js";
import { MERGE_KEYS_COLUMNS, mergeKeysTable, mergeTargetName, type MergePrune, type MergePruneGenerator } from "../base/merge-prune.js";
import { indent } from "../base/sql-text.js";
import type { RenderContext } from "../provider-api.js";
import { invalidPlan } from "../provider-errors.js";

/** The keys the select produces, and the keys to delete (cached temporary views of the step's session). */
const NOW_VIEW = "omopetl_merge_now";
const GONE_VIEW = "omopetl_merge_gone";

/** What the Spark prune needs besides the base prune's hooks: cached views. */
export interface SparkPruneGenerator extends MergePruneGenerator {
  /** Statements creating the cached temporary view `name` from `select`. */
  cachedView(name: string, select: string): string[];
}

const valueType = (c: ColumnDef): ValueType => (c.type.kind === "varchar" ? "string" : c.type.kind);

/** The prune of `body`'s target after the MERGE of `query` by `step`, on Delta. */
export function renderSparkMergePrune(g: SparkPruneGenerator, body: TransformBody, query: string, step: string, ctx: RenderContext): MergePrune {
  const c = (n: string): string => g.ident(n);
  const keyCols = body.key.map((k) => {
    const def = body.columns.find((x) => x.name === k);
    if (!def) throw invalidPlan(`merge key "${k}" is not a column written by the step.`);
    return def;
  });
  // The ledger's key text, as the base prune writes it (one key: its text; several: the id map's injective text).
  const keyText = (alias: string): string => {
    const parts: Expr[] = keyCols.map((k) => col(alias, k.name, valueType(k)));
    if (parts.length > 1) return g.expr(sourceKeyText(parts));
    const one = parts[0]!;
    return one.type === "string" ? g.expr(one) : g.expr({ k: "cast", arg: one, to: { kind: "varchar" }, type: "string" });
  };
  const ledger = g.table(mergeKeysTable(ctx), ctx);
  const target = g.table(body.target, ctx);
  const [T, KEY, STEP] = [MERGE_KEYS_COLUMNS.target, MERGE_KEYS_COLUMNS.key, MERGE_KEYS_COLUMNS.step].map(c) as [string, string, string];
  const K = c("k");
  const name = g.stringLiteral(mergeTargetName(body.target));
  const self = g.stringLiteral(step);
  const list = (names: readonly string[]): string => names.map((w) => g.stringLiteral(w)).join(", ");
  const writers = ctx.mergeWriters?.[mergeTargetName(body.target)];
  const others = [...new Set(writers ?? [])].filter((w) => w !== step).sort();
  // As the base prune: records of other current merge steps protect a row; records of removed steps are pruned.
  const otherRecords = writers === undefined ? `${STEP} <> ${self}` : others.length > 0 ? `${STEP} IN (${list(others)})` : undefined;
  const removedRecords = writers === undefined ? undefined : `${STEP} NOT IN (${list([...new Set([...writers, step])].sort())})`;
  const now = c(NOW_VIEW);
  const gone = c(GONE_VIEW);
  const [l, o, n] = [c("l"), c("o"), c("n")];

  const statements: string[] = [];
  statements.push(...g.cachedView(NOW_VIEW, [`SELECT DISTINCT ${keyText("s")} AS ${K}`, "FROM (", indent(query), `) AS ${c("s")}`].join("\n")));
  const mine = removedRecords ? `(${l}.${STEP} = ${self} OR ${l}.${removedRecords})` : `${l}.${STEP} = ${self}`;
  const goneLines = [
    `SELECT DISTINCT ${l}.${KEY} AS ${K}`,
    `FROM ${ledger} AS ${l}`,
    `LEFT ANTI JOIN ${now} AS ${n} ON ${n}.${K} = ${l}.${KEY}`,
    `WHERE ${l}.${T} = ${name} AND ${mine}`,
  ];
  if (otherRecords) {
    // Rows another current merge step recorded stay.
    goneLines.push(`  AND NOT EXISTS (SELECT 1 FROM ${ledger} AS ${o} WHERE ${o}.${T} = ${name} AND ${o}.${otherRecords} AND ${o}.${KEY} = ${l}.${KEY})`);
  }
  statements.push(...g.cachedView(GONE_VIEW, goneLines.join("\n")));
  const staleRows =
    statements.push([`MERGE INTO ${target} AS ${c("t")}`, `USING ${gone} AS ${c("g")}`, `ON ${keyText("t")} = ${c("g")}.${K}`, "WHEN MATCHED THEN DELETE"].join("\n")) - 1;
  // The ledger: keys produced now recorded for the step; the step's other records, and those of removed steps, forgotten.
  const record = [
    `MERGE INTO ${ledger} AS ${l}`,
    `USING ${now} AS ${n}`,
    `ON ${l}.${T} = ${name} AND ${l}.${STEP} = ${self} AND ${l}.${KEY} = ${n}.${K}`,
    "WHEN NOT MATCHED THEN",
    `  INSERT (${[T, KEY, STEP].join(", ")}) VALUES (${name}, ${n}.${K}, ${self})`,
    `WHEN NOT MATCHED BY SOURCE AND ${l}.${T} = ${name} AND ${mine} THEN DELETE`,
  ].join("\n");
  const bookkeeping = [statements.push(record) - 1];
  statements.push(`DROP VIEW IF EXISTS ${now}`, `DROP VIEW IF EXISTS ${gone}`);
  return { statements, staleRows, bookkeeping };
}
