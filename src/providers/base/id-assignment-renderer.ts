import type { Expr } from "../../core/expr/ast.js";
import type { IdKey, Select, TableDef } from "../../core/model/plan.js";
import type { RenderContext } from "../provider-api.js";
import { invalidPlan } from "../provider-errors.js";
import { neverNull, referencedAliases } from "./plan-helpers.js";
import { ID_KEYS_COLUMNS, ID_MAP_COLUMNS, idKeysTable, idKeysTableDef, idLiveness, renderIdMapMigration, soleAssigner } from "./id-liveness.js";
import { indent } from "./sql-text.js";
import { SelectRenderer } from "./select-renderer.js";

/** The temporary table a sole assigner enumerates a domain's keys into (columns domain, source_key); see soleAssigner. */
const STEP_KEYS_TABLE = "omopetl_step_keys";

/**
 * The generator's id assignment room: surrogate ids: the id map and its key table, and the statements giving new source keys their ids in byte order of
 * the key, so that ids are the same on every engine and on every re-run (id-liveness.ts).
 *
 * One of the rooms of {@link BaseSqlGenerator} (ARCHITECTURE.md, "The generator's rooms"): each room extends the
 * one below it and declares abstract what it calls in a room above.
 */
export abstract class IdAssignmentRenderer extends SelectRenderer {
  /** The id map table's definition (plan.idMap): one id per (domain, source_key), ids unique per domain. */
  idMapTableDef(ctx: RenderContext): TableDef {
    return {
      schema: ctx.idMap.schema,
      name: ctx.idMap.name,
      cdm: false,
      columns: [
        { name: ID_MAP_COLUMNS.domain, type: { kind: "varchar" }, required: true },
        { name: ID_MAP_COLUMNS.sourceKey, type: { kind: "varchar" }, required: true },
        { name: ID_MAP_COLUMNS.id, type: { kind: "integer" }, required: true },
        // Whether an assigner of the domain still produces the key (see id-liveness.ts); readers join live keys only.
        { name: ID_MAP_COLUMNS.live, type: { kind: "boolean" }, required: true },
      ],
      primaryKey: [ID_MAP_COLUMNS.domain, ID_MAP_COLUMNS.sourceKey],
      foreignKeys: [],
      indexes: [],
    };
  }

  /** `CREATE TABLE IF NOT EXISTS` for the id map, with its primary key and a unique (domain, id). */
  protected createIdMapTable(ctx: RenderContext): string {
    const def = this.idMapTableDef(ctx);
    const elements = this.tableElements(def, "inline");
    elements.push(`UNIQUE (${this.ident(ID_MAP_COLUMNS.domain)}, ${this.ident(ID_MAP_COLUMNS.id)})`);
    return `CREATE TABLE IF NOT EXISTS ${this.table(def, ctx)} (\n${indent(elements.join(",\n"))}\n)`;
  }

  /** The key table of id liveness (see id-liveness.ts), created with the map. */
  protected createIdKeysTable(ctx: RenderContext): string {
    return this.createTableSql(idKeysTableDef(ctx), ctx, "CREATE TABLE IF NOT EXISTS", "inline");
  }

  /**
   * Run once before the steps: the id map and its key table, and the `live` column added to a map made by an earlier
   * omopetl (not in the steps: on PostgreSQL the ALTER locks the map against readers even when the column exists).
   */
  renderIdMapSetup(ctx: RenderContext): string {
    return [this.createIdMapTable(ctx), renderIdMapMigration(this, ctx), this.createIdKeysTable(ctx)].join(";\n");
  }

  /** Statements serialising id assignment between concurrent steps (none where the engine aborts conflicts). */
  protected lockIdMap(_ctx: RenderContext): string[] {
    return [];
  }

  /** The key as text (keys are string-typed; anything else is cast so ids depend on the same text everywhere). */
  protected keyText(key: Expr): string {
    return key.type === "string" ? this.expr(key) : `CAST(${this.expr(key)} AS ${this.castTypeName({ kind: "varchar" })})`;
  }

