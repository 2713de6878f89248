/** The OMOP CDM specification: model, CSV parser, sources, cache and the manager tying them together. */
export * from "./spec-model.js";
export { parseSpec, parseCdmDataType } from "./parse-spec-csv.js";
export type { ParseSpecMeta } from "./parse-spec-csv.js";
export { standardIndexes, OHDSI_STANDARD_INDEXES } from "./standard-indexes.js";
export {
  computeContentHash,
  fieldFileName,
  tableFileName,
  SPEC_REPO_CSV_DIR,
} from "./spec-files.js";
export type { SpecFiles } from "./spec-files.js";
export { LocalSpecSource } from "./local-spec-source.js";
export {
  GitHubSpecSource,
  DEFAULT_SPEC_REF,
  DEFAULT_SPEC_OWNER,
  DEFAULT_SPEC_REPO,
  DEFAULT_GITHUB_BASE_URL,
} from "./github-spec-source.js";
export type { GitHubSpecSourceOptions } from "./github-spec-source.js";
export { SpecCache, defaultSpecCacheDir } from "./spec-cache.js";
export type { SpecCacheKey, SpecCacheManifest } from "./spec-cache.js";
export { SpecificationManager } from "./specification-manager.js";
export type { SpecificationManagerOptions } from "./specification-manager.js";
export {
  SPEC_AVAILABILITY_HINT,
  specUnavailable,
  specNotFound,
  specRateLimited,
  specAccessDenied,
  specFetchFailed,
  specParseError,
  specUnknownVersion,
  specCacheWriteFailed,
} from "./spec-errors.js";
