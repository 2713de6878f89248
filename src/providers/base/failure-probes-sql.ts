import type { Expr } from "../../core/expr/ast.js";
import { containsAggregate, containsWindow, walkExpr } from "../../core/expr/index.js";
import type { ColumnDef, Select, TransformBody } from "../../core/model/plan.js";
import type { ColumnFailureProbe, FailureProbes } from "../provider-api.js";
import { indent } from "./sql-text.js";

/** What the failure probes need from a generator (pure SQL text, bound to one render context). */
export interface FailureProbeGenerator {
  ident(name: string): string;
  /** `FROM ... JOIN ...` lines of `select` with `joins`, and its WHERE. */
  from(select: Select, joins: Select["joins"]): string[];
  /** An output column's SQL as the step writes it (cast to the column's type where needed). */
  outputColumn(select: Select, column: ColumnDef): string;
  /** The select as the step runs it, producing `columns`. */
  select(select: Select, columns: readonly ColumnDef[]): string;
  /** `x` in byte order, for an ORDER BY every engine agrees on. */
  collate(x: string): string;
}

/** The distinct column references of `e`, in order of first appearance. */
function columnRefs(e: Expr): Extract<Expr, { k: "col" }>[] {
  const seen = new Map<string, Extract<Expr, { k: "col" }>>();
  walkExpr(e, (n) => {
    if (n.k === "col" && !seen.has(`${n.table}.${n.column}`)) seen.set(`${n.table}.${n.column}`, n);
  });
  return [...seen.values()];
}

/**
 * `refs` and, for the joined tables among them, the columns of the other tables their joins match on: a NULL from a
 * left join that found nothing then shows the value that found nothing (`v.num = NULL, c.visit = 'v9'`).
 */
function withJoinKeys(refs: Extract<Expr, { k: "col" }>[], select: Select): Extract<Expr, { k: "col" }>[] {
  const joined = new Set(refs.map((r) => r.table));
  const out = new Map(refs.map((r) => [`${r.table}.${r.column}`, r]));
  for (const j of select.joins) {
    const aliases = [j.alias, ...(j.nested ?? []).map((n) => n.alias)];
    if (!aliases.some((a) => joined.has(a))) continue;
    for (const on of [j.on, ...(j.nested ?? []).map((n) => n.on)]) {
      for (const r of columnRefs(on)) if (!aliases.includes(r.table) && !out.has(`${r.table}.${r.column}`)) out.set(`${r.table}.${r.column}`, r);
    }
  }
  return [...out.values()];
}

/** `e` with each column reference replaced by `s.r<i>` (its position in `refs`). */
function onRefs(e: Expr, refs: readonly Extract<Expr, { k: "col" }>[]): Expr {
  const index = new Map(refs.map((r, i) => [`${r.table}.${r.column}`, i]));
  const map = (x: Expr): Expr => {
    if (x.k === "col") return { ...x, table: "s", column: `r${index.get(`${x.table}.${x.column}`)}` };
    switch (x.k) {
      case "lit":
        return x;
      case "bin":
        return { ...x, left: map(x.left), right: map(x.right) };
      case "not":
      case "neg":
      case "cast":
      case "isnull":
        return { ...x, arg: map(x.arg) } as Expr;
      case "case":
        return {
          ...x,
          ...(x.operand ? { operand: map(x.operand) } : {}),
          whens: x.whens.map((w) => ({ when: map(w.when), then: map(w.then) })),
          ...(x.else ? { else: map(x.else) } : {}),
        };
      case "in":
        return { ...x, arg: map(x.arg), list: x.list.map(map) };
      case "between":
        return { ...x, arg: map(x.arg), low: map(x.low), high: map(x.high) };
      case "like":
        return { ...x, arg: map(x.arg), pattern: map(x.pattern) };
      case "fn":
        return { ...x, args: x.args.map(map) };
      case "window":
        return x; // never sampled (see below)
    }
  };
  return map(e);
}