  /**
   * The id assignment of a step, one pass per domain it assigns: the keys it recorded last time are forgotten, the
   * keys every select assigning the domain enumerates ({@link renderKeyEnumeration}) are recorded as this step's in
   * one insert (their UNION), and those not yet in the map get ids in one insert; last, per domain, the map's `live`
   * flags are settled (see id-liveness.ts) unless the run found the map empty ({@link RenderContext.idMapEmptyAtStart}). One pass rather than one per select: each assignment reads the whole map
   * (measured: Synthea's cost step, 7 selects of one domain, spent 28 of its 58 s at x1000 in its 7 assignments, 3 s
   * each even when no key was new). The ids of a domain's new keys follow byte order of the key over all its selects.
   */
  protected renderIdAssignments(assigning: readonly { s: Select; id: IdKey }[], step: string, ctx: RenderContext): string[] {
    const byDomain = new Map<string, { s: Select; id: IdKey }[]>();
    for (const a of assigning) {
      const list = byDomain.get(a.id.domain);
      if (list) list.push(a);
      else byDomain.set(a.id.domain, [a]);
    }
    const statements: string[] = [];
    const selects = new Set(assigning.map((a) => a.s));
    if (this.capabilities.tempTables && [...byDomain.keys()].every((d) => soleAssigner(d, step, ctx))) return this.renderSoleIdAssignments(byDomain, step, ctx);
    for (const domain of byDomain.keys()) {
      const adopt = idLiveness.adopt(this, domain, step, ctx);
      if (adopt !== undefined) statements.push(adopt);
    }
    if (byDomain.size > 1 && selects.size === 1) {
      // One select assigns several domains (Synthea's visits: visit_occurrence and visit_detail): its keys are
      // enumerated in one evaluation of the select's FROM, joins and sub-selects rather than one per domain
      // (measured: the visit step's enumerations each re-ran its with: chain of windows over every encounter).
      for (const domain of byDomain.keys()) statements.push(idLiveness.forget(this, domain, step, ctx));
      statements.push(this.renderKeysOfDomains([...selects][0]!, assigning.map((a) => a.id), step, ctx));
      statements.push(...this.afterBulkWrite(idKeysTable(ctx), ctx));
      for (const domain of byDomain.keys()) {
        statements.push(this.renderIdAssignment(domain, step, ctx));
        statements.push(...this.afterBulkWrite(ctx.idMap, ctx));
      }
    } else for (const [domain, list] of byDomain) {
      statements.push(idLiveness.forget(this, domain, step, ctx));
      const enumeration = list.map(({ s, id }) => this.renderKeyEnumeration(s, id, ctx)).join("\nUNION\n");
      statements.push(idLiveness.record(this, domain, step, enumeration, list.every(({ id }) => neverNull(id.key)), true, ctx));
      // Statistics refreshed where the engine wants it (PostgreSQL: ANALYZE) before the next statement reads the table:
      // statistics autovacuum took while a domain had few keys made the planner expect one row and run the liveness
      // settle as a nested loop over every key of the domain (measured: the Synthea x100 run, 28 s, took over 400 s
      // with autovacuum analysing the map mid-run).
      statements.push(...this.afterBulkWrite(idKeysTable(ctx), ctx));
      statements.push(this.renderIdAssignment(domain, step, ctx));
      statements.push(...this.afterBulkWrite(ctx.idMap, ctx));
    }
    for (const d of byDomain.keys()) {
      const settle = this.settleIdLiveness(d, ctx);
      // On a run that found the map empty, every key in it was added and recorded by this run: nothing to settle
      // (measured: the updates were 0.7 s of an 18.7 s x100 Synthea run on DuckDB). Each is replaced by a no-op
      // rather than left out, so that a failure names the same statement number on a fresh run and a re-run.
      statements.push(...(ctx.idMapEmptyAtStart === true ? settle.map(() => this.renderNoIdSettle(ctx)) : settle));
    }
    return statements;
  }

