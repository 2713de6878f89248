import type { CompiledWorkflowPlan, PlanStep, TableRef } from "../../core/model/plan.js";
import type { Connection, RenderContext, SqlGenerator } from "../../providers/provider-api.js";
import { queryExistingTables } from "../../providers/provider-api.js";
import { tableMissing, type MissingTable } from "../orchestrator-errors.js";

/*
 * TABLE_MISSING (issue 13, problem 5 at run time): a partial run (`--select`, `--exclude`) or a workflow reading
 * `external` tables would otherwise stop at its first reader with the engine's own "Table ... does not exist", after
 * earlier steps had written. Before its first statement, the run asks the engine which of the tables its steps
 * need exist, and stops (exit 1, nothing written) naming each missing table, its reader and the step that creates it.
 */

const refKey = (r: TableRef) => `${r.schema}.${r.name}`;

/** Tables a step creates when it runs (a ddl "tables" step; loads and transforms into non-CDM tables; sql writes). */
export function tablesCreatedBy(step: PlanStep, isCdm: (r: TableRef) => boolean): TableRef[] {
  const b = step.body;
  switch (b.kind) {
    case "ddl":
      return b.part === "tables" ? b.tables : [];
    case "load":
    case "transform":
      return isCdm(b.target) ? [] : [b.target];
    case "loads":
      return b.loads.filter((l) => !isCdm(l.target)).map((l) => l.target);
    case "sql":
      return step.writes;
  }
}

/** Tables that must exist before a step runs: what it reads, the CDM table it writes, the tables it finishes. */
export function tablesNeededBy(step: PlanStep, isCdm: (r: TableRef) => boolean): TableRef[] {
  const b = step.body;
  const out = [...step.reads];
  if ((b.kind === "load" || b.kind === "transform") && isCdm(b.target)) out.push(b.target);
  if (b.kind === "loads") out.push(...b.loads.filter((l) => isCdm(l.target)).map((l) => l.target));
  if (b.kind === "ddl" && b.part !== "tables") out.push(...b.tables);
  return out;
}

/**
 * Throws TABLE_MISSING when a table the `steps` of this run need is neither created by one of them nor present on
 * the target. Skipped for a provider whose generator cannot list tables (`renderExistingTables`).
 */
export async function checkTablesExist(
  plan: Pick<CompiledWorkflowPlan, "steps" | "tables" | "idMap">,
  steps: readonly PlanStep[],
  conn: Connection,
  generator: SqlGenerator,
  ctx: RenderContext,
): Promise<void> {
  if (!generator.renderExistingTables) return;
  const cdm = new Set(plan.tables.filter((t) => t.cdm).map((t) => refKey(t)));
  const isCdm = (r: TableRef) => cdm.has(refKey(r));
  const created = new Set<string>();
  // Every creator runs before the steps that need its table (the DAG has an edge from creator to reader).
  for (const s of steps) for (const t of tablesCreatedBy(s, isCdm)) created.add(refKey(t));
  created.add(refKey(plan.idMap)); // the run creates the id map before its steps
  const needed = new Map<string, { ref: TableRef; step: PlanStep }>();
  for (const s of steps) {
    for (const t of tablesNeededBy(s, isCdm)) {
      const k = refKey(t);
      if (!created.has(k) && !needed.has(k)) needed.set(k, { ref: t, step: s });
    }
  }
  if (needed.size === 0) return;
  const refs = [...needed.values()].map((n) => n.ref);
  const physical = (r: TableRef) => `${(ctx.schemas[r.schema] ?? r.schema).toLowerCase()}.${r.name.toLowerCase()}`;
  const rows = await queryExistingTables(conn, generator.renderExistingTables(refs, ctx));
  const present = new Set(rows.map((r) => `${String(r.schema_name).toLowerCase()}.${String(r.table_name).toLowerCase()}`));
  const missing: MissingTable[] = [];
  for (const { ref, step } of needed.values()) {
    if (present.has(physical(ref))) continue;
    const creator = plan.steps.find((s) => tablesCreatedBy(s, isCdm).some((t) => refKey(t) === refKey(ref)));
    missing.push({
      table: `${ctx.schemas[ref.schema] ?? ref.schema}.${ref.name}`,
      logical: refKey(ref),
      step: step.name,
      file: step.file,
      ...(creator ? { creator: creator.name, creatorFile: creator.file } : {}),
    });
  }
  if (missing.length > 0) throw tableMissing(missing);
}
