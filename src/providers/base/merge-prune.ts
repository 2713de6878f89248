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
 * (`omopetl_merge_keys` in the id map's schema: target, key text, step; see {@link mergeKeysTableDef}) that each
 * merge step brings up to date in its own transaction, as id liveness does with `<id map>_keys`.
 *
 * The statements, after the MERGE (all keys as text, the ledger's form):
 * 1. `now`: the keys the select produces, into a temporary table (the select runs a second time, keys only), unless
 *    the caller materialised the step's rows with their key text (then that table is read: {@link ProducedKeys});
 * 2. `diff`: one full join of the step's records with `now`, giving the keys gone (recorded, no longer produced)
 *    and the keys added;
 * 3. `gone`: those gone keys, plus the keys recorded by merge steps no longer in the plan that are not produced now
 *    (their rows would not be in a fresh run either), minus keys another current merge step of the target recorded;
 * 4. DELETE of the target rows whose key is in `gone`: the rows "whose source is gone", counted apart in the step's
 *    rows;
 * 5. the ledger forgets the gone keys and the removed steps' records, and records the added keys;
 * 6. the temporary tables are dropped.
 * Only steps 1 and 2 read every key; the other joins build their hash tables on the keys that changed (usually
 * none, and an empty build side ends a hash join at once on DuckDB and PostgreSQL).
 *
 * Rows written before this ledger existed (by an older omopetl) are not recorded: they are left alone until the step
 * writes their key again, since nothing says which step wrote them.
 */

/** The ledger's table name, in the id map's schema. */
export const MERGE_KEYS_TABLE = "omopetl_merge_keys";

/** Column names of the merge ownership ledger. */
export const MERGE_KEYS_COLUMNS = { target: "target_table", key: "target_key", step: "step" } as const;

/** The prune's temporary tables (see the steps above). */
const NOW_TABLE = "omopetl_merge_now";
const DIFF_TABLE = "omopetl_merge_diff";
const REMOVED_TABLE = "omopetl_merge_removed";
const GONE_TABLE = "omopetl_merge_gone";

/** What the prune SQL needs of a generator (kept narrow: pure SQL text). */
export interface MergePruneGenerator {
  ident(name: string): string;
  stringLiteral(s: string): string;
  table(ref: TableRef, ctx: RenderContext): string;
  expr(e: Expr): string;
  /** Statements after a temporary table was filled (PostgreSQL: ANALYZE, as it never analyses temporary tables). */
  afterTempTable(table: string): string[];
}

/** The ledger's reference: beside the id map, named after it. */
export function mergeKeysTable(ctx: RenderContext): TableRef {
  return { schema: ctx.idMap.schema, name: MERGE_KEYS_TABLE };
}

/**
 * The ledger's definition. Its rows are unique on (target, key, step) by construction (a key is recorded only when
 * the step has no record of it), but it declares no key: the prune reads a target's records in one scan and never
 * looks one key up, so an index would only slow down recording a million keys (PostgreSQL: 10 s of a fresh 1M-row
 * merge).
 */
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
    primaryKey: [],
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

/**
 * The ledger's text of a merge step's key, over the row alias `alias`: a single key as its text, several as the id
 * map's injective length-prefixed text.
 */
export function mergeKeyText(g: Pick<MergePruneGenerator, "expr">, body: TransformBody, alias: string): string {
  const keyCols = body.key.map((k) => {
    const def = body.columns.find((x) => x.name === k);
    if (!def) throw invalidPlan(`merge key "${k}" is not a column written by the step.`);
    return def;
  });
  const parts = keyCols.map((k) => col(alias, k.name, valueType(k)));
  const one = parts[0]!;
  if (parts.length > 1) return g.expr(sourceKeyText(parts));
  return one.type === "string" ? g.expr(one) : g.expr({ k: "cast", arg: one, to: { kind: "varchar" }, type: "string" });
}

/**
 * Where the prune finds the keys the step produced, instead of filling `now` from the select: a temporary table of
 * the caller's (quoted name) and its key-text column (quoted), e.g. the table the step's rows were materialised in.
 */
export interface ProducedKeys {
  table: string;
  column: string;
}

/**
 * The prune of `body`'s target, after the MERGE of `query` by `step` (see the module comment). With `produced`, the
 * keys are read from that table and `query` is not run again.
 */
export function renderMergePrune(g: MergePruneGenerator, body: TransformBody, query: string, step: string, ctx: RenderContext, produced?: ProducedKeys): MergePrune {
  const c = (n: string): string => g.ident(n);
  const ledger = g.table(mergeKeysTable(ctx), ctx);
  const target = g.table(body.target, ctx);
  const [diff, gone, removed] = [DIFF_TABLE, GONE_TABLE, REMOVED_TABLE].map(c) as [string, string, string];
  const now = produced?.table ?? c(NOW_TABLE);
  const keyText = (alias: string): string => mergeKeyText(g, body, alias);
  const K = c("k");
  // The key column of the produced keys: k of `now`, or the caller's column.
  const NK = produced?.column ?? K;
  const [T, KEY, STEP] = [MERGE_KEYS_COLUMNS.target, MERGE_KEYS_COLUMNS.key, MERGE_KEYS_COLUMNS.step].map(c) as [string, string, string];
  const name = g.stringLiteral(mergeTargetName(body.target));
  const self = g.stringLiteral(step);
  const writers = writersOf(body.target, ctx);
  const list = (names: readonly string[]): string => names.map((w) => g.stringLiteral(w)).join(", ");
  const others = [...new Set(writers ?? [])].filter((w) => w !== step).sort();
  // Records of other steps protect a row; without the plan's list of merge writers, every other step's do.
  const otherRecords = writers === undefined ? `${STEP} <> ${self}` : others.length > 0 ? `${STEP} IN (${list(others)})` : undefined;
  // Records of steps no longer in the plan: their rows would not be in a fresh run, so this step prunes them too.
  const removedRecords = writers === undefined ? undefined : `${STEP} NOT IN (${list([...new Set([...writers, step])].sort())})`;
  const ofTarget = (cond: string): string => `SELECT ${KEY} FROM ${ledger} WHERE ${T} = ${name} AND ${cond}`;

  const lines = (...parts: string[]): string => parts.join("\n");
  const statements: string[] = [];
  const bookkeeping: number[] = [];
  if (!produced) {
    // No DISTINCT: a key the select yields twice fails the step anyway (the MERGE, the target's primary key or the
    // key check), and deduplicating a million keys was most of this statement's time.
    statements.push(lines(`CREATE TEMPORARY TABLE ${now} AS`, `SELECT ${keyText("s")} AS ${K}`, "FROM (", indent(query), `) AS ${c("s")}`));
  }
  statements.push(
    // One pass over this step's records and the keys of now: keys gone (recorded, not produced) and added.
    lines(
      `CREATE TEMPORARY TABLE ${diff} AS`,
      `SELECT ${c("o")}.${KEY} AS ${c("gone")}, ${c("n")}.${NK} AS ${c("added")}`,
      `FROM (${ofTarget(`${STEP} = ${self}`)}) AS ${c("o")}`,
      `FULL JOIN ${now} AS ${c("n")} ON ${c("o")}.${KEY} = ${c("n")}.${NK}`,
      `WHERE ${c("o")}.${KEY} IS NULL OR ${c("n")}.${NK} IS NULL`,
    ),
  );
  const goneSelect = `SELECT ${c("gone")} AS ${K} FROM ${diff} WHERE ${c("gone")} IS NOT NULL`;
  if (removedRecords) {
    statements.push(
      lines(`CREATE TEMPORARY TABLE ${removed} AS`, `SELECT DISTINCT ${KEY} AS ${K} FROM ${ledger}`, `WHERE ${T} = ${name} AND ${removedRecords}`),
      // The step's gone keys, and the removed steps' keys not produced now (the hash table built on the latter).
      lines(
        `CREATE TEMPORARY TABLE ${gone} AS`,
        goneSelect,
        "UNION",
        `SELECT ${K} FROM ${removed}`,
        "EXCEPT",
        `SELECT ${NK} FROM ${now} WHERE ${NK} IN (SELECT ${K} FROM ${removed})`,
      ),
    );
  } else statements.push(lines(`CREATE TEMPORARY TABLE ${gone} AS`, goneSelect));
  if (otherRecords) {
    // Rows another current merge step recorded stay.
    // A temporary table's rows, not the target's: bookkeeping, so the step does not report them as deleted.
    bookkeeping.push(statements.push(lines(`DELETE FROM ${gone}`, `WHERE ${K} IN (`, indent(`${ofTarget(otherRecords)}\n  AND ${KEY} IN (SELECT ${K} FROM ${gone})`), ")")) - 1);
  }
  const staleRows = statements.push(lines(`DELETE FROM ${target} AS ${c("t")}`, `WHERE ${keyText("t")} IN (SELECT ${K} FROM ${gone})`)) - 1;
  const forget = lines(`DELETE FROM ${ledger}`, `WHERE ${T} = ${name} AND ${STEP} = ${self}`, `  AND ${KEY} IN (SELECT ${c("gone")} FROM ${diff} WHERE ${c("gone")} IS NOT NULL)`);
  bookkeeping.push(statements.push(forget) - 1);
  if (removedRecords) {
    // Through the removed keys (usually none), so that the ledger is not scanned for nothing.
    const forgetRemoved = lines(`DELETE FROM ${ledger}`, `WHERE ${T} = ${name} AND ${KEY} IN (SELECT ${K} FROM ${removed})`, `  AND ${removedRecords}`);
    bookkeeping.push(statements.push(forgetRemoved) - 1);
  }
  const record = lines(`INSERT INTO ${ledger} (${[T, KEY, STEP].join(", ")})`, `SELECT ${name}, ${c("added")}, ${self}`, `FROM ${diff}`, `WHERE ${c("added")} IS NOT NULL`);
  bookkeeping.push(statements.push(record) - 1);
  for (const table of [...(produced ? [] : [now]), diff, ...(removedRecords ? [removed] : []), gone]) statements.push(`DROP TABLE ${table}`);
  // Planner statistics for the temporary tables, right after each is filled (indexes shift accordingly).
  const out: string[] = [];
  const shift = new Map<number, number>();
  for (const [i, sql] of statements.entries()) {
    shift.set(i, out.length);
    out.push(sql);
    const created = /^CREATE TEMPORARY TABLE (\S+) AS/.exec(sql);
    if (created) out.push(...g.afterTempTable(created[1]!));
  }
  return { statements: out, staleRows: shift.get(staleRows)!, bookkeeping: bookkeeping.map((i) => shift.get(i)!) };
}
