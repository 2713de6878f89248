import { z } from "zod";
import { MAX_TIMER_SECONDS } from "./workflow-schema.js";
import { CastTypeSchema, ExprSchema } from "../expr/ast.js";

/**
 * The CompiledWorkflowPlan: the versioned, deterministic, self-contained artifact the compiler emits and
 * orchestrators execute. It carries typed ASTs, never dialect SQL (unless compiled `--dialect X`, which adds `sql`).
 * Bump PLAN_VERSION on any incompatible change; `schemas/compiled-workflow-plan.schema.json` is generated from here.
 */
export const PLAN_VERSION = 1 as const;

/** A table named by its logical schema (source, staging, cdm, vocab, or a user-declared one). */
export const TableRefSchema = z.object({ schema: z.string(), name: z.string() });
export type TableRef = z.infer<typeof TableRefSchema>;

export const ColumnDefSchema = z.object({
  name: z.string(),
  type: CastTypeSchema,
  required: z.boolean(),
});
export type ColumnDef = z.infer<typeof ColumnDefSchema>;

export const ForeignKeyDefSchema = z.object({
  column: z.string(),
  references: TableRefSchema,
  referencesColumn: z.string(),
});
export type ForeignKeyDef = z.infer<typeof ForeignKeyDefSchema>;

/** Every table the plan touches, with its columns, so providers can create/load it without the spec. */
export const TableDefSchema = z.object({
  schema: z.string(),
  name: z.string(),
  /** true for tables of the OMOP CDM spec (columns from the spec); false for source/staging tables. */
  cdm: z.boolean(),
  columns: z.array(ColumnDefSchema),
  primaryKey: z.array(z.string()),
  foreignKeys: z.array(ForeignKeyDefSchema),
  /** Indexes to create: each an ordered column list. For CDM tables, OHDSI's standard indexes. */
  indexes: z.array(z.array(z.string())),
});
export type TableDef = z.infer<typeof TableDefSchema>;

export const FileFormatSchema = z.object({
  type: z.enum(["csv", "parquet"]),
  header: z.boolean(),
  /** Single character; "\t" for TSV. */
  delimiter: z.string(),
  /** Quote character, or null when the file is unquoted (Athena vocabulary exports). */
  quote: z.string().nullable(),
  /** Strings read as NULL (besides the empty field). */
  nullValues: z.array(z.string()),
  /**
   * strftime-style format for date columns, e.g. "%Y%m%d", or several tried in order (the first that reads a value
   * wins); undefined means ISO (YYYY-MM-DD). The grammar: src/core/load/date-format.ts.
   */
  dateFormat: z.union([z.string(), z.array(z.string()).min(2)]).optional(),
  /** strftime-style format(s) for datetime columns, as dateFormat; undefined means ISO 8601. */
  datetimeFormat: z.union([z.string(), z.array(z.string()).min(2)]).optional(),
});
export type FileFormat = z.infer<typeof FileFormatSchema>;

export const LoadBodySchema = z.object({
  kind: z.literal("load"),
  target: TableRefSchema,
  /** Absolute local paths or URIs (file://, s3://, gs://, abfss://); globs are kept for the engine to expand. */
  files: z.array(z.string()),
  format: FileFormatSchema,
  /**
   * Map of target column -> header name in the file, when they differ only by case (Athena headers are lower-case,
   * some exports upper-case). Columns absent from the file are loaded as NULL.
   */
  columns: z.array(ColumnDefSchema),
  /**
   * "null" when a declared column no file has is meant to load as NULL; absent (the default), the engine refuses
   * such a load (LOAD_HEADER_MISMATCH). CDM and vocabulary targets are never checked (their columns come from the spec).
   */
  missingColumns: z.literal("null").optional(),
  /** Declared key: the load fails its transaction when two rows of the files share it. Absent when none is declared. */
  key: z.array(z.string()).optional(),
  /**
   * `on_error: reject`: the table (recreated at every run of the load) that receives one row per value that does not
   * convert (file, data row, column, value, reason) instead of failing the load; the rows holding them are not
   * loaded. Absent (the default, `on_error: fail`): such a value fails the load (LOAD_BAD_VALUE).
   */
  rejects: TableRefSchema.optional(),
  /**
   * Columns of the target holding the name of the file each row came from (its base name, without the folder), or
   * the text `pattern` (a pattern of the one regex flavour, core/expr/regex-flavour.ts) captures from that name:
   * its group 1, or the whole match without a group; a file name it does not match fails the load. Varchar columns,
   * after the declared ones. Absent when the load declares none.
   */
  fileColumns: z.array(z.object({ name: z.string(), pattern: z.string().optional() })).optional(),
  /** Loads always replace the target's contents in one transaction: re-running is idempotent. */
  mode: z.literal("replace"),
});
export type LoadBody = z.infer<typeof LoadBodySchema>;

