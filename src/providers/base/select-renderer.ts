import type { Expr, ValueType } from "../../core/expr/ast.js";
import type { ColumnDef, Join, Select, SubSelect, TableRef, TransformBody } from "../../core/model/plan.js";
import type { LookupCoverageQuery, RenderContext, RowAccountingOptions, RowAccountingQuery, FailureProbes } from "../provider-api.js";
import { invalidPlan } from "../provider-errors.js";
import { findTableDef } from "./plan-helpers.js";
import { ID_MAP_COLUMNS } from "./id-liveness.js";
import { fitsVarchar } from "./varchar-length.js";
import { renderRowAccounting } from "./row-accounting-sql.js";
import { renderFailureProbes } from "./failure-probes-sql.js";
import { renderCoverageQueries } from "./coverage-sql.js";
import { indent, list } from "./sql-text.js";
import { LoadRenderer } from "./load-renderer.js";

/**
 * The generator's select room: the selects of a transform (FROM, joins, WHERE, GROUP BY, qualify, output columns) and the read-only queries
 * built from them: row accounting, lookup coverage, failure probes.
 *
 * One of the rooms of {@link BaseSqlGenerator} (ARCHITECTURE.md, "The generator's rooms"): each room extends the
 * one below it and declares abstract what it calls in a room above.
 */
export abstract class SelectRenderer extends LoadRenderer {
  /**
   * What a FROM or JOIN reads: a table, or a `with:` sub-select of the select (`sub`), by its name when the statement
   * declares it in its WITH clause (`named`, see {@link renderQuery}), otherwise as a derived table: the queries
   * built from the select's parts (row accounting, coverage, failure probes, key enumeration) stay single SELECTs.
   */
  protected selectSource(table: TableRef, sub: string | undefined, withs: SubSelect[] | undefined, ctx: RenderContext, named?: ReadonlySet<string>): string {
    if (sub === undefined) return this.table(table, ctx);
    if (named?.has(sub)) return this.ident(sub);
    const def = withs?.find((w) => w.name === sub);
    if (!def) throw invalidPlan(`the select reads sub-select "${sub}", which is not in its with.`);
    // A values table in a derived table: a WITH of its own inside the parentheses names its columns on every engine
    // (SQLite takes no column list after a derived table's alias).
    if (def.values) return `(\n${indent(`WITH ${this.namedSubSelect(def, withs, ctx, named)}\nSELECT * FROM ${this.ident(def.name)}`)}\n)`;
    return `(\n${indent(this.renderSubSelectQuery(def, withs, ctx, named))}\n)`;
  }

  /** The query of a `with:` sub-select: its select, or its union's selects joined by UNION ALL (a values table has none). */
  private renderSubSelectQuery(def: SubSelect, withs: SubSelect[] | undefined, ctx: RenderContext, named: ReadonlySet<string> | undefined): string {
    const selects = def.union ?? (def.select ? [def.select] : undefined);
    if (!selects) throw invalidPlan(`sub-select "${def.name}" has neither a select nor values.`);
    return selects.map((s) => this.renderSelect({ ...s, with: withs }, def.columns, ctx, named)).join("\nUNION ALL\n");
  }

  /**
   * `name AS (SELECT ...)`, or `name(columns) AS (VALUES (...), ...)` for a values table: a common table expression
   * of a WITH clause.
   */
  protected namedSubSelect(def: SubSelect, withs: SubSelect[] | undefined, ctx: RenderContext, named: ReadonlySet<string> | undefined): string {
    if (def.values) return `${this.ident(def.name)}${this.columnList(def.columns)} AS (\n${indent(this.renderValues(def.values))}\n)`;
    return `${this.ident(def.name)} AS (\n${indent(this.renderSubSelectQuery(def, withs, ctx, named))}\n)`;
  }

  /** `VALUES (a, b), (c, d)`: the rows of a values table, one literal (typed by a cast where needed) per column. */
  protected renderValues(rows: readonly (readonly Expr[])[]): string {
    return `VALUES\n${indent(rows.map((r) => `(${r.map((v) => this.expr(v)).join(", ")})`).join(",\n"))}`;
  }

