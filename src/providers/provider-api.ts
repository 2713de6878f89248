/**
 * The provider API (`omopetl/provider`): what a SQL dialect implements so omopetl can run plans on it.
 *
 * Modelled on Kysely's Dialect (a small interface plus capability flags, with SQL generation kept pure) and on
 * Drizzle's split of SQL generation from drivers: a {@link SqlGenerator} turns plan steps into statements without
 * any I/O, and a {@link Connection} executes them. Orchestrators run a step with {@link executeRenderedStep}
 * without knowing the dialect: whether the statements need one transaction is part of what the generator returns.
 *
 * This file is the entry point: the API itself is in api/ (capabilities.ts, generator.ts, ledger.ts, connection.ts,
 * step-execution.ts), the helpers a dialect needs are re-exported below from where they live.
 */
export * from "./api/capabilities.js";
export * from "./api/generator.js";
export * from "./api/ledger.js";
export * from "./api/connection.js";
export * from "./api/step-execution.js";
export * from "./api/existing-tables.js";

export { checkTargetOptions, TARGET_COMMON_OPTIONS, type TargetOptionIssue } from "./target-options.js";

export {
  UnsupportedFeatureError,
  SqlExecutionError,
  invalidIdentifier,
  invalidLiteral,
  invalidPlan,
  unknownSchema,
  invalidTargetConfig,
  connectionFailed,
} from "./provider-errors.js";

/**
 * The shared generator built-in dialects extend; a third-party dialect close to PostgreSQL or DuckDB can extend it
 * too and override only the hooks where its SQL differs.
 */
export { BaseSqlGenerator, ID_MAP_COLUMNS } from "./base/base-generator.js";
/** The base renderings of omopetl's own statements (to extend), and the ones used for a generator without them. */
export { BaseLedgerSql, ledgerSqlOf } from "./base/ledger-sql.js";
export { BaseCatalogSql, catalogSqlOf } from "./base/catalog-sql.js";
/** The header check of loads (LOAD_HEADER_MISMATCH), for providers that render their own loads. */
export { checksHeader, headerMismatchSelect } from "./base/load-header-check.js";
/**
 * Helpers a provider's generator needs, exported so a third-party dialect does not re-implement them: file URIs and
 * glob patterns of loads, strftime formats (the plan's date formats) split into directives, the table definitions of a
 * render context, and SQL text layout. The built-in providers themselves are `omopetl/provider/duckdb` and
 * `omopetl/provider/postgres` (their generator classes can be extended; kept out of this entry so importing the API
 * does not load a database driver).
 */
export { uriScheme, localPath, hasGlob, splitDirectory, globToRegex } from "./base/file-patterns.js";
export { tokenizeStrftime, toPostgresTemplate, PG_STRFTIME_DIRECTIVES, type StrftimeToken } from "./base/strftime.js";
/**
 * The date format grammar of loads and to_date/to_timestamp (a format as a regex with a group per field; %y by the
 * POSIX rule), for engines that parse dates outside SQL: the base generator already renders it in SQL.
 */
export {
  parseDateFormat,
  isDateFormatProblem,
  dateFormatList,
  twoDigitYear,
  DATE_FORMAT_DIRECTIVES,
  type ParsedDateFormat,
  type DateFormatPart,
  type DateFormatProblem,
  type DateField,
} from "../core/load/date-format.js";
export { findTableDef, requireTableDefs, tableDefOrColumns, objectName } from "./base/plan-helpers.js";
export { indent, sqlComment } from "./base/sql-text.js";