  /**
   * The id assignment of a step that is the only assigner of every domain it assigns ({@link soleAssigner}): per
   * domain, its keys enumerated once into a temporary table (one evaluation of the select's FROM for all domains of a
   * single select), the new ones given ids from it, and the `live` flags settled against it; the key table gets no
   * row (the domain's live keys are its record). The same ids as the recorded path: new keys in byte order after the
   * domain's MAX(id).
   */
  protected renderSoleIdAssignments(byDomain: ReadonlyMap<string, readonly { s: Select; id: IdKey }[]>, step: string, ctx: RenderContext): string[] {
    const keys = this.tempTable(STEP_KEYS_TABLE);
    const statements: string[] = [];
    const settle = (domain: string): string[] => {
      const s = idLiveness.settle(this, domain, ctx, keys);
      return ctx.idMapEmptyAtStart === true ? s.map(() => this.renderNoIdSettle(ctx)) : s;
    };
    for (const domain of byDomain.keys()) statements.push(idLiveness.forget(this, domain, step, ctx));
    const all = [...byDomain.values()].flat();
    const selects = new Set(all.map((a) => a.s));
    if (byDomain.size > 1 && selects.size === 1) {
      statements.push(...this.createTempTableAs(STEP_KEYS_TABLE, this.renderKeysOfDomainsSelect([...selects][0]!, all.map((a) => a.id), ctx)), ...this.afterTempTable(keys));
      for (const domain of byDomain.keys()) statements.push(this.renderIdAssignment(domain, step, ctx, keys), ...this.afterBulkWrite(ctx.idMap, ctx));
      for (const domain of byDomain.keys()) statements.push(...settle(domain));
    } else {
      for (const [domain, list] of byDomain) {
        const n = this.ident("n");
        const k = this.ident("k");
        const enumeration = list.map(({ s, id }) => this.renderKeyEnumeration(s, id, ctx)).join("\nUNION\n");
        const select = [
          `SELECT ${this.stringLiteral(domain)} AS ${this.ident(ID_KEYS_COLUMNS.domain)}, ${n}.${k} AS ${this.ident(ID_KEYS_COLUMNS.sourceKey)}`,
          `FROM (\n${indent(enumeration)}\n) AS ${n}`,
          ...(list.every(({ id }) => neverNull(id.key)) ? [] : [`WHERE ${n}.${k} IS NOT NULL`]),
        ].join("\n");
        if (ctx.idMapEmptyAtStart === true) {
          // Nothing to settle on a run that found the map empty: the assignment reads the keys straight from the
          // enumeration (measured: Synthea's cost step at x1000, 1.5 million keys, 1.51 s instead of 0.61 + 1.22 s).
          // The temporary table is still created, empty, so that statement numbers are those of a re-run.
          const none = `-- the id map was empty when the run started: the assignment enumerates the keys itself\nSELECT CAST(NULL AS ${this.castTypeName({ kind: "varchar" })}) AS ${this.ident(ID_KEYS_COLUMNS.domain)}, CAST(NULL AS ${this.castTypeName({ kind: "varchar" })}) AS ${this.ident(ID_KEYS_COLUMNS.sourceKey)} WHERE FALSE`;
          statements.push(...this.createTempTableAs(STEP_KEYS_TABLE, none), ...this.afterTempTable(keys));
          statements.push(this.renderIdAssignment(domain, step, ctx, `(\n${indent(select)}\n)`), ...this.afterBulkWrite(ctx.idMap, ctx));
        } else {
          statements.push(...this.createTempTableAs(STEP_KEYS_TABLE, select), ...this.afterTempTable(keys));
          statements.push(this.renderIdAssignment(domain, step, ctx, keys), ...this.afterBulkWrite(ctx.idMap, ctx));
        }
        statements.push(...settle(domain));
      }
    }
    statements.push(...this.dropTempTable(STEP_KEYS_TABLE));
    return statements;
  }

  /** What stands for a settle statement on a run that found the id map empty: an update of no row, folded by the planner. */
  protected renderNoIdSettle(ctx: RenderContext): string {
    return `-- the id map was empty when the run started: no key to retire or revive\nUPDATE ${this.table(ctx.idMap, ctx)} SET ${this.ident(ID_MAP_COLUMNS.live)} = TRUE WHERE FALSE`;
  }

  /** One row when the id map holds any key, none when it is empty; run after {@link renderIdMapSetup}. */
  renderIdMapAnyKey(ctx: RenderContext): string {
    return `SELECT 1 AS ${this.ident("any_key")} FROM ${this.table(ctx.idMap, ctx)} LIMIT 1`;
  }

  /** The statements settling the `live` flags of `domain` once its keys are recorded (id-liveness.ts). */
  protected settleIdLiveness(domain: string, ctx: RenderContext): string[] {
    return idLiveness.settle(this, domain, ctx);
  }

