import type { Expr } from "../../core/expr/ast.js";
import { containsAggregate } from "../../core/expr/index.js";
import type { AuditSelect, ColumnDef, Join, Select, TransformBody } from "../../core/model/plan.js";
import type { RowAccountingCount, RowAccountingOptions, RowAccountingQuery } from "../provider-api.js";
import { referencedAliases } from "./plan-helpers.js";
import { indent } from "./sql-text.js";

/** What the row-accounting SQL needs from a generator (pure SQL text, bound to one render context). */
export interface RowAccountingGenerator {
  ident(name: string): string;
  expr(e: Expr): string;
  /** `FROM ... JOIN ...` lines of `select` with `joins` (and its WHERE when it has one). */
  from(select: Select, joins: Select["joins"]): string[];
  /** What a join reads: a table, or a `with:` sub-select (`sub`). */
  table(join: Pick<Join, "table" | "sub">): string;
  /** The select as the step runs it, producing `columns`. */
  select(select: Select, columns: readonly ColumnDef[]): string;
  /**
   * The columns of a key every row of the joined table is known to hold once (its primary key, checked on every
   * write), or undefined (a sub-select, a table without a key, an engine that does not check keys).
   */
  uniqueKey?(join: Join): readonly string[] | undefined;
}

/** The conjuncts of an AND tree. */
function conjuncts(e: Expr, out: Expr[] = []): Expr[] {
  if (e.k === "bin" && e.op === "and") {
    conjuncts(e.left, out);
    conjuncts(e.right, out);
  } else out.push(e);
  return out;
}

/**
 * Whether a left join matches at most one row of its table per row joined to it: its ON equates every column of the
 * table's unique key to an expression over the other tables (one conjunct each). Such a join neither removes nor
 * repeats rows, so the row accounting may leave it out when nothing it counts reads the join's columns.
 */
function atMostOneMatch(g: RowAccountingGenerator, j: Join): boolean {
  if (j.type !== "left" || (j.nested?.length ?? 0) > 0) return false;
  const key = g.uniqueKey?.(j);
  if (!key || key.length === 0) return false;
  const bound = new Set<string>();
  for (const c of conjuncts(j.on)) {
    if (c.k !== "bin" || c.op !== "=") continue;
    for (const [mine, other] of [
      [c.left, c.right],
      [c.right, c.left],
    ] as const) {
      if (mine.k === "col" && mine.table === j.alias && !referencedAliases(other).has(j.alias)) bound.add(mine.column);
    }
  }
  return key.every((k) => bound.has(k));
}

/**
 * The joins the row accounting of `select` evaluates: all but the id-map joins (one row per key, read by no filter)
 * and the left joins matching at most one row ({@link atMostOneMatch}) that no filter and no other evaluated join
 * reads (measured: the left join of Synthea's visits, 600,000 rows, probed by 2.5 million events in each of the six
 * domain steps).
 */
function countedJoins(g: RowAccountingGenerator, select: Select, audit: AuditSelect): Join[] {
  let kept = select.joins.filter((j) => j.role !== "id_map");
  const aliases = (j: Join): string[] => [j.alias, ...(j.nested ?? []).map((n) => n.alias)];
  for (;;) {
    const next = kept.filter((j) => {
      if (!atMostOneMatch(g, j)) return true;
      // What the filters and the other evaluated joins read (its own ON reads its alias too).
      const read = new Set<string>();
      for (const f of audit.filters) referencedAliases(f.expr, read);
      for (const o of kept) {
        if (o === j) continue;
        referencedAliases(o.on, read);
        for (const n of o.nested ?? []) referencedAliases(n.on, read);
      }
      return aliases(j).some((a) => read.has(a));
    });
    if (next.length === kept.length) return kept;
    kept = next;
  }
}

