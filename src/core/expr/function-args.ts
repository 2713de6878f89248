/**
 * What the function catalogue (functions.ts) is made of: a function's definition and the rules its typing checks
 * apply to arguments (a string, an integer, a unit literal, a date format, a common type), shared by the catalogue
 * and its parts (messy-functions.ts).
 */
import type { Expr, ValueType } from "./ast.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { invalidDateFormat } from "../diagnostics/date-format-errors.js";
import { isDateFormatProblem, parseDateFormat } from "../load/date-format.js";
import { coerceLiteral, isIntegral, isNumeric, isTemporal, isWildcard, unify } from "./types.js";

export type FunctionKind = "scalar" | "aggregate" | "window";

/** What a typing rule sees of a call. It may replace `args[i]` (coercions) and reports problems per argument. */
export interface CallContext {
  readonly name: string;
  readonly args: Expr[];
  /** Reports a TYPE_MISMATCH located at argument `i`. */
  mismatch(i: number, message: string, hint?: string): void;
  /** Reports a diagnostic made by its code's factory, located at argument `i` (its own location is ignored). */
  report(i: number, diagnostic: Diagnostic): void;
}

export interface FunctionDef {
  /** Canonical lower-case name, as carried in the AST. */
  name: string;
  aliases: readonly string[];
  kind: FunctionKind;
  category: "string" | "numeric" | "null" | "date" | "aggregate" | "window";
  minArgs: number;
  /** Infinity for variadic functions. */
  maxArgs: number;
  /** Documentation: `substr(s string, start integer[, len integer]) -> string`. */
  signature: string;
  /** Documentation: the portable semantics providers must implement. */
  description: string;
  /**
   * Window functions whose result does not depend on a frame (ranking, lag, lead): a ROWS/RANGE clause on them is
   * rejected (INVALID_WINDOW_FRAME) instead of being silently ignored by the engine.
   */
  ignoresFrame?: boolean;
  /** Types a call (arity already checked); returns "any" after reporting a problem, to avoid follow-on errors. */
  check(c: CallContext): ValueType;
}

/** A catalogue entry as written: aliases and kind default to none and "scalar". */
export type Def = Omit<FunctionDef, "aliases" | "kind"> & { aliases?: readonly string[]; kind?: FunctionKind };

// ---- argument rules -------------------------------------------------------------------------------------------

/** "argument 2" for index 1, in messages. */
export function ordinal(i: number): string {
  return `argument ${i + 1}`;
}

/** Argument `i` satisfies `ok` (NULL and untyped always do); otherwise a TYPE_MISMATCH saying `what` it must be. */
export function want(c: CallContext, i: number, ok: (t: ValueType) => boolean, what: string, hint?: string): boolean {
  const t = c.args[i]!.type;
  if (isWildcard(t) || ok(t)) return true;
  c.mismatch(i, `${ordinal(i)} of ${c.name}() must be ${what}, got ${t}.`, hint);
  return false;
}

/** Argument `i` is a string (or NULL/untyped). */
export const str = (c: CallContext, i: number): boolean =>
  want(c, i, (t) => t === "string", "a string", "Convert it with CAST(x AS varchar).");
/** Argument `i` is a number. */
export const num = (c: CallContext, i: number): boolean => want(c, i, isNumeric, "a number");
/** Argument `i` is an integer or bigint. */
export const int = (c: CallContext, i: number): boolean =>
  want(c, i, isIntegral, "an integer", "Convert it with CAST(x AS integer) (or round() a float).");

/** A date or datetime; an ISO date string literal is accepted and becomes a CAST. */
export function temporal(c: CallContext, i: number): boolean {
  c.args[i] = coerceLiteral(c.args[i]!, "date");
  return want(c, i, isTemporal, "a date or datetime", "Convert strings with CAST(x AS date) or to_date(x, '%Y%m%d').");
}

/** A unit/part argument: a string literal from `allowed`; normalised to lower case in the AST. */
export function unit(c: CallContext, i: number, allowed: readonly string[]): boolean {
  const a = c.args[i]!;
  const value = a.k === "lit" && typeof a.value === "string" ? a.value.toLowerCase() : undefined;
  if (value !== undefined && allowed.includes(value)) {
    c.args[i] = { k: "lit", value, type: "string" };
    return true;
  }
  const list = allowed.map((u) => `'${u}'`).join(", ");
  c.mismatch(i, `${ordinal(i)} of ${c.name}() must be one of ${list}.`, value === undefined ? "Write the unit as a string literal." : undefined);
  return false;
}

/** A strftime-style format literal limited to directives every dialect can translate. */
export function format(c: CallContext, i: number, kind: "date" | "datetime"): boolean {
  const a = c.args[i]!;
  if (a.k === "lit" && typeof a.value === "string") {
    // The grammar of load date formats (src/core/load/date-format.ts), read the same way on every engine.
    const parsed = parseDateFormat(a.value, kind);
    if (!isDateFormatProblem(parsed)) return true;
    c.report(i, invalidDateFormat(undefined, `the format of ${c.name}()`, a.value, parsed));
    return false;
  }
  c.mismatch(i, `${ordinal(i)} of ${c.name}() must be a string literal format such as '%Y%m%d'.`);
  return false;
}

/** Unifies args[from..] (coercing ISO string literals when the common type is temporal); undefined on conflict. */
export function common(c: CallContext, from: number, what: string): ValueType | undefined {
  let t: ValueType = "null";
  for (let i = from; i < c.args.length; i++) {
    if (c.args[i]!.k !== "lit" || c.args[i]!.type !== "string") t = unify(t, c.args[i]!.type) ?? t;
  }
  for (let i = from; i < c.args.length; i++) {
    c.args[i] = coerceLiteral(c.args[i]!, t);
    const u = unify(t, c.args[i]!.type);
    if (u === undefined) {
      c.mismatch(i, `${ordinal(i)} of ${c.name}() is ${c.args[i]!.type}, incompatible with the other ${what} (${t}).`);
      return undefined;
    }
    t = u;
  }
  return t;
}

/** The type of argument `i` when it passed its check. */
export const typeOf = (c: CallContext, i: number): ValueType => c.args[i]!.type;


/** concat arguments: strings stay, NULL stays, anything else is CAST to varchar. */
export function concatArgs(c: CallContext, from: number): ValueType {
  for (let i = from; i < c.args.length; i++) {
    const a = c.args[i]!;
    if (a.type !== "string" && a.type !== "null") c.args[i] = { k: "cast", arg: a, to: { kind: "varchar" }, type: "string" };
  }
  return "string";
}