  /**
   * The keys of several domains one select assigns, as (domain, key) pairs: the select's distinct key tuples
   * (`SELECT DISTINCT <key 1> AS k1, <key 2> AS k2 ... FROM ...`, with the joins any of the keys needs: a left join
   * another key needs neither removes rows nor adds key values), each tuple turned into one row per id by a cross
   * join with the id numbers, then distinct (domain, key) pairs without NULL keys: the rows the per-domain
   * enumerations give.
   */
  private keysOfDomains(select: Select, ids: readonly IdKey[], ctx: RenderContext): { pairs: string; domain: string; key: string } {
    const joins = this.keyEnumerationJoins(select, ids);
    const k = (i: number): string => this.ident(`k${i + 1}`);
    const tuples = ["SELECT DISTINCT", indent(ids.map((id, i) => `${this.keyText(id.key)} AS ${k(i)}`).join(",\n")), ...this.fromClause(select, joins, ctx)].join("\n");
    // Aliases no user select uses for a table (its own derived table names its FROM's aliases inside).
    const e = this.ident("__omopetl_keys");
    const n = this.ident("__omopetl_ids");
    const i = this.ident("i");
    const numbers = ids.map((_, x) => `SELECT ${x + 1} AS ${i}`).join(" UNION ALL ");
    const pick = (values: readonly string[]): string => `CASE ${n}.${i} ${values.map((v, x) => `WHEN ${x + 1} THEN ${v}`).join(" ")} END`;
    const domain = this.ident(ID_KEYS_COLUMNS.domain);
    const key = this.ident("k");
    const pairs = [
      "SELECT",
      indent(`${pick(ids.map((id) => this.stringLiteral(id.domain)))} AS ${domain},\n${pick(ids.map((_, x) => `${e}.${k(x)}`))} AS ${key}`),
      `FROM (\n${indent(tuples)}\n) AS ${e}`,
      `CROSS JOIN (${numbers}) AS ${n}`,
    ].join("\n");
    return { pairs, domain, key };
  }

  /** The recorded path of {@link keysOfDomains}: one insert into the key table. */
  protected renderKeysOfDomains(select: Select, ids: readonly IdKey[], step: string, ctx: RenderContext): string {
    const { pairs, domain, key } = this.keysOfDomains(select, ids, ctx);
    const x = this.ident("__omopetl_pairs");
    const keys = this.table(idKeysTableDef(ctx), ctx);
    const cols = [ID_KEYS_COLUMNS.domain, ID_KEYS_COLUMNS.sourceKey, ID_KEYS_COLUMNS.step].map((c) => this.ident(c)).join(", ");
    return [
      `INSERT INTO ${keys} (${cols})`,
      `SELECT DISTINCT ${x}.${domain}, ${x}.${key}, ${this.stringLiteral(step)}`,
      `FROM (\n${indent(pairs)}\n) AS ${x}`,
      ...(ids.every((id) => neverNull(id.key)) ? [] : [`WHERE ${x}.${key} IS NOT NULL`]),
    ].join("\n");
  }

  /** The sole assigner's path of {@link keysOfDomains}: the distinct (domain, source_key) pairs as a select. */
  protected renderKeysOfDomainsSelect(select: Select, ids: readonly IdKey[], ctx: RenderContext): string {
    const { pairs, domain, key } = this.keysOfDomains(select, ids, ctx);
    const x = this.ident("__omopetl_pairs");
    return [
      `SELECT DISTINCT ${x}.${domain} AS ${this.ident(ID_KEYS_COLUMNS.domain)}, ${x}.${key} AS ${this.ident(ID_KEYS_COLUMNS.sourceKey)}`,
      `FROM (\n${indent(pairs)}\n) AS ${x}`,
      ...(ids.every((id) => neverNull(id.key)) ? [] : [`WHERE ${x}.${key} IS NOT NULL`]),
    ].join("\n");
  }

  /** The joins enumerating the keys of `ids` (all of one select) need, after checking no key reads an id being assigned. */
  private keyEnumerationJoins(select: Select, ids: readonly IdKey[]): Select["joins"] {
    const assigned = new Set(select.ids.filter((i) => i.assign).map((i) => i.alias));
    const joins = select.joins.filter((j) => !(j.role === "id_map" && assigned.has(j.alias)));
    const used = new Set<string>();
    for (const id of ids) referencedAliases(id.key, used);
    referencedAliases(select.where, used);
    for (const j of joins) {
      referencedAliases(j.on, used);
      for (const n of j.nested ?? []) referencedAliases(n.on, used);
    }
    for (const a of used) {
      if (assigned.has(a)) {
        throw invalidPlan(`the id key of "${ids.map((i) => i.column).join('", "')}" or the select's joins/where read "${a}", an id being assigned by the same select.`);
      }
    }
    const needed = new Set(ids.flatMap((id) => this.joinsNeededForKey(select, id, joins)));
    return joins.filter((j) => needed.has(j));
  }