  /** FROM, JOINs, WHERE of a select (GROUP BY/HAVING are added by {@link renderSelect}); `named`: see {@link selectSource}. */
  protected fromClause(select: Select, joins: Select["joins"], ctx: RenderContext, named?: ReadonlySet<string>): string[] {
    const lines = [`FROM ${this.selectSource(select.from.table, select.from.sub, select.with, ctx, named)} AS ${this.ident(select.from.alias)}`];
    // Ids read from another step's domain: only keys its assigners still produce (see id-liveness.ts), as in a
    // fresh run; a key gone from the source must not lend its old id to a join.
    const readOnly = new Set(select.ids.filter((i) => !i.assign).map((i) => i.alias));
    for (const jj of joins) {
      const j: typeof jj =
        jj.role === "id_map" && readOnly.has(jj.alias)
          ? { ...jj, on: { k: "bin", op: "and", left: jj.on, right: { k: "col", table: jj.alias, column: ID_MAP_COLUMNS.live, type: "boolean" }, type: "boolean" } }
          : jj;
      const kind = j.type === "left" ? "LEFT JOIN" : "INNER JOIN";
      if (j.nested?.length) {
        lines.push(`${kind} (`, `  ${this.table(j.table, ctx)} AS ${this.ident(j.alias)}`);
        for (const n of j.nested) lines.push(`  INNER JOIN ${this.table(n.table, ctx)} AS ${this.ident(n.alias)}`, `    ON ${this.condition(n.on, 6)}`);
        lines.push(")");
      } else lines.push(`${kind} ${this.selectSource(j.table, j.sub, select.with, ctx, named)} AS ${this.ident(j.alias)}`);
      lines.push(`  ON ${this.condition(j.on, 4)}`);
    }
    if (select.where) lines.push(`WHERE ${this.condition(select.where)}`);
    return lines;
  }

  /**
   * An output column's SQL: the select's expression for it, cast to the column's type when the expression's type
   * differs (NULL literals and untyped values included), so every select of a UNION and every engine agree.
   * Text targets are never cast: a too-long value fails instead of being truncated.
   */
  protected outputColumn(select: Select, col: ColumnDef): string {
    const found = select.columns.find((c) => c.name === col.name);
    const e: Expr = found?.expr ?? { k: "lit", value: null, type: "null" };
    const want: ValueType = col.type.kind === "varchar" ? "string" : col.type.kind;
    const sql = this.expr(e);
    const typed = e.type === want ? sql : `CAST(${sql} AS ${this.castTypeName(col.type.kind === "varchar" ? { kind: "varchar" } : col.type)})`;
    if (col.type.kind === "varchar" && col.type.length !== undefined && !fitsVarchar(e, col.type.length)) return this.varcharLength(typed, col.type.length);
    return typed;
  }

  /** A select producing `columns` (in order, named as the target's columns); `named`: see {@link selectSource}. */
  protected renderSelect(select: Select, columns: readonly ColumnDef[], ctx: RenderContext, named?: ReadonlySet<string>): string {
    const outputs = columns.map((c) => `${this.outputColumn(select, c)} AS ${this.ident(c.name)}`);
    const body = this.fromClause(select, select.joins, ctx, named);
    if (select.groupBy.length) body.push(`GROUP BY ${select.groupBy.map((g) => this.expr(g)).join(", ")}`);
    if (select.having) body.push(`HAVING ${this.condition(select.having)}`);
    if (select.qualify) return this.renderQualifiedSelect(select, select.qualify, columns, outputs, body);
    return [select.distinct ? "SELECT DISTINCT" : "SELECT", indent(outputs.join(",\n")), ...body].join("\n");
  }