/**
 * A load of several tables in one step: each table's load, in the order written. Providers render them one after
 * the other, in one transaction where the engine has them, so the tables are replaced together.
 */
export const LoadsBodySchema = z.object({
  kind: z.literal("loads"),
  loads: z.array(LoadBodySchema).min(1),
});
export type LoadsBody = z.infer<typeof LoadsBodySchema>;

/** A table inner-joined inside a {@link JoinSchema}'s parentheses: `LEFT JOIN (t AS a INNER JOIN u AS b ON ...) ON ...`. */
export const NestedJoinSchema = z.object({
  table: TableRefSchema,
  alias: z.string(),
  on: ExprSchema,
});

/**
 * The logical schema of a {@link TableRefSchema} naming a `with:` sub-select of the transform (`sub` then holds its
 * name): not a table of the database, so providers render the sub-select instead.
 */
export const SUB_SELECT_SCHEMA = "with";

export const JoinSchema = z.object({
  type: z.enum(["inner", "left"]),
  table: TableRefSchema,
  alias: z.string(),
  /** The `with:` sub-select joined (its name; `table` is then `with.<name>`). Absent for tables. */
  sub: z.string().optional(),
  /** Set on the join of an `unpivot:`'s slot numbers: the unpivot's alias (how row accounting names the join). */
  unpivot: z.string().optional(),
  on: ExprSchema,
  /** "id_map" joins read surrogate ids; providers leave them out when enumerating keys to assign. */
  role: z.enum(["user", "lookup", "id_map"]),
  /**
   * Tables inner-joined to `table` before the join itself applies (so a left join matches only rows that have
   * them): a lookup's 'Maps to' row counts only when its target is a valid standard concept.
   */
  nested: z.array(NestedJoinSchema).optional(),
  /**
   * For a lookup's joins: the vocabulary ids its codes are looked up in. The step fails when one of them is known
   * to none of the places listing it (a misspelt `vocabulary:` would otherwise silently map nothing).
   */
  vocabularies: z.array(z.string()).optional(),
  /**
   * The table whose `vocabularyColumn` holds the known ids; absent: `table`. The source-concept join names
   * VOCABULARY (a vocabulary loaded but with no concept in CONCEPT is known: its codes are simply unmapped).
   */
  vocabularyTable: TableRefSchema.optional(),
  /**
   * The column holding those vocabulary ids; absent: vocabulary_id. A source_to_concept_map join names
   * source_vocabulary_id. An id is known when any join of the transform listing it finds it.
   */
  vocabularyColumn: z.string().optional(),
});
export type Join = z.infer<typeof JoinSchema>;

/** One surrogate id assigned (or read) by a select: `column` gets the id of `key` in `domain`. */
export const IdKeySchema = z.object({
  column: z.string(),
  domain: z.string(),
  /** A string-typed expression over the select's scope (without id_map joins) identifying the source row. */
  key: ExprSchema,
  /** true: new keys get new ids before the step runs; false: only read ids assigned by another step. */
  assign: z.boolean(),
  /** Alias of the id_map join that carries this id. */
  alias: z.string(),
});
export type IdKey = z.infer<typeof IdKeySchema>;

/**
 * A lookup of a select, for its mapping coverage report (run after the step): over the select's FROM, its user joins,
 * the joins named in `joins` and `where`, how many rows and distinct codes `mapped` is not NULL for.
 */
export const LookupCoverageSchema = z.object({
  /** The lookup's name in the DML. */
  name: z.string(),
  /** The code looked up (string-typed). */
  code: ExprSchema,
  /** The standard concept id the lookup found; NULL when unmapped. */
  mapped: ExprSchema,
  /** Aliases of the lookup joins to apply: this lookup's, and those of lookups `where` reads. */
  joins: z.array(z.string()),
  /** The select's own where (without lookup domain filters). */
  where: ExprSchema.optional(),
});
export type LookupCoverage = z.infer<typeof LookupCoverageSchema>;

