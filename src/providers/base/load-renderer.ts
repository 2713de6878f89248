import type { ColumnDef, FileFormat, LoadBody, TableDef } from "../../core/model/plan.js";
import type { RenderContext, RenderedStep, SqlGenerator } from "../provider-api.js";
import { formatsCheck, formatsReason, formatsValue, parsedFormats } from "./load-dates.js";
import { badValueSelect, booleanValue, CHECKED_ALIAS, valueCheck, type CheckedColumn, type LoadValueDialect, type ValueCheck } from "./load-values.js";
import { LOAD_KEY_FIX, renderKeyCheck } from "./key-check.js";
import { requiredCheck } from "./load-required.js";
import { BAD_VALUES_TABLE, badValuesSelect, insertRejects, keepRow, rejectsCountSelect, rejectsTableDef, type LoadRejects } from "./load-rejects.js";
import { DdlRenderer } from "./ddl-renderer.js";
import { indent } from "./sql-text.js";
import { regexShape } from "../../core/expr/regex-flavour.js";

/**
 * The generator's load room: loads: a file's text values turned into typed columns, the value checks run before any row is written, and
 * `on_error: reject`. The dialect supplies {@link LoadRenderer.renderLoad}, the engine-side read of the files.
 *
 * One of the rooms of {@link BaseSqlGenerator} (ARCHITECTURE.md, "The generator's rooms"): each room extends the
 * one below it and declares abstract what it calls in a room above.
 */
export abstract class LoadRenderer extends DdlRenderer {
  /** Replaces the target's contents with the rows of the step's files, in one transaction. */
  protected abstract renderLoad(body: LoadBody, ctx: RenderContext): RenderedStep;

  /**
   * A text value read from a file with its NULLs applied: nullValues become NULL, and the empty string is NULL for
   * non-text columns.
   */
  protected loadText(raw: string, col: ColumnDef, format: FileFormat): string {
    let v = raw;
    if (format.nullValues.length === 1) v = `NULLIF(${v}, ${this.stringLiteral(format.nullValues[0]!)})`;
    else if (format.nullValues.length > 1) {
      v = `CASE WHEN ${v} IN (${format.nullValues.map((n) => this.stringLiteral(n)).join(", ")}) THEN NULL ELSE ${v} END`;
    }
    return col.type.kind === "varchar" ? v : `NULLIF(${v}, '')`;
  }

  /**
   * The SQL turning a text value read from a file into a column's type ({@link loadText}, then the dialect's cast
   * hook, `renderCast(text, type, "string")`; dates and datetimes through `isoValue`, as casts of text to dates,
   * after parsing with the file's format if it has one; text of a varchar(n) column is checked for its length, never
   * cast). Values are checked first ({@link loadValueProbe}): a value that passes the check converts the same on
   * every engine.
   */
  protected loadValue(raw: string, col: ColumnDef, format: FileFormat): string {
    const v = this.loadText(raw, col, format);
    switch (col.type.kind) {
      case "varchar":
        // No cast: a value longer than varchar(n) fails instead of being truncated by an explicit CAST.
        return col.type.length === undefined ? v : this.varcharLength(v, col.type.length);
      case "date":
        return format.dateFormat ? this.loadFormattedDate(v, col, format.dateFormat, "date") : this.isoValue(v, "date");
      case "datetime":
        return format.datetimeFormat ? this.loadFormattedDate(v, col, format.datetimeFormat, "datetime") : this.isoValue(v, "datetime");
      case "boolean":
        return booleanValue(this.loadValueDialect(), v);
      default:
        // Through the cast hook, so a dialect that converts text its own way (renderCast) loads the same way.
        return this.renderCast(v, col.type, "string");
    }
  }

  /**
   * A date or datetime read with the load's format(s) by the one grammar of every engine (load-dates.ts). The load's
   * value probe has refused what no format reads; a dialect without `failIfAny` (no probe) fails on the value here.
   */
  protected loadFormattedDate(v: string, col: ColumnDef, formats: string | readonly string[], kind: "date" | "datetime"): string {
    const parsed = parsedFormats(formats, kind);
    if (this.failIfAny("SELECT 1") !== undefined) return formatsValue(this.dateParseDialect(), v, parsed, kind);
    const key = kind === "date" ? "date_format" : "datetime_format";
    const msg = `${this.stringLiteral(`LOAD_BAD_DATE: column ${col.name}: "`)} || ${v} || ${this.stringLiteral(`" ${formatsReason(parsed, key)}`)}`;
    return formatsValue(this.dateParseDialect(), v, parsed, kind, this.failValue(msg, kind === "date" ? "DATE" : "TIMESTAMP"));
  }