/**
 * Read-only queries that find which column of a failed transform fails, and on which source row: per union branch,
 * the rows of its FROM/JOINs/WHERE (a failure there is the where's or a join's); per output column, its values as
 * the step writes them (`count(value)`, so the value is computed: a conversion error fails the probe; with
 * `count(*)`, a NULL for a NOT NULL column shows); and, for a column computed row by row, the source values its
 * expression reads, numbered in an order every engine shares, so a bisection over row ranges finds the first failing
 * row (or the first that gives NULL) — the same row on every engine.
 */
export function renderFailureProbes(g: FailureProbeGenerator, body: TransformBody): FailureProbes | undefined {
  const audits = body.audit?.selects;
  if (!audits || audits.length !== body.selects.length) return undefined;
  const union = body.selects.length > 1;
  const branches = body.selects.map((select, b) => {
    const at = audits[b]!.at;
    const base = { ...select, groupBy: [], having: undefined, qualify: undefined, distinct: false } as Select;
    const rows = ["SELECT count(*) AS n", ...g.from(base, select.joins)].join("\n");
    const assigned = new Set(select.ids.filter((i) => i.assign).map((i) => i.alias));
    const grouped = select.groupBy.length > 0 || select.having !== undefined || select.columns.some((c) => containsAggregate(c.expr));
    const columns: ColumnFailureProbe[] = [];
    for (const def of body.columns) {
      const mapped = select.columns.find((c) => c.name === def.name);
      const pos = at?.columns[def.name];
      if (!mapped || !pos) continue;
      const x = g.ident("x");
      const one = g.select({ ...select, distinct: false }, [def]);
      const probe: ColumnFailureProbe = {
        column: def.name,
        at: pos,
        required: def.required,
        // Ids this select assigns were rolled back with the step: NULL here says nothing.
        ignoreNulls: mapped.expr.k === "col" && assigned.has(mapped.expr.table),
        sql: `SELECT count(*) AS n, count(${x}.${g.ident(def.name)}) AS v\nFROM (\n${indent(one)}\n) AS ${x}`,
      };
      const e = mapped.expr;
      const refs = withJoinKeys(columnRefs(e), select);
      if (!grouped && !select.qualify && !containsAggregate(e) && !containsWindow(e) && refs.length > 0) {
        const s = g.ident("s");
        const order = refs.map((r, i) => `${r.type === "string" ? g.collate(`${s}.${g.ident(`r${i}`)}`) : `${s}.${g.ident(`r${i}`)}`} NULLS LAST`);
        const inner = [
          "SELECT",
          indent(refs.map((r, i) => `${g.ident(r.table)}.${g.ident(r.column)} AS ${g.ident(`r${i}`)}`).join(",\n")),
          ...g.from(base, select.joins),
        ].join("\n");
        // Numbered outside the select that reads them, so the window orders the plain values.
        const numbered = `SELECT ${s}.*, row_number() OVER (ORDER BY ${order.join(", ")}) AS ${g.ident("rn")}\nFROM (\n${indent(inner)}\n) AS ${s}`;
        const value = g.outputColumn({ ...select, columns: [{ name: def.name, expr: onRefs(e, refs) }] }, def);
        const from = `FROM (\n${indent(numbered)}\n) AS ${s}`;
        probe.sample = {
          refs: refs.map((r) => `${r.table}.${r.column}`),
          values: (lo, hi) => `SELECT count(*) AS n, count(${value}) AS v\n${from}\nWHERE ${s}.${g.ident("rn")} > ${lo} AND ${s}.${g.ident("rn")} <= ${hi}`,
          row: (k) => `SELECT ${refs.map((_r, i) => `${s}.${g.ident(`r${i}`)}`).join(", ")}\n${from}\nWHERE ${s}.${g.ident("rn")} = ${k}`,
        };
      }
      columns.push(probe);
    }
    return { ...(union ? { branch: b + 1 } : {}), ...(at?.where ? { where: at.where } : {}), rows, columns };
  });
  return { branches };
}
