/**
 * Issues of the expression language: one factory per code. Issues carry offsets into the expression text;
 * the compiler maps them to YAML file:line:col (see `issueToDiagnostic`).
 */
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";

/** One finding about an expression. `offset`/`length` locate it in the expression's source text. */
export interface ExprIssue {
  code: string;
  severity: "error" | "warning";
  message: string;
  hint?: string;
  offset: number;
  length: number;
}

function issue(code: string, message: string, offset: number, length: number, hint?: string): ExprIssue {
  const out: ExprIssue = { code, severity: "error", message, offset, length };
  if (hint !== undefined) out.hint = hint;
  return out;
}

/** `"p"` or `"p" (source.patients)`. */
function describeAlias(alias: string, description: string | undefined): string {
  return description ? `"${alias}" (${description})` : `"${alias}"`;
}

function quoteList(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}

/** EXPR_SYNTAX: the text is not an expression of the grammar (or a literal is malformed). */
export function exprSyntax(message: string, offset: number, length: number, hint?: string): ExprIssue {
  return issue("EXPR_SYNTAX", message, offset, length, hint);
}

/** EXPR_TOO_DEEP: the expression nests deeper than the compiler's limit (a generated expression, usually). */
export function exprTooDeep(message: string, offset: number, length: number, hint?: string): ExprIssue {
  return issue("EXPR_TOO_DEEP", message, offset, length, hint);
}

/**
 * UNKNOWN_COLUMN: `column` is not a column of the table behind `alias` (qualified reference), or of any table
 * in scope (unqualified: `alias` undefined). `candidates` are the visible column names for did-you-mean.
 */
export function unknownColumn(
  column: string,
  alias: string | undefined,
  description: string | undefined,
  aliases: readonly string[],
  candidates: Iterable<string>,
  offset: number,
  length: number,
): ExprIssue {
  const message =
    alias !== undefined
      ? `"${column}" is not a column of ${describeAlias(alias, description)}.`
      : aliases.length === 0
        ? `"${column}" is not a column: no table is in scope here.`
        : `"${column}" is not a column of any table in scope (${quoteList(aliases)}).`;
  return issue("UNKNOWN_COLUMN", message, offset, length, didYouMean(column, candidates));
}

/** UNKNOWN_ALIAS: `alias.column` names an alias that is not in scope. */
export function unknownAlias(alias: string, aliases: readonly string[], offset: number, length: number): ExprIssue {
  const message =
    aliases.length === 0
      ? `"${alias}" is not a table alias: no table is in scope here.`
      : `"${alias}" is not a table alias in scope (${quoteList(aliases)}).`;
  return issue("UNKNOWN_ALIAS", message, offset, length, didYouMean(alias, aliases));
}

/** AMBIGUOUS_COLUMN: an unqualified column exists in several tables in scope. */
export function ambiguousColumn(column: string, aliases: readonly string[], offset: number, length: number): ExprIssue {
  const first = aliases[0] ?? "alias";
  return issue(
    "AMBIGUOUS_COLUMN",
    `"${column}" is ambiguous: it is a column of ${quoteList(aliases)}.`,
    offset,
    length,
    `Qualify it, e.g. ${first}.${column}.`,
  );
}

/** UNKNOWN_FUNCTION: a call to a function outside the documented catalogue (functions.ts). */
export function unknownFunction(name: string, candidates: Iterable<string>, offset: number, length: number): ExprIssue {
  return issue(
    "UNKNOWN_FUNCTION",
    `"${name}" is not a known function.`,
    offset,
    length,
    didYouMean(name, candidates) ?? "See the function catalogue in the documentation for what is portable.",
  );
}

/** WRONG_ARITY: a call with the wrong number of arguments; `expected` reads e.g. "2 to 3 arguments". */
export function wrongArity(name: string, expected: string, got: number, offset: number, length: number, hint?: string): ExprIssue {
  return issue("WRONG_ARITY", `${name}() takes ${expected}, got ${got}.`, offset, length, hint);
}

/** TYPE_MISMATCH: operand or argument types that do not fit, or an argument value outside its domain. */
export function typeMismatch(message: string, offset: number, length: number, hint?: string): ExprIssue {
  return issue("TYPE_MISMATCH", message, offset, length, hint);
}

/** AGGREGATE_NOT_ALLOWED: an aggregate where the caller does not permit one, or nested in another aggregate. */
export function aggregateNotAllowed(name: string, nested: boolean, offset: number, length: number): ExprIssue {
  return nested
    ? issue("AGGREGATE_NOT_ALLOWED", `${name}() cannot be nested inside another aggregate.`, offset, length)
    : issue(
        "AGGREGATE_NOT_ALLOWED",
        `aggregate ${name}() is not allowed here.`,
        offset,
        length,
        "Aggregates are allowed only in columns and having (and in qualify when the select is grouped).",
      );
}

/** WINDOW_NOT_ALLOWED: a window call where the caller does not permit one, or nested in an aggregate/window. */
export function windowNotAllowed(name: string, nested: boolean, offset: number, length: number): ExprIssue {
  return nested
    ? issue("WINDOW_NOT_ALLOWED", `window call ${name}() OVER (...) cannot be nested inside an aggregate or window call.`, offset, length)
    : issue(
        "WINDOW_NOT_ALLOWED",
        `window call ${name}() OVER (...) is not allowed here.`,
        offset,
        length,
        "Window functions are allowed only in output columns and in qualify (which filters rows on them).",
      );
}

/**
 * INVALID_WINDOW_FRAME: a ROWS/RANGE frame that is well-formed but meaningless or not portable: it starts after it
 * ends, sits on a function that ignores frames, lacks the ORDER BY it needs, or has RANGE offsets over an ORDER BY
 * that cannot carry them.
 */
export function invalidWindowFrame(message: string, offset: number, length: number, hint?: string): ExprIssue {
  return issue("INVALID_WINDOW_FRAME", message, offset, length, hint);
}

/**
 * Converts an issue to a Diagnostic. `locate` maps an offset of the expression text to a file position
 * (the compiler knows where the expression sits in its YAML file).
 */
export function issueToDiagnostic(e: ExprIssue, locate: (offset: number) => SourceLocation | undefined): Diagnostic {
  const d: Diagnostic = { code: e.code, severity: e.severity, message: e.message };
  const start = locate(e.offset);
  if (start) {
    const end = e.length > 0 ? locate(e.offset + e.length) : undefined;
    d.location = end ? { ...start, endLine: end.line, endColumn: end.column } : start;
  }
  if (e.hint !== undefined) d.hint = e.hint;
  return d;
}

/** NAME_CYCLE: a named expression (let) or output column that refers back to itself, directly or through others. */
export function nameCycle(cycle: readonly string[], offset: number, length: number): ExprIssue {
  return issue(
    "NAME_CYCLE",
    `named expressions refer to each other in a cycle: ${cycle.join(" -> ")}.`,
    offset,
    length,
    "A let or an output column may use only names that do not use it back; qualify a table's column (e.x) to read it instead.",
  );
}

/** AMBIGUOUS_COLUMN for a let named like a column of a table in scope. */
export function letShadowsColumn(name: string, tables: readonly string[], offset: number, length: number): ExprIssue {
  return issue(
    "AMBIGUOUS_COLUMN",
    `"${name}" is both a let of this select and a column of ${tables.map((t) => `"${t}"`).join(", ")}.`,
    offset,
    length,
    `Qualify the column (${tables[0]}.${name}) or rename the let.`,
  );
}