/** How a join is named in a reason: `inner join cdm.person per`, `lookup cond`. */
export function joinLabel(j: Join): string {
  if (j.unpivot !== undefined) return `unpivot ${j.unpivot}`;
  if (j.role === "lookup") return `lookup ${j.alias.replace(/__(src|map|stcm)$/, "")}`;
  const name = `${j.table.schema}.${j.table.name}`;
  return `${j.type} join ${name}${j.alias !== j.table.name ? ` ${j.alias}` : ""}`;
}

/** Whether SQL groups the select's rows (GROUP BY, HAVING, or an aggregate in an output column). */
function isGrouped(select: Select): boolean {
  return select.groupBy.length > 0 || select.having !== undefined || select.columns.some((c) => containsAggregate(c.expr));
}

/**
 * The row accounting of a transform as one SELECT returning one row of counts, and what each count measures (in
 * order, per union branch): the rows read; for each inner join, the rows of the joins before it that it finds no
 * match for (`NOT EXISTS` over its ON, so a row counts once however many it would have matched); the rows after
 * the joins (a join that matches a row several times adds rows); after each part of the WHERE, cumulatively (the
 * user's `where`, each lookup's routing by domain and unmapped codes); and, for selects that have them, after
 * grouping, HAVING, qualify and DISTINCT — each of those an evaluation of the select cut at that point.
 *
 * Cost: a scan of the source, one of the joins before each inner join, one of the whole join with the filters,
 * plus one evaluation of the select per grouping/having/qualify/distinct stage. The last of those is left out when
 * `options.finalCountKnown` (a single select whose INSERT count the orchestrator already has).
 */
