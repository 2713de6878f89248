import type { DateFormatProblem } from "../load/date-format.js";
import type { Diagnostic, SourceLocation } from "./diagnostic.js";

/**
 * INVALID_DATE_FORMAT, the one factory of the code: a load's date_format/datetime_format or the format of
 * to_date/to_timestamp that the date format grammar (src/core/load/date-format.ts) refuses. `where` names the
 * format ("the date_format", "the format of to_date()"); `loc` points at the cause inside the format when known.
 */
export function invalidDateFormat(loc: SourceLocation | undefined, where: string, format: string, problem: DateFormatProblem): Diagnostic {
  return { code: "INVALID_DATE_FORMAT", severity: "error", location: loc, message: `${where} ${JSON.stringify(format)} ${problem.message}.`, hint: problem.hint };
}