const SelectFields = {
  distinct: z.boolean(),
  /** `sub`: the `with:` sub-select read (its name; `table` is then `with.<name>`). Absent for tables. */
  from: z.object({ table: TableRefSchema, alias: z.string(), sub: z.string().optional() }),
  joins: z.array(JoinSchema),
  where: ExprSchema.optional(),
  groupBy: z.array(ExprSchema),
  having: ExprSchema.optional(),
  /**
   * A boolean filter over the select's rows after window functions (and GROUP BY/HAVING), before DISTINCT; it may
   * call window functions. Optional: plans without it are unchanged.
   */
  qualify: ExprSchema.optional(),
  ids: z.array(IdKeySchema),
  /** The select's lookups, in DML order, for the mapping coverage report; absent when it has none. */
  lookups: z.array(LookupCoverageSchema).optional(),
  /** Output columns in the order of the transform's `columns`; an unmapped nullable column is a NULL literal. */
  columns: z.array(z.object({ name: z.string(), expr: ExprSchema })),
};

/**
 * A `with:` sub-select of a transform: a named select that later sub-selects and the transform's selects read like a
 * table (rendered as a common table expression), or a `values:` table. A select's `select.columns` are its
 * `columns`, in order. It assigns no ids.
 */
export const SubSelectSchema = z.object({
  name: z.string(),
  columns: z.array(ColumnDefSchema),
  /** The select it names; absent for a `values:` table and a union. */
  select: z.object(SelectFields).optional(),
  /** A `union_all` sub-select: its selects, each producing `columns` (a column it leaves out is NULL). */
  union: z.array(z.object(SelectFields)).min(1).optional(),
  /**
   * A `values:` table (and the one-row table a select without `from` reads): its rows, each one literal per column,
   * typed as its column. Exactly one of `select`, `union` and `values` is present.
   */
  values: z.array(z.array(ExprSchema)).optional(),
});
export type SubSelect = z.infer<typeof SubSelectSchema>;

export const SelectSchema = z.object({
  ...SelectFields,
  /**
   * The `with:` sub-selects this select reads, directly or through each other, each after those it reads. Absent
   * when it reads none (plans without sub-selects are unchanged).
   */
  with: z.array(SubSelectSchema).optional(),
});
export type Select = z.infer<typeof SelectSchema>;

/** A place in a DML file: 1-based line and column. */
export const SourcePositionSchema = z.object({ line: z.number().int().positive(), column: z.number().int().positive() });
export type SourcePosition = z.infer<typeof SourcePositionSchema>;

/**
 * The row accounting of one select: its WHERE split into the parts a row can fail, each with the reason reported
 * with its count (the user's `where`, then each lookup's routing by domain and its unmapped rows). Their AND means
 * what {@link SelectSchema}'s `where` means; the select's joins, grouping, having, qualify and distinct are read
 * from the select itself, with `having` and `qualify` as written for their reasons.
 */
export const AuditSelectSchema = z.object({
  filters: z.array(z.object({ reason: z.string(), expr: ExprSchema })),
  having: z.string().optional(),
  qualify: z.string().optional(),
  /**
   * Where the select's parts are written in the step's DML file (1-based line and column): its where and each
   * output column's expression, so a value error at run time names the line to fix.
   */
  at: z
    .object({
      where: SourcePositionSchema.optional(),
      columns: z.record(z.string(), SourcePositionSchema),
    })
    .optional(),
});
export type AuditSelect = z.infer<typeof AuditSelectSchema>;