  /**
   * The file columns of a load (LoadBody.fileColumns) as column definitions (varchar) and their values over `file`,
   * the SQL of the path of the file a row came from: its base name, or what the column's pattern captures from it
   * (group 1, or the whole match), failing the load with LOAD_FILE_NAME for a name the pattern does not match.
   */
  protected fileColumnValues(body: LoadBody, file: string): { def: ColumnDef; value: string }[] {
    const base = `regexp_replace(${file}, '^.*/', '')`;
    return (body.fileColumns ?? []).map((fc) => {
      const def: ColumnDef = { name: fc.name, type: { kind: "varchar" }, required: false };
      if (fc.pattern === undefined) return { def, value: base };
      const shape = regexShape(fc.pattern);
      const group = shape.ok && shape.groups > 0 ? 1 : 0;
      const msg = `${this.stringLiteral("LOAD_FILE_NAME: the name of the file \"")} || ${base} || ${this.stringLiteral(`" does not match the pattern ${JSON.stringify(fc.pattern)} of file column ${fc.name}. Fix the pattern under the load's file_columns, or rename the file.`)}`;
      const fail = `CAST(${this.failValue(msg, "INTEGER")} AS ${this.castTypeName({ kind: "varchar" })})`;
      return { def, value: `(CASE WHEN ${this.regexSearch(base, fc.pattern)} THEN ${this.regexExtract(base, fc.pattern, group)} ELSE ${fail} END)` };
    });
  }

  /** The hooks the value checks of loads use (src/providers/base/load-values.ts). */
  protected loadValueDialect(): LoadValueDialect {
    return this.valueDialect();
  }

  /**
   * The checked columns of a load (see load-values.ts). `distinct`: each checked value named omopetl_value_<n>, not
   * by its column, so it can sit beside the file's own columns.
   */
  protected loadChecks(body: LoadBody, distinct = false): CheckedColumn[] {
    const d = this.loadValueDialect();
    const out: CheckedColumn[] = [];
    for (const [i, col] of body.columns.entries()) {
      const column = this.ident(col.name);
      const ident = distinct ? `omopetl_value_${i + 1}` : column;
      if (col.required) out.push(requiredCheck(`omopetl_required_${i + 1}`, col.name, `s.${column}`, (x) => this.loadText(x, col, body.format)));
      const check = valueCheck(d, `${CHECKED_ALIAS}.${ident}`, col, body.format) ?? this.dateFormatCheck(`${CHECKED_ALIAS}.${ident}`, col, body.format);
      if (check) out.push({ ident, name: col.name, value: this.loadText(`s.${column}`, col, body.format), check });
    }
    return out;
  }

  /** The check of a date or datetime column the load reads with a format (load-dates.ts), else undefined. */
  protected dateFormatCheck(v: string, col: ColumnDef, format: FileFormat): ValueCheck | undefined {
    const kind = col.type.kind;
    const formats = kind === "date" ? format.dateFormat : kind === "datetime" ? format.datetimeFormat : undefined;
    if (formats === undefined || (kind !== "date" && kind !== "datetime")) return undefined;
    const parsed = parsedFormats(formats, kind);
    return { ok: formatsCheck(this.dateParseDialect(), v, parsed), code: "LOAD_BAD_DATE", reason: formatsReason(parsed, kind === "date" ? "date_format" : "datetime_format") };
  }

  /**
   * A statement failing the load with LOAD_BAD_VALUE (file, row, column, value, fix) when a staged value does not
   * convert to its column's type; undefined when no column needs a check or the dialect has no `failIfAny`.
   */
  protected loadValueProbe(body: LoadBody, stage: string): string | undefined {
    if (body.rejects) return undefined; // on_error: reject diverts the rows instead (loadRejects)
    const checks = this.loadChecks(body);
    if (checks.length === 0) return undefined;
    return this.failIfAny(badValueSelect(this.loadValueDialect(), stage, checks, ", or set on_error: reject on the load to divert bad rows to a rejects table", this.loadRowsInFileOrder(body)));
  }

