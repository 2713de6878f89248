import type { Expr } from "../../core/expr/ast.js";
import type { Join, Select, TransformBody } from "../../core/model/plan.js";
import type { LookupCoverageQuery, RenderContext } from "../provider-api.js";
import { referencedAliases } from "./plan-helpers.js";

/** What the coverage queries need of a generator (pure SQL text). */
export interface CoverageGenerator {
  expr(e: Expr): string;
  ident(name: string): string;
  /** FROM, JOINs and WHERE of `select` with exactly `joins`. */
  fromClause(select: Select, joins: Select["joins"], ctx: RenderContext): string[];
}

/**
 * The joins a lookup's coverage reads: its own lookup joins, every inner user join (it filters rows) and the left
 * user joins that the code, the where or another kept join reads. Other left joins can only repeat a row (a code
 * mapping to two concepts in a staging map), which would count it twice, and cost a join each.
 */
function coverageJoins(select: Select, l: NonNullable<Select["lookups"]>[number]): Join[] {
  const candidates = select.joins.filter((j) => (j.role === "user" && j.type === "inner") || (j.role === "lookup" && l.joins.includes(j.alias)));
  const optional = select.joins.filter((j) => j.role === "user" && j.type === "left");
  const kept = new Set(candidates);
  for (;;) {
    const needed = new Set<string>();
    referencedAliases(l.code, needed);
    referencedAliases(l.where, needed);
    for (const j of kept) for (const on of [j.on, ...(j.nested ?? []).map((n) => n.on)]) referencedAliases(on, needed);
    const more = optional.filter((j) => !kept.has(j) && needed.has(j.alias));
    if (more.length === 0) break;
    for (const j of more) kept.add(j);
  }
  // In the select's order: a join's ON may read only the tables joined before it.
  return select.joins.filter((j) => kept.has(j));
}

/**
 * One query per lookup of each select of a transform, for the mapping coverage report: per distinct code, the rows
 * read (`n`) and the number of distinct standard concepts it mapped to (`targets`, 0 when unmapped). Rows are the
 * select's FROM, its own joins that filter or are read ({@link coverageJoins}) and where, and the lookup's joins — not the lookup domain filters, so a domain step
 * reports every code of its source, and not the id map. A code mapping to k concepts appears k times in `n`: the
 * caller divides. Codes are grouped as the engine compares them (exact text).
 */
export function renderCoverageQueries(g: CoverageGenerator, body: TransformBody, ctx: RenderContext): LookupCoverageQuery[] {
  const out: LookupCoverageQuery[] = [];
  for (const [i, select] of body.selects.entries()) {
    for (const l of select.lookups ?? []) {
      const joins = coverageJoins(select, l);
      const { where: _ignored, ...rest } = select;
      const scoped: Select = l.where ? { ...rest, where: l.where } : rest;
      const inner = ["SELECT", `  ${g.expr(l.code)} AS ${g.ident("code")},`, `  ${g.expr(l.mapped)} AS ${g.ident("mapped")}`, ...g.fromClause(scoped, joins, ctx)];
      const c = g.ident("c");
      const sql = [
        `SELECT ${c}.${g.ident("code")} AS ${g.ident("code")}, count(*) AS ${g.ident("n")}, count(DISTINCT ${c}.${g.ident("mapped")}) AS ${g.ident("targets")}`,
        "FROM (",
        ...inner.map((line) => `  ${line}`),
        `) AS ${c}`,
        `GROUP BY ${c}.${g.ident("code")}`,
      ].join("\n");
      out.push({ select: i, lookup: l.name, sql });
    }
  }
  return out;
}