export const TransformBodySchema = z.object({
  kind: z.literal("transform"),
  target: TableRefSchema,
  mode: z.enum(["merge", "replace", "rebuild"]),
  /** Key columns: the merge key (merge), informational for replace/rebuild. */
  key: z.array(z.string()),
  /** Target columns written, in order (every select yields them in this order). */
  columns: z.array(ColumnDefSchema),
  /**
   * replace: the target rows this step owns, as a boolean expression over the target's columns (table alias "t").
   * Absent: the step owns the whole table.
   */
  slice: ExprSchema.optional(),
  selects: z.array(SelectSchema),
  /**
   * Row accounting, so nothing is dropped silently: the tables the selects read rows from (one entry per select),
   * and why a row read may not be written (the select's where, inner joins, lookup domain filters, having, qualify,
   * distinct).
   */
  audit: z
    .object({
      sources: z.array(TableRefSchema),
      filters: z.array(z.string()),
      /** One per select, in order: what the row accounting counts (absent in plans of older versions). */
      selects: z.array(AuditSelectSchema).optional(),
    })
    .optional(),
});
export type TransformBody = z.infer<typeof TransformBodySchema>;

export const SqlBodySchema = z.object({
  kind: z.literal("sql"),
  /**
   * Statements per dialect; "default" is used when the target's dialect has no variant.
   * Schema placeholders `${schemas.<logical>}` are left for the provider to substitute with quoted physical names.
   */
  statements: z.record(z.string(), z.array(z.string())),
  transactional: z.boolean(),
  /**
   * The parameters the statements name as `${params.x}` (rendered by the provider as a literal of `type`) or
   * `${raw:params.x}` (spliced as written; only parameters declared with a pattern or enum). Absent when none is used.
   */
  params: z
    .record(z.string(), z.object({ type: z.enum(["string", "path", "integer", "number", "boolean"]), value: z.union([z.string(), z.number(), z.boolean()]) }))
    .optional(),
});
export type SqlBody = z.infer<typeof SqlBodySchema>;

export const DdlBodySchema = z.object({
  kind: z.literal("ddl"),
  /** "tables": CREATE TABLE IF NOT EXISTS; "constraints": primary and foreign keys; "indexes": standard indexes. */
  part: z.enum(["tables", "constraints", "indexes"]),
  /** CDM tables (with their logical schema) to act on; their definitions are in plan.tables. */
  tables: z.array(TableRefSchema),
});
export type DdlBody = z.infer<typeof DdlBodySchema>;

export const StepBodySchema = z.discriminatedUnion("kind", [
  LoadBodySchema,
  LoadsBodySchema,
  TransformBodySchema,
  SqlBodySchema,
  DdlBodySchema,
]);
export type StepBody = z.infer<typeof StepBodySchema>;

export const PlanStepSchema = z.object({
  name: z.string(),
  kind: z.enum(["load", "transform", "sql", "ddl"]),
  /** The DML file, relative to the workflow file, with forward slashes. */
  file: z.string(),
  description: z.string().optional(),
  /** Explicit and inferred dependencies, sorted by name. */
  dependsOn: z.array(z.string()),
  /** 0 for steps with no dependencies; otherwise 1 + the highest level of a dependency. */
  level: z.number().int().nonnegative(),
  /** sha256 of the step's canonical content (body, tables it writes); changes when the step's SQL would. */
  fingerprint: z.string(),
  retries: z.number().int().nonnegative(),
  timeoutSeconds: z.number().positive().max(MAX_TIMER_SECONDS).optional(),
  reads: z.array(TableRefSchema),
  writes: z.array(TableRefSchema),
  body: StepBodySchema,
  /** Present when compiled with --dialect: the provider's statements for this step, in execution order. */
  sql: z.array(z.string()).optional(),
});
export type PlanStep = z.infer<typeof PlanStepSchema>;

export const CompiledWorkflowPlanSchema = z.object({
  planVersion: z.literal(PLAN_VERSION),
  name: z.string(),
  cdmVersion: z.enum(["5.3", "5.4"]),
  spec: z.object({ version: z.enum(["5.3", "5.4"]), ref: z.string(), contentHash: z.string() }),
  /** Resolved parameter values (after defaults, config and --param). */
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  /** Logical schema -> default physical schema name; a target may override the mapping. */
  schemas: z.record(z.string(), z.string()),
  /** Where surrogate-id maps are persisted (a table in the staging schema). */
  idMap: TableRefSchema,
  tables: z.array(TableDefSchema),
  steps: z.array(PlanStepSchema),
  /** Dialect whose SQL is embedded in steps[].sql, when compiled with --dialect. */
  dialect: z.string().optional(),
  /** sha256 over the canonical plan content without this field. */
  fingerprint: z.string(),
});
export type CompiledWorkflowPlan = z.infer<typeof CompiledWorkflowPlanSchema>;