  /**
   * The file rows of `source` (a query) checked as they are read, for a load that checks while it inserts: a row
   * whose values all convert passes, any other fails the query with `marker` (through failValue), so the insert
   * stops at the first bad value. The marker names no row: the step pairs the insert with {@link loadValueProbe}
   * (RenderedStep.explainFailure), which names file, row and column with the message every engine gives. The rows
   * keep the source's columns (and add the checked values, as omopetl_value_<n>). Undefined when nothing is
   * checked, or with `on_error: reject`. The marker is a constant: with failValue's default (a cast of the text),
   * a planner folding constants would fail it before reading a row (PostgreSQL does); DuckDB's error() does not.
   */
  protected loadCheckedSource(body: LoadBody, source: string, marker: string): string | undefined {
    if (body.rejects) return undefined;
    const checks = this.loadChecks(body, true);
    if (checks.length === 0) return undefined;
    const values = [`SELECT s.*,\n${indent(checks.map((c) => `${c.value} AS ${c.ident}`).join(",\n"))}`, `FROM (\n${indent(source)}\n) AS s`].join("\n");
    const bad = checks.map((c) => `NOT ${c.check.ok}`).join("\n  OR ");
    return [
      `SELECT ${CHECKED_ALIAS}.*`,
      `FROM (\n${indent(values)}\n) AS ${CHECKED_ALIAS}`,
      `WHERE CASE WHEN ${bad}\nTHEN ${this.failValue(this.stringLiteral(marker), "BOOLEAN")} ELSE TRUE END`,
    ].join("\n");
  }

  /** False when the dialect stages some file of `body` in no defined row order (then no row number is reported). */
  protected loadRowsInFileOrder(_body: LoadBody): boolean {
    return true;
  }

  /**
   * `on_error: reject` (load-rejects.ts): the statements recreating the load's rejects table and filling it from
   * the staged rows `stage`, the condition keeping a staged row (alias `alias`) without a bad value, and the
   * statements dropping what they staged; `staged` says whether they read `stage` (not when no column needs a
   * check). Undefined for `on_error: fail`.
   */
  protected loadRejects(body: LoadBody, stage: string, alias: string, ctx: RenderContext): LoadRejects | undefined {
    if (!body.rejects) return undefined;
    const def = rejectsTableDef(body.rejects);
    const statements = [this.renderCreateSchema(this.physicalSchema(def.schema, ctx)), ...this.renderRebuildTable(def, ctx)];
    const checks = this.loadChecks(body);
    if (checks.length === 0) return { statements, cleanup: [], staged: false };
    const bad = this.tempTable(BAD_VALUES_TABLE);
    statements.push(...this.createTempTableAs(BAD_VALUES_TABLE, badValuesSelect(this, stage, checks)));
    statements.push(insertRejects(this, this.table(def, ctx), bad));
    return { statements, keep: keepRow(bad, alias), cleanup: this.dropTempTable(BAD_VALUES_TABLE), staged: true };
  }

  /** The query counting a load's rejects after it committed (see {@link SqlGenerator.renderLoadRejects}). */
  renderLoadRejects(body: LoadBody, ctx: RenderContext): { sql: string; table: string } | undefined {
    if (!body.rejects) return undefined;
    return {
      sql: rejectsCountSelect(this, this.table(body.rejects, ctx)),
      table: `${this.physicalSchema(body.rejects.schema, ctx)}.${body.rejects.name}`,
    };
  }

  /** A load's key check: the CDM table's primary key, or the key the load declares (`key:`). */
  protected loadKeyChecks(def: TableDef | undefined, body: LoadBody, ctx: RenderContext): string[] {
    if (def && body.key && !def.cdm) return renderKeyCheck(this, { ...def, primaryKey: body.key }, ctx, LOAD_KEY_FIX, true);
    return this.keyChecks(def, ctx, LOAD_KEY_FIX);
  }
}
