import { CHECKED_ALIAS, type CheckedColumn } from "./load-values.js";

/** The reason of a NULL in a NOT NULL column, after the value (shown as written in the file, `""` when empty). */
export const REQUIRED_REASON = "is empty (or one of the load's nulls), but the column is NOT NULL";

/**
 * The check of a NOT NULL column of a load (a CDM or vocabulary column the spec requires): a field that is NULL
 * after the file format's NULL handling (`nullText` turns the staged text, read under the alias `ident`, into it)
 * is a bad value like any other — LOAD_BAD_VALUE with the file, row and column, or a row diverted by
 * `on_error: reject` — instead of the engine's own NOT NULL error naming no row, which also failed a load that was
 * meant to divert its bad rows. `ident` must differ from the column's own alias (the type check's).
 */
export function requiredCheck(ident: string, name: string, raw: string, nullText: (x: string) => string): CheckedColumn {
  return {
    ident,
    name,
    value: raw,
    check: { ok: `(${nullText(`${CHECKED_ALIAS}.${ident}`)} IS NOT NULL)`, code: "LOAD_BAD_VALUE", reason: REQUIRED_REASON },
  };
}