  /**
   * `SELECT DISTINCT <key> AS k FROM ...`: the keys of `id` a select reads, without the id map joins of ids it
   * assigns (those ids do not exist yet).
   *
   * Only FROM/JOINs/WHERE are applied: keys of rows that HAVING or `qualify` later remove still get ids, which then
   * go unused. That is deliberate: a key's id depends only on the rows the select reads, never on window results,
   * so ids stay stable when qualify's outcome for a row changes between runs (and the map stays append-only).
   */
  protected renderKeyEnumeration(select: Select, id: IdKey, ctx: RenderContext): string {
    const keyJoins = this.keyEnumerationJoins(select, [id]);
    return ["SELECT DISTINCT", indent(`${this.keyText(id.key)} AS ${this.ident("k")}`), ...this.fromClause(select, keyJoins, ctx)].join("\n");
  }

  /**
   * Assigns ids to the keys `step` recorded for `domain` that are not yet in the map: new keys get MAX(id)+1, +2, ...
   * in byte order of the key, so the assignment is deterministic and identical on every engine. `from`: where the
   * keys are read instead of the key table (a table or derived table with columns domain and source_key, holding
   * this step's keys only: a sole assigner's, see {@link renderSoleIdAssignments}).
   */
  protected renderIdAssignment(domainName: string, step: string, ctx: RenderContext, from?: string): string {
    const map = this.table(ctx.idMap, ctx);
    const keys = from ?? this.table(idKeysTableDef(ctx), ctx);
    const domain = this.stringLiteral(domainName);
    const m = this.ident("m");
    const n = this.ident("n");
    const col = (alias: string, c: string): string => `${alias}.${this.ident(c)}`;
    return [
      `INSERT INTO ${map} (${[ID_MAP_COLUMNS.domain, ID_MAP_COLUMNS.sourceKey, ID_MAP_COLUMNS.id, ID_MAP_COLUMNS.live].map((c) => this.ident(c)).join(", ")})`,
      "SELECT",
      indent(
        [
          `${domain} AS ${this.ident(ID_MAP_COLUMNS.domain)}`,
          `${col(n, ID_MAP_COLUMNS.sourceKey)} AS ${this.ident(ID_MAP_COLUMNS.sourceKey)}`,
          `(SELECT COALESCE(MAX(${col(m, ID_MAP_COLUMNS.id)}), 0) FROM ${map} AS ${m} WHERE ${col(m, ID_MAP_COLUMNS.domain)} = ${domain})\n  + ROW_NUMBER() OVER (ORDER BY ${this.binaryCollate(col(n, ID_MAP_COLUMNS.sourceKey))}) AS ${this.ident(ID_MAP_COLUMNS.id)}`,
          `TRUE AS ${this.ident(ID_MAP_COLUMNS.live)}`,
        ].join(",\n"),
      ),
      `FROM ${keys} AS ${n}`,
      `WHERE ${col(n, ID_MAP_COLUMNS.domain)} = ${domain}${from === undefined ? ` AND ${col(n, "step")} = ${this.stringLiteral(step)}` : ""}`,
      "  AND NOT EXISTS (",
      indent(
        `SELECT 1 FROM ${map} AS ${m}\nWHERE ${col(m, ID_MAP_COLUMNS.domain)} = ${domain} AND ${col(m, ID_MAP_COLUMNS.sourceKey)} = ${col(n, ID_MAP_COLUMNS.sourceKey)}`,
        4,
      ),
      "  )",
    ].join("\n");
  }

  /**
   * The joins the key enumeration needs: every inner join (it filters rows) and the left joins whose columns the key,
   * the WHERE or a needed join's ON read. Other left joins can neither remove rows nor change the DISTINCT keys, so
   * they are left out (measured: the Synthea x1000 run spent ~10 s re-joining visits and id maps here).
   */
  protected joinsNeededForKey(select: Select, id: IdKey, joins: Select["joins"]): Select["joins"] {
    let kept = [...joins];
    for (;;) {
      const needed = new Set<string>();
      referencedAliases(id.key, needed);
      referencedAliases(select.where, needed);
      const aliases = (j: Select["joins"][number]): string[] => [j.alias, ...(j.nested ?? []).map((n) => n.alias)];
      const ons = (j: Select["joins"][number]): Expr[] => [j.on, ...(j.nested ?? []).map((n) => n.on)];
      for (const j of kept) if (j.type === "inner") for (const on of ons(j)) referencedAliases(on, needed);
      // A left join is needed when read by the key/where/inner joins, or by another kept left join's ON.
      for (const j of kept) {
        if (j.type !== "left") continue;
        for (const other of kept) if (other !== j && other.type === "left" && aliases(other).some((a) => needed.has(a))) for (const on of ons(other)) referencedAliases(on, needed);
      }
      const next = kept.filter((j) => j.type === "inner" || aliases(j).some((a) => needed.has(a)));
      if (next.length === kept.length) return kept;
      kept = next;
    }
  }
}
