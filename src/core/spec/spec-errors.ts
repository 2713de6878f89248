import { OmopetlError } from "../diagnostics/diagnostic.js";
import type { SourceLocation } from "../diagnostics/diagnostic.js";

/*
 * Error factories for the spec loader. Loading the spec is I/O that fails fast, so every factory returns an
 * OmopetlError ready to throw (exit code 2: a configuration/environment problem, not a problem in the user's DML).
 */

/** The hint every "could not get the spec" error carries: the three ways to make a spec available. */
export const SPEC_AVAILABILITY_HINT =
  "Point omopetl at a local copy of OHDSI/CommonDataModel's inst/csv folder with --spec-dir <dir> (or the " +
  "OMOPETL_SPEC_DIR environment variable), or run `omopetl spec pull` once while online to fill the cache.";

/** No spec can be obtained: offline (or GitHub unreachable), no cached copy, no local folder. */
export function specUnavailable(detail: string): OmopetlError {
  return new OmopetlError({
    code: "SPEC_UNAVAILABLE",
    severity: "error",
    message: `the OMOP CDM specification is not available: ${detail}.`,
    hint: SPEC_AVAILABILITY_HINT,
  });
}

/** A spec file does not exist (404 on GitHub, or missing in a local folder). */
export function specNotFound(what: string, hint: string): OmopetlError {
  return new OmopetlError({
    code: "SPEC_NOT_FOUND",
    severity: "error",
    message: `OMOP CDM specification file not found: ${what}.`,
    hint,
  });
}

/** GitHub refused because the (anonymous) rate limit is used up. */
export function specRateLimited(detail: string): OmopetlError {
  return new OmopetlError({
    code: "SPEC_RATE_LIMITED",
    severity: "error",
    message: `GitHub rate limit exceeded while fetching the OMOP CDM specification (${detail}).`,
    hint:
      "Set GITHUB_TOKEN (or GH_TOKEN) to a GitHub token to raise the limit, wait for the limit to reset, " +
      "or use a local copy with --spec-dir <dir> / OMOPETL_SPEC_DIR.",
  });
}

/** GitHub answered 401/403 for a reason other than rate limiting (bad or under-privileged token). */
export function specAccessDenied(detail: string): OmopetlError {
  return new OmopetlError({
    code: "SPEC_ACCESS_DENIED",
    severity: "error",
    message: `GitHub denied access to the OMOP CDM specification (${detail}).`,
    hint: "Check the token in GITHUB_TOKEN / GH_TOKEN (unset it for public repositories), or use --spec-dir <dir>.",
  });
}

/** GitHub kept failing (5xx after all retries) or answered with something that is not a file. */
export function specFetchFailed(detail: string): OmopetlError {
  return new OmopetlError({
    code: "SPEC_FETCH_FAILED",
    severity: "error",
    message: `could not fetch the OMOP CDM specification: ${detail}.`,
    hint: `Try again later. ${SPEC_AVAILABILITY_HINT}`,
  });
}

/** The spec CSV is malformed: bad CSV structure, unknown data type, bad flag, inconsistent tables. */
export function specParseError(location: SourceLocation, detail: string, hint?: string): OmopetlError {
  return new OmopetlError({
    code: "SPEC_PARSE_ERROR",
    severity: "error",
    location,
    message: `invalid OMOP CDM specification: ${detail}`,
    hint: hint ?? "The spec file looks damaged or is from an unsupported release; re-fetch it (`omopetl spec pull`) or pick another ref.",
  });
}

/** A CDM version omopetl does not know. */
export function specUnknownVersion(version: string, known: readonly string[], suggestion?: string): OmopetlError {
  return new OmopetlError({
    code: "SPEC_UNKNOWN_VERSION",
    severity: "error",
    message: `unknown OMOP CDM version "${version}"; supported versions: ${known.join(", ")}.`,
    hint: suggestion,
  });
}

/** Writing the on-disk cache failed (only fatal for `spec pull`, whose whole point is the cache). */
export function specCacheWriteFailed(dir: string, detail: string): OmopetlError {
  return new OmopetlError({
    code: "SPEC_CACHE_WRITE_FAILED",
    severity: "error",
    message: `could not write the OMOP CDM specification cache in ${dir}: ${detail}.`,
    hint: "Make the directory writable or choose another one with OMOPETL_CACHE_DIR.",
  });
}
