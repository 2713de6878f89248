/**
 * The semantics catalogue: for every operator, function and cast of the DML expression language, the result omopetl
 * promises on every engine, as executable cases. The conformance suite runs each case on a live engine through the
 * provider's own step rendering and compares values, so a provider that passes computes the same answers, not
 * merely similar SQL. docs/semantics.md is rendered from it (semantics-doc.ts). The entries live one file per
 * category under semantics/ (operators, casts, text, numbers and NULLs, dates, aggregates and windows); this file
 * assembles them in the document's order.
 *
 * Cases are DML expression text, checked by the compiler's own expression checker, over one table `v` of five rows
 * (see {@link SEMANTICS_ROWS}); scalar cases read the row x = 1. Casts of text are written `CAST(concat('...') AS t)`:
 * the compiler checks a cast of a literal itself, so concat() makes the text a value the engine converts.
 */
import { OPERATOR_SEMANTICS } from "./semantics/operators.js";
import { CAST_SEMANTICS } from "./semantics/casts.js";
import { TEXT_SEMANTICS } from "./semantics/text.js";
import { NUMBER_AND_NULL_SEMANTICS } from "./semantics/numbers-and-nulls.js";
import { DATE_SEMANTICS } from "./semantics/dates.js";
import { AGGREGATE_AND_WINDOW_SEMANTICS } from "./semantics/aggregates-and-windows.js";
import { MESSY_SOURCE_ENTRIES } from "./semantics/messy-sources.js";
import type { SemanticsEntry } from "./semantics/semantics-types.js";

export { SEMANTICS_ROWS } from "./semantics/semantics-types.js";
export type { SemanticsCase, SemanticsEntry, SemanticsValue } from "./semantics/semantics-types.js";

/** Every construct of the language with its promised results, in the order of docs/semantics.md (one file per category under semantics/). */
export const SEMANTICS_CATALOGUE: readonly SemanticsEntry[] = [
  ...OPERATOR_SEMANTICS,
  ...CAST_SEMANTICS,
  ...TEXT_SEMANTICS,
  ...NUMBER_AND_NULL_SEMANTICS,
  ...DATE_SEMANTICS,
  ...MESSY_SOURCE_ENTRIES,
  ...AGGREGATE_AND_WINDOW_SEMANTICS,
];