export function renderRowAccounting(g: RowAccountingGenerator, body: TransformBody, options: RowAccountingOptions = {}): RowAccountingQuery | undefined {
  const audits = body.audit?.selects;
  if (!audits || audits.length !== body.selects.length || body.selects.length === 0) return undefined;
  const derived: string[] = [];
  const outputs: string[] = [];
  const counts: RowAccountingCount[] = [];
  const union = body.selects.length > 1;
  body.selects.forEach((select, b) => {
    const audit: AuditSelect = audits[b]!;
    const branch = union ? { branch: b + 1 } : {};
    /** A result column: `sql` (over the derived tables) as c0, c1, ... */
    const column = (sql: string): string => {
      const name = `c${outputs.length}`;
      outputs.push(`${sql} AS ${g.ident(name)}`);
      return name;
    };
    const of = (alias: string, c: string) => `${alias}.${g.ident(c)}`;
    const joins = countedJoins(g, select, audit);
    const bare: Select = { ...select, where: undefined, groupBy: [], ids: [] } as Select;
    // Stages: the FROM table, then each inner join on its own, then each run of left joins (which only add rows).
    const stages: { end: number; inner?: Join; joins: Join[] }[] = [{ end: 0, joins: [] }];
    // An unpivot's join on its slots (ON TRUE) drops no row: like a left join, it only adds rows.
    const adds = (j: Join) => j.type === "left" || j.unpivot !== undefined;
    joins.forEach((j, i) => {
      const last = stages[stages.length - 1]!;
      if (adds(j) && last.end > 0 && !last.inner) {
        last.end = i + 1;
        last.joins.push(j);
      } else stages.push({ end: i + 1, joins: [j], ...(adds(j) ? {} : { inner: j }) });
    });
    const hit = g.ident("__omopetl_hit");
    stages.forEach((stage, k) => {
      const alias = g.ident(`d${b}_${k}`);
      const isLast = k === stages.length - 1;
      const lines = g.from(bare, stage.inner ? joins.slice(0, stage.end - 1) : joins.slice(0, stage.end));
      // An inner join is counted as a left join with a marker: its rows without a match are those without the marker.
      if (stage.inner) lines.push(...markedJoin(g, stage.inner, hit));
      const alive = stage.inner ? `${g.ident(stage.inner.alias)}.${hit} IS NOT NULL` : undefined;
      const selectList = ["count(*) AS n"];
      if (alive) selectList.push(`count(${g.ident(stage.inner!.alias)}.${hit}) AS m`);
      if (isLast) {
        audit.filters.forEach((_f, i) => {
          const upTo = [...(alive ? [alive] : []), ...audit.filters.slice(0, i + 1).map((x) => `(${g.expr(x.expr)})`)];
          selectList.push(`count(CASE WHEN ${upTo.join(" AND ")} THEN 1 END) AS ${g.ident(`f${i}`)}`);
        });
      }
      derived.push(`(\n${indent(["SELECT", indent(selectList.join(",\n")), ...lines].join("\n"))}\n) AS ${alias}`);
      if (k === 0) counts.push({ ...branch, column: column(of(alias, "n")), kind: "read", reason: "rows read" });
      else if (stage.inner) {
        // n - m rows found no match; m rows are left, more than before when a row matched several times.
        counts.push({ ...branch, column: column(`${of(alias, "n")} - ${of(alias, "m")}`), kind: "dropped", reason: `no match in ${joinLabel(stage.inner)}` });
        counts.push({ ...branch, column: column(of(alias, "m")), kind: "after", reason: `several matches in ${joinLabel(stage.inner)}` });
      } else {
        counts.push({ ...branch, column: column(of(alias, "n")), kind: "after", reason: `several matches in ${[...new Set(stage.joins.map(joinLabel))].join(", ")}` });
      }
      if (isLast) audit.filters.forEach((f, i) => counts.push({ ...branch, column: column(of(alias, `f${i}`)), kind: "after", reason: f.reason }));
    });

    // The stages after the WHERE, each an evaluation of the select cut there.
    const tail: { cut: Select; reason: string }[] = [];
    const plain: Select = { ...select, having: undefined, qualify: undefined, distinct: false } as Select;
    if (isGrouped(select)) tail.push({ cut: plain, reason: "rows combined by group_by" });
    if (select.having) tail.push({ cut: { ...plain, having: select.having } as Select, reason: audit.having ?? "having" });
    if (select.qualify) tail.push({ cut: { ...select, distinct: false }, reason: audit.qualify ?? "qualify" });
    if (select.distinct) tail.push({ cut: select, reason: "duplicates removed by distinct" });
    tail.forEach((t, i) => {
      if (i === tail.length - 1 && options.finalCountKnown && !union) {
        counts.push({ column: null, kind: "after", reason: t.reason });
        return;
      }
      const alias = g.ident(`t${b}_${i}`);
      derived.push(`(\n${indent(`SELECT count(*) AS n\nFROM (\n${indent(g.select(t.cut, body.columns))}\n) AS x`)}\n) AS ${alias}`);
      counts.push({ ...branch, column: column(of(alias, "n")), kind: "after", reason: t.reason });
    });
  });
  const sql = ["SELECT", indent(outputs.join(",\n")), `FROM ${derived.join("\nCROSS JOIN ")}`].join("\n");
  return { sql, counts };
}

/**
 * `LEFT JOIN (SELECT x.*, 1 AS hit FROM <table> AS x) AS <alias> ON <its ON>`: the join, keeping the rows it finds
 * no match for, which have no marker. A plain join for every engine's planner (not a correlated NOT EXISTS, which
 * PostgreSQL would run once per row in a select list).
 */
function markedJoin(g: RowAccountingGenerator, j: Join, hit: string): string[] {
  const x = g.ident("x");
  const nested = (j.nested ?? []).flatMap((n) => [`INNER JOIN ${g.table(n)} AS ${g.ident(n.alias)}`, `  ON ${g.expr(n.on)}`]);
  const inner = [`SELECT ${x}.*, 1 AS ${hit}`, `FROM ${g.table(j)} AS ${x}`, ...nested].join("\n");
  return [`LEFT JOIN (\n${indent(inner)}\n) AS ${g.ident(j.alias)}`, `  ON ${g.expr(j.on)}`];
}
