import type { CompiledWorkflowPlan } from "../../core/model/plan.js";
import type { Connection, RenderContext, SqlGenerator } from "../../providers/provider-api.js";
import { catalogSqlOf } from "../../providers/provider-api.js";

/**
 * The physical schemas that steps create on first use: those of non-CDM tables written by `steps` (staging and
 * source tables, which loads and transforms create with `CREATE SCHEMA IF NOT EXISTS`) and the id map's.
 */
export function schemasCreatedBySteps(plan: CompiledWorkflowPlan, steps: CompiledWorkflowPlan["steps"], ctx: RenderContext): string[] {
  const cdm = new Set(plan.tables.filter((t) => t.cdm).map((t) => `${t.schema}.${t.name}`));
  const logical = new Set<string>([plan.idMap.schema]);
  for (const s of steps) for (const w of s.writes) if (!cdm.has(`${w.schema}.${w.name}`)) logical.add(w.schema);
  return [...new Set([...logical].map((l) => ctx.schemas[l]).filter((p): p is string => p !== undefined))].sort();
}

/**
 * Creates those schemas one after the other before any step runs. PostgreSQL's `CREATE SCHEMA IF NOT EXISTS` is
 * not safe against itself: two concurrent steps creating the same schema can fail with a unique violation on
 * pg_namespace. Doing it up front, serially, with the very statement the steps run anyway (the generator's), removes that race.
 * A failure (no CREATE privilege) is returned as a warning: the steps report it themselves if it matters.
 */
export async function prepareSchemas(conn: Connection, generator: Pick<SqlGenerator, "catalogSql">, schemas: readonly string[]): Promise<string[]> {
  const warnings: string[] = [];
  const catalog = catalogSqlOf(generator);
  for (const s of schemas) {
    try {
      await conn.execute(catalog.createSchema(s));
    } catch (e) {
      warnings.push(`could not create schema ${s} before the run: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
    }
  }
  return warnings;
}

/**
 * Creates (or migrates) the id map before any step runs when one of `steps` assigns or reads ids: two steps creating it at the same moment
 * on a fresh PostgreSQL database fail on a unique violation of pg_type (the same race as schemas). A failure is
 * returned as a warning: the steps create it themselves. Then notes in `ctx` whether the map is empty
 * ({@link RenderContext.idMapEmptyAtStart}), which spares the steps the liveness settle.
 */
export async function prepareIdMap(conn: Connection, generator: SqlGenerator, steps: CompiledWorkflowPlan["steps"], ctx: RenderContext): Promise<string[]> {
  // Readers too: a map made by an earlier omopetl gains its `live` column here, which readers' joins test.
  const usesIds = steps.some((s) => s.body.kind === "transform" && s.body.selects.some((sel) => sel.ids.length > 0));
  if (!usesIds || !generator.renderIdMapSetup) return [];
  try {
    await conn.execute(generator.renderIdMapSetup(ctx));
  } catch (e) {
    return [`could not create the id map before the run: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`];
  }
  // An empty map has no earlier key to retire or revive: the steps skip the liveness settle. Any doubt (no probe, a
  // failing one) keeps the settle, which is right on every map.
  if (generator.renderIdMapAnyKey) {
    try {
      if ((await conn.query(generator.renderIdMapAnyKey(ctx))).length === 0) ctx.idMapEmptyAtStart = true;
    } catch {
      // settle as usual
    }
  }
  return [];
}

/**
 * Creates the merge ledger (which rows each merge step wrote, see merge-prune.ts) before any step runs when one of
 * `steps` merges, for the same race as the id map. A failure is returned as a warning: the steps create it themselves.
 */
export async function prepareMergeKeys(conn: Connection, generator: SqlGenerator, steps: CompiledWorkflowPlan["steps"], ctx: RenderContext): Promise<string[]> {
  const merges = steps.some((s) => s.body.kind === "transform" && s.body.mode === "merge");
  if (!merges || !generator.renderMergeKeysSetup) return [];
  try {
    await conn.execute(generator.renderMergeKeysSetup(ctx));
    return [];
  } catch (e) {
    return [`could not create the merge ledger before the run: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`];
  }
}
