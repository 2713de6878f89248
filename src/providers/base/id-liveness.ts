import type { TableDef, TableRef } from "../../core/model/plan.js";
import type { RenderContext } from "../provider-api.js";
import { indent } from "./sql-text.js";

/**
 * Liveness of surrogate ids: which keys of the id map the latest run of their assigning steps still produced.
 *
 * The id map only grows (an id is never handed to another key), so a key that left the source keeps its row. Before
 * liveness, a step reading ids it does not assign (`assign: false`) found such a key too: after a source row's
 * foreign key changed, a re-run wrote a cost row pointing at a visit that no longer exists, where a fresh database
 * fails (`cost_event_id` NULL). Now every assigning step records the keys it produced in the id map's key table
 * (`<id map>_keys`: domain, step, source_key; its own rows replaced at every run), the map's `live` column says
 * whether any assigner of the domain still produces the key, and readers join only live keys — the keys a fresh
 * run's map would hold. Ids of keys that still exist stay the ids they had (stable ids across re-runs), and a key
 * that comes back gets its old id again.
 *
 * Per step rather than per domain, since several steps may assign one domain (measurement rows from observations
 * and from procedures): a step re-run alone must not retire the keys of the others.
 */

/** Column names of the id map's key table. */
export const ID_KEYS_COLUMNS = { domain: "domain", step: "step", sourceKey: "source_key" } as const;

/** The id map's column saying whether a key is still produced by an assigner of its domain. */
export const ID_LIVE_COLUMN = "live";

/** Column names of the surrogate-id map table (plan.idMap). */
export const ID_MAP_COLUMNS = { domain: "domain", sourceKey: "source_key", id: "id", live: ID_LIVE_COLUMN } as const;

/**
 * Whether `step` is the only step of the plan assigning ids in `domain` (the context lists the plan's assigners). Such
 * a step keeps no record in the key table: its keys of the latest run are exactly the domain's live keys, so it
 * enumerates them into a temporary table for its own assignment and settle, and writes no key row at all (measured:
 * the key table's inserts were 4.7 of the 27.5 s of Synthea's x1000 transform steps on DuckDB).
 */
export function soleAssigner(domain: string, step: string, ctx: RenderContext): boolean {
  const assigners = ctx.idAssigners?.[domain];
  return assigners !== undefined && assigners.length > 0 && assigners.every((a) => a === step);
}

/** What the liveness SQL needs of a generator (kept narrow: pure SQL text). */
export interface IdLivenessGenerator {
  ident(name: string): string;
  stringLiteral(s: string): string;
  table(ref: TableRef, ctx: RenderContext): string;
}

/** The key table's reference: beside the id map, named after it. */
export function idKeysTable(ctx: RenderContext): TableRef {
  return { schema: ctx.idMap.schema, name: `${ctx.idMap.name}_keys` };
}

/** The key table's definition; its primary key leads with (domain, source_key), the columns liveness looks up. */
export function idKeysTableDef(ctx: RenderContext): TableDef {
  const ref = idKeysTable(ctx);
  return {
    schema: ref.schema,
    name: ref.name,
    cdm: false,
    columns: [
      { name: ID_KEYS_COLUMNS.domain, type: { kind: "varchar" }, required: true },
      { name: ID_KEYS_COLUMNS.sourceKey, type: { kind: "varchar" }, required: true },
      { name: ID_KEYS_COLUMNS.step, type: { kind: "varchar" }, required: true },
    ],
    primaryKey: [ID_KEYS_COLUMNS.domain, ID_KEYS_COLUMNS.sourceKey, ID_KEYS_COLUMNS.step],
    foreignKeys: [],
    indexes: [],
  };
}

/**
 * Adds the `live` column to an id map made by an earlier omopetl (every key live until its assigners run again,
 * which then retire the keys they no longer produce). Run once before the steps, never inside one: on PostgreSQL an
 * ALTER TABLE locks the map against readers even when the column exists.
 */
export function renderIdMapMigration(g: IdLivenessGenerator, ctx: RenderContext): string {
  return `ALTER TABLE ${g.table(ctx.idMap, ctx)} ADD COLUMN IF NOT EXISTS ${g.ident(ID_LIVE_COLUMN)} BOOLEAN DEFAULT TRUE`;
}

/**
 * The statements, in the assigning step's transaction, that record the keys `step` produced for `domain`:
 * `forget` first (before any key of the domain is recorded), then one insert of the keys the selects assigning the
 * domain enumerate (`enumeration`: their `SELECT DISTINCT <key> AS k ...` joined by UNION), then `settle`.
 */
