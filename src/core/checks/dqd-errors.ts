import { OmopetlError } from "../diagnostics/diagnostic.js";
import type { SourceLocation } from "../diagnostics/diagnostic.js";

/*
 * Error factories for reading the Data Quality Dashboard's check definitions. Reading them is I/O that fails fast
 * (exit code 2: a configuration problem, not one in the user's DML).
 */

/** How to point omopetl at another copy of DQD's `inst/csv` folder. */
export const DQD_DIR_HINT =
  "Point omopetl at a copy of OHDSI/DataQualityDashboard's inst/csv folder (or the folder holding inst/csv) with " +
  "the OMOPETL_DQD_DIR environment variable or `checks: { dqd_dir: <dir> }` in omopetl.config.yaml.";

/** A DQD definition file is missing or unreadable. */
export function dqdNotFound(file: string, detail: string): OmopetlError {
  return new OmopetlError({
    code: "DQD_NOT_FOUND",
    severity: "error",
    message: `the Data Quality Dashboard check definitions are not readable: ${file} (${detail}).`,
    hint: DQD_DIR_HINT,
  });
}

/** A DQD definition file is damaged: a missing column, an evaluation filter omopetl cannot read, a bad threshold. */
export function dqdParseError(location: SourceLocation, detail: string, hint?: string): OmopetlError {
  return new OmopetlError({
    code: "DQD_PARSE_ERROR",
    severity: "error",
    location,
    message: `invalid Data Quality Dashboard check definitions: ${detail}`,
    hint: hint ?? "The file looks damaged or is from an unsupported DQD release (omopetl reads DQD 2.8's layout); restore it from OHDSI/DataQualityDashboard.",
  });
}