  /**
   * A select with `qualify`, in one portable shape for every dialect: PostgreSQL has no QUALIFY clause, so the
   * filter is computed as an extra column of an inner query (where window functions are allowed, evaluated after
   * WHERE/GROUP BY/HAVING as QUALIFY's are) and applied by an outer query. DISTINCT goes on the outer query: it
   * applies after QUALIFY, and the extra column would defeat it inside.
   */
  protected renderQualifiedSelect(select: Select, qualify: Expr, columns: readonly ColumnDef[], outputs: readonly string[], body: readonly string[]): string {
    // A name no output column has (target columns may start with underscores too).
    let flag = "__qualify";
    while (columns.some((c) => c.name === flag)) flag = `_${flag}`;
    const q = this.ident("q");
    // The flag is compared as a boolean: a NULL literal or an untyped value is cast so WHERE accepts it everywhere.
    const cond = qualify.type === "boolean" ? this.expr(qualify) : `CAST(${this.expr(qualify)} AS BOOLEAN)`;
    const inner = ["SELECT", indent([...outputs, `${cond} AS ${this.ident(flag)}`].join(",\n")), ...body].join("\n");
    return [
      select.distinct ? "SELECT DISTINCT" : "SELECT",
      indent(columns.map((c) => `${q}.${this.ident(c.name)}`).join(",\n")),
      `FROM (\n${indent(inner)}\n) AS ${q}`,
      `WHERE ${q}.${this.ident(flag)}`,
    ].join("\n");
  }

  /**
   * All selects of a transform, UNION ALL, after a WITH clause declaring the `with:` sub-selects they read (each
   * after those it reads), which the selects and later sub-selects name.
   */
  protected renderQuery(body: TransformBody, ctx: RenderContext): string {
    if (body.selects.length === 0) throw invalidPlan(`transform of ${body.target.schema}.${body.target.name} has no select.`);
    const withs = allSubSelects(body);
    const named = new Set<string>();
    const ctes: string[] = [];
    for (const w of withs) {
      ctes.push(this.namedSubSelect(w, withs, ctx, named));
      named.add(w.name);
    }
    const union = body.selects.map((s) => this.renderSelect(s, body.columns, ctx, named)).join("\nUNION ALL\n");
    return ctes.length ? `WITH ${ctes.join(",\n")}\n${union}` : union;
  }

  protected columnList(columns: readonly ColumnDef[]): string {
    return `(${list(columns.map((c) => this.ident(c.name)))})`;
  }

  /** The mapping coverage queries of a transform's lookups ([coverage-sql.ts](coverage-sql.ts)). */
  renderLookupCoverage(body: TransformBody, ctx: RenderContext): LookupCoverageQuery[] {
    return renderCoverageQueries({ expr: (e) => this.expr(e), ident: (n) => this.ident(n), fromClause: (s, j, c) => this.fromClause(s, j, c) }, body, ctx);
  }

  /** Read-only probes locating a failed transform's value error ({@link renderFailureProbes}). */
  renderFailureProbes(body: TransformBody, ctx: RenderContext): FailureProbes | undefined {
    return renderFailureProbes(
      {
        ident: (n) => this.ident(n),
        from: (s, joins) => this.fromClause(s, joins, ctx),
        outputColumn: (s, c) => this.outputColumn(s, c),
        select: (s, columns) => this.renderSelect(s, columns, ctx),
        collate: (x) => this.binaryCollate(x),
      },
      body,
    );
  }

  /** The counting SQL of a transform's row accounting ({@link renderRowAccounting}). */
  renderRowAccounting(body: TransformBody, ctx: RenderContext, options: RowAccountingOptions = {}): RowAccountingQuery | undefined {
    return renderRowAccounting(
      {
        ident: (n) => this.ident(n),
        expr: (e) => this.expr(e),
        from: (s, joins) => this.fromClause(s, joins, ctx),
        table: (j) => this.selectSource(j.table, j.sub, allSubSelects(body), ctx),
        select: (s, columns) => this.renderSelect(s, columns, ctx),
        uniqueKey: (j) => this.checkedKey(j, ctx),
      },
      body,
      options,
    );
  }

  /**
   * The primary key of a joined table where every write to it checks or enforces the key (the row accounting then
   * knows a join on it matches at most one row). Default: the table's declared primary key; none for a sub-select.
   * An engine that neither enforces nor checks keys returns undefined.
   */
  protected checkedKey(join: Join, ctx: RenderContext): readonly string[] | undefined {
    if (join.sub !== undefined) return undefined;
    return findTableDef(ctx, join.table)?.primaryKey;
  }
}

/** The sub-selects the selects of a transform read, once each, each after those it reads. */
export function allSubSelects(body: TransformBody): SubSelect[] {
  const seen = new Map<string, SubSelect>();
  for (const s of body.selects) for (const w of s.with ?? []) if (!seen.has(w.name)) seen.set(w.name, w);
  return [...seen.values()];
}