export const idLiveness = {
  /**
   * Deletes the keys `step` recorded for `domain` in its previous run, and those of steps that no longer assign the
   * domain (renamed or removed: their keys would stay live for ever) when the context lists the plan's assigners.
   */
  forget(g: IdLivenessGenerator, domain: string, step: string, ctx: RenderContext): string {
    const s = g.ident(ID_KEYS_COLUMNS.step);
    const d = `${g.ident(ID_KEYS_COLUMNS.domain)} = ${g.stringLiteral(domain)}`;
    const assigners = ctx.idAssigners?.[domain];
    const others = [...new Set(assigners ?? [])].filter((a) => a !== step);
    let where: string;
    if (assigners === undefined) where = `${d} AND ${s} = ${g.stringLiteral(step)}`;
    else if (others.length === 0) where = d; // the domain's only assigner: every record of the domain is stale
    else where = `${d} AND ${s} NOT IN (${others.map((a) => g.stringLiteral(a)).join(", ")})`;
    return `DELETE FROM ${g.table(idKeysTable(ctx), ctx)}\nWHERE ${where}`;
  },

  /**
   * Records the keys one select enumerates. `first`: no key of this domain and step is recorded yet (the enumeration
   * is DISTINCT), so the duplicate check is left out.
   */
  record(g: IdLivenessGenerator, domain: string, step: string, enumeration: string, keyNeverNull: boolean, first: boolean, ctx: RenderContext): string {
    const keys = g.table(idKeysTable(ctx), ctx);
    const c = (x: string): string => g.ident(x);
    const n = g.ident("n");
    const k = g.ident("k");
    const m = g.ident("m");
    const where: string[] = [];
    if (!keyNeverNull) where.push(`${n}.${k} IS NOT NULL`);
    if (!first) {
      where.push(
        `NOT EXISTS (\n${indent(`SELECT 1 FROM ${keys} AS ${m}\nWHERE ${m}.${c(ID_KEYS_COLUMNS.domain)} = ${g.stringLiteral(domain)} AND ${m}.${c(ID_KEYS_COLUMNS.step)} = ${g.stringLiteral(step)} AND ${m}.${c(ID_KEYS_COLUMNS.sourceKey)} = ${n}.${k}`, 4)}\n  )`,
      );
    }
    return [
      `INSERT INTO ${keys} (${[ID_KEYS_COLUMNS.domain, ID_KEYS_COLUMNS.sourceKey, ID_KEYS_COLUMNS.step].map(c).join(", ")})`,
      `SELECT ${g.stringLiteral(domain)}, ${n}.${k}, ${g.stringLiteral(step)}`,
      `FROM (\n${indent(enumeration)}\n) AS ${n}`,
      ...where.map((w, i) => `${i === 0 ? "WHERE" : "  AND"} ${w}`),
    ].join("\n");
  },

  /**
   * For a domain with several assigners: when the key table holds no record of the domain, its live keys were
   * produced by the domain's only assigner of an earlier run (a sole assigner records its keys in a temporary table,
   * see {@link soleAssigner}); they are recorded as the other assigners' so that this step's settle does not retire
   * them before their own steps run again (each then replaces those records with the keys it produces).
   */
  adopt(g: IdLivenessGenerator, domain: string, step: string, ctx: RenderContext): string | undefined {
    const others = [...new Set(ctx.idAssigners?.[domain] ?? [])].filter((a) => a !== step);
    if (others.length === 0) return undefined;
    const keys = g.table(idKeysTable(ctx), ctx);
    const map = g.table(ctx.idMap, ctx);
    const [m, o, k] = [g.ident("m"), g.ident("o"), g.ident("k")];
    const d = g.stringLiteral(domain);
    const stepCol = g.ident(ID_KEYS_COLUMNS.step);
    return [
      `INSERT INTO ${keys} (${[ID_KEYS_COLUMNS.domain, ID_KEYS_COLUMNS.sourceKey, ID_KEYS_COLUMNS.step].map((c) => g.ident(c)).join(", ")})`,
      `SELECT ${d}, ${m}.${g.ident(ID_MAP_COLUMNS.sourceKey)}, ${o}.${stepCol}`,
      `FROM ${map} AS ${m}`,
      `CROSS JOIN (${others.map((a) => `SELECT ${g.stringLiteral(a)} AS ${stepCol}`).join(" UNION ALL ")}) AS ${o}`,
      `WHERE ${m}.${g.ident(ID_MAP_COLUMNS.domain)} = ${d} AND ${m}.${g.ident(ID_LIVE_COLUMN)}`,
      `  AND NOT EXISTS (SELECT 1 FROM ${keys} AS ${k} WHERE ${k}.${g.ident(ID_KEYS_COLUMNS.domain)} = ${d})`,
    ].join("\n");
  },

  /**
   * Retires the keys of `domain` that no assigner produced in its latest run and revives those that came back:
   * two updates touching only the rows whose liveness changes (a re-run of an unchanged source writes nothing).
   */
  settle(g: IdLivenessGenerator, domain: string, ctx: RenderContext, keysTable?: string): string[] {
    const map = g.table(ctx.idMap, ctx);
    const keys = keysTable ?? g.table(idKeysTable(ctx), ctx);
    const live = g.ident(ID_LIVE_COLUMN);
    const d = g.stringLiteral(domain);
    const kd = `${g.ident("k")}.${g.ident(ID_KEYS_COLUMNS.domain)}`;
    const ks = `${g.ident("k")}.${g.ident(ID_KEYS_COLUMNS.sourceKey)}`;
    const produced = `SELECT 1 FROM ${keys} AS ${g.ident("k")}\nWHERE ${kd} = ${d} AND ${ks} = ${map}.${g.ident("source_key")}`;
    const update = (value: "TRUE" | "FALSE", exists: string): string =>
      [`UPDATE ${map} SET ${live} = ${value}`, `WHERE ${g.ident("domain")} = ${d} AND ${live} IS NOT ${value}`, `  AND ${exists} (\n${indent(produced, 4)}\n  )`].join("\n");
    return [update("FALSE", "NOT EXISTS"), update("TRUE", "EXISTS")];
  },
};
