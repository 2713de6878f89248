import { z } from "zod";

/** An expression of the portable expression language; YAML numbers, booleans and null are literals. */
export const ExpressionSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const Identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an identifier (letters, digits, _)");
/** `schema.table` with a logical schema name. */
export const QualifiedTableSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/, 'must be "schema.table", e.g. "cdm.person"');

/** Column types for declared (non-CDM) columns: varchar, varchar(50), integer, bigint, float, date, datetime, boolean. */
export const ColumnTypeSchema = z
  .string()
  .regex(
    /^(varchar(\(\d+\))?|text|string|integer|int|bigint|float|double|date|datetime|timestamp|boolean)$/i,
    "must be one of varchar, varchar(n), integer, bigint, float, date, datetime, boolean",
  );

const Description = z.string().optional().describe("What it does, for readers (shown by editors; the compiler ignores it).");
const Indexes = z.array(z.array(Identifier).min(1)).optional().describe("Indexes to create on the table, each a list of its columns, e.g. [[person_id], [start_date]].");

export const LoadDmlSchema = z.strictObject({
  kind: z.literal("load").describe("A load: the database reads delimited or Parquet files into a table (rows never pass through omopetl)."),
  description: Description,
  target: QualifiedTableSchema.describe("The table the files are loaded into, \"schema.table\" (logical schema: source, staging, cdm, vocab, ...)."),
  /** One path/URI/glob or a list; `${params.x}` substituted. Relative paths resolve against the DML file. */
  files: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe("One path, URI or glob, or a list of them; ${params.x} is substituted; relative paths resolve against the DML file."),
  format: z
    .strictObject({
      type: z.enum(["csv", "tsv", "parquet", "auto"]).default("csv").describe("File type: csv, tsv, parquet, or auto (from the extension). Default csv."),
      header: z.boolean().default(true).describe("Whether the first line is a header naming the columns (matched by name). Default true."),
      /** One character, "\\t"/"tab", or "auto" (detected from the header); `${params.x}` allowed. */
      delimiter: z.string().min(1).optional().describe("The field separator: one character, \"\\t\" or \"tab\", or \"auto\" (detected from the header); ${params.x} allowed."),
      /** A quote character, "none" (unquoted files), or "auto" (none for tab-separated files). */
      quote: z.string().min(1).optional().describe("The quote character, \"none\" (unquoted files), or \"auto\" (none for tab-separated files)."),
      /** Field values read as NULL besides the empty field (`null` itself is a YAML keyword, hence `nulls`). */
      nulls: z.union([z.string(), z.array(z.string())]).optional().describe("Field values read as NULL besides the empty field, e.g. ['NA', 'null'] (null itself is a YAML keyword)."),
      /**
       * strftime-style format of date columns (%Y %y %m %d, and %H %M %S %f read and dropped), "auto" (detected), or
       * a list of formats tried in order: the first that reads a value wins. Without it dates are ISO (YYYY-MM-DD).
       */
      date_format: z.union([z.string(), z.array(z.string()).min(1)]).optional().describe("strftime-style format of date columns (%Y %y %m %d; %H %M %S %f read and dropped), \"auto\", or a list of formats tried in order. Default ISO (YYYY-MM-DD)."),
      /** strftime-style format of datetime columns (%Y %y %m %d %H %M %S %f), or a list tried in order; default ISO. */
      datetime_format: z.union([z.string(), z.array(z.string()).min(1)]).optional().describe("strftime-style format of datetime columns (%Y %y %m %d %H %M %S %f), or a list tried in order. Default ISO."),
    })
    .optional()
    .describe("How the files are read: type, header, delimiter, quote, nulls, date formats (defaults: csv with a header, ISO dates)."),
  /**
   * Column name -> type, for non-CDM targets, or `from_header`: every column of the files' headers (read at compile
   * time), as varchar unless `column_types` names it. CDM targets take their columns from the spec.
   */
  columns: z
    .union([z.literal("from_header"), z.record(Identifier, ColumnTypeSchema)])
    .optional()
    .describe("Column name -> type (non-CDM targets), or from_header: every column of the files' headers as varchar, typed by column_types where it names one."),
  /** Columns holding the file a row came from: `name` (its base name) or `{ pattern }` (what the pattern captures from it). */
  file_columns: z
    .record(Identifier, z.union([z.literal("name"), z.strictObject({ pattern: z.string().min(1).describe("A pattern of the one regex flavour (README, Expressions): its group 1, or the whole match without a group, is the value; a file name it does not match fails the load.") })]))
    .optional()
    .describe("Varchar columns holding the name of the file each row came from (name: its base name) or a value captured from that name by { pattern: '...' } (SynPUF's year is only in its file names)."),
  /** With `columns: from_header`: the types of the header columns that are not varchar. */
  column_types: z
    .record(Identifier, ColumnTypeSchema)
    .optional()
    .describe("With columns: from_header, the type of each header column named here (the others are varchar); each must be in a header."),
  /**
   * What a declared column that no file's header has means: `error` (the default: LOAD_HEADER_MISMATCH, since it
   * would otherwise load as all-NULL) or `"null"` (the column is optional: NULL when the files lack it).
   */
  missing_columns: z.enum(["error", "null"]).optional().describe("A declared column that no file's header has: error (the default: LOAD_HEADER_MISMATCH) or \"null\" (an optional column, NULL when absent)."),
  /**
   * What a value that does not convert to its column's type does: `fail` (the default: LOAD_BAD_VALUE, nothing
   * written) or `reject` (its row goes to the rejects table `<target>_rejects` beside the target, the other rows load).
   */
  on_error: z.enum(["fail", "reject"]).optional().describe("A value that does not convert to its column's type: fail (the default: LOAD_BAD_VALUE, nothing written) or reject (the row goes to <target>_rejects, the others load)."),
  /**
   * The columns that identify a row of the files: the load fails when two rows share a key, and windows over the
   * table use it as their tie-breaker (deterministic results on every engine).
   */
  key: z.array(Identifier).min(1).optional().describe("The columns identifying a row of the files: the load fails when two rows share a key, and windows over the table break ties on it."),
  indexes: Indexes,
  mode: z.literal("replace").optional().describe("Loads always replace the target's rows (the only mode)."),
});
export type LoadDml = z.infer<typeof LoadDmlSchema>;

/** A table of a load of several tables: a load without kind; unset fields come from the step. */
export const LoadTableDmlSchema = LoadDmlSchema.omit({ kind: true }).extend({
  format: LoadDmlSchema.shape.format.describe("Overrides the step's format field by field (e.g. only date_format)."),
});
export type LoadTableDml = z.infer<typeof LoadTableDmlSchema>;

/**
 * A load of several tables in one step (e.g. the ten tables of an Athena vocabulary download): each entry of
 * `tables` is a load of its own (target, files, columns, key, ...), and the step's `format`, `missing_columns` and
 * `on_error` are every entry's defaults. The tables are replaced together, in one transaction where the engine has
 * them.
 */
export const LoadTablesDmlSchema = z.strictObject({
  kind: z.literal("load").describe("A load of several tables: each entry of tables is a load of its own."),
  description: Description,
  format: LoadDmlSchema.shape.format.describe("The default format of every table's files; a table's own format overrides it field by field."),
  missing_columns: LoadDmlSchema.shape.missing_columns.describe("The default missing_columns of every table."),
  on_error: LoadDmlSchema.shape.on_error.describe("The default on_error of every table."),
  tables: z
    .array(LoadTableDmlSchema)
    .min(1)
    .describe("The tables this step loads, each with its target and files (and columns, key, ... as a load of one table)."),
});
export type LoadTablesDml = z.infer<typeof LoadTablesDmlSchema>;

/** A table a select reads: `schema.table`, or the name of one of the transform's `with:` sub-selects. */
export const SelectSourceNameSchema = z
  .string()
  .regex(
    /^([A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?|range\([^()]*\))$/,
    'must be "schema.table" (e.g. "cdm.person"), the name of a `with:` sub-select or `values:` table, or range(a, b)',
  )
  .describe('"schema.table", the name of one of the transform\'s `with:` sub-selects or `values:` tables, or range(a, b): the integers a..b as column n.');

export const TableSourceSchema = z.union([
  z.string(),
  z.strictObject({ table: SelectSourceNameSchema, as: Identifier.optional().describe("The alias its columns are read by.") }),
]);

export const JoinDmlSchema = z.strictObject({
  table: SelectSourceNameSchema.describe("The table joined: \"schema.table\", a with: sub-select or values: table, or range(a, b)."),
  as: Identifier.optional().describe("The alias its columns are read by (default: the table's name)."),
  on: ExpressionSchema.describe("The join condition, an expression over the tables joined so far (and lets that read only those)."),
  type: z.enum(["inner", "left"]).default("inner").describe("inner (the default: rows without a match are dropped, counted by the row accounting) or left."),
});

/** A source of standard concepts for a lookup. */
export const LookupViaSchema = z.enum(["maps_to", "source_to_concept_map"]);

/** A vocabulary lookup: source code (+ vocabulary, + expected domain) -> standard and source concept. */
export const LookupDmlSchema = z.strictObject({
  code: ExpressionSchema.describe("The source code, an expression over the select's tables (cast to text), e.g. c.code."),
  vocabulary: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe("One vocabulary id or a list: CONCEPT's vocabulary_id of the code (and source_to_concept_map's source_vocabulary_id), e.g. ICD10CM."),
  /** Expected domain of the standard concept; rows mapping elsewhere are filtered out (routed to that domain's step). */
  domain: z.string().optional().describe("Expected domain of the standard concept (e.g. Condition); rows mapping elsewhere are left to that domain's step."),
  /** Keep rows whose code has no standard concept (concept_id 0). Default true. */
  keep_unmapped: z.boolean().optional().describe("Keep rows whose code has no standard concept (concept_id 0). Default true."),
  /**
   * Where standard concepts come from, in order of precedence: the first source that maps a code wins (its rows
   * only). `maps_to`: CONCEPT_RELATIONSHIP 'Maps to'; `source_to_concept_map`: SOURCE_TO_CONCEPT_MAP rows whose
   * source_vocabulary_id is one of `vocabulary`. Default: [maps_to].
   */
  via: z.union([LookupViaSchema, z.array(LookupViaSchema).min(1)]).optional().describe("Where standard concepts come from, in order of precedence: maps_to (CONCEPT_RELATIONSHIP 'Maps to'), source_to_concept_map. Default [maps_to]."),
  /**
   * What the run does when a `vocabulary` id is not in the loaded VOCABULARY (nor, via source_to_concept_map, in
   * its source_vocabulary_id): `fail` the step (the default: a misspelt id would map nothing, silently), or leave
   * the codes `unmapped` (concept 0, counted by the coverage report), for a vocabulary a download may lack (CVX in
   * a vocabulary shard). The compiler's UNKNOWN_VOCABULARY warning still catches ids no OHDSI vocabulary has.
   */
  missing_vocabulary: z.enum(["fail", "unmapped"]).optional().describe("A vocabulary id not in the loaded VOCABULARY: fail the step (the default) or leave its codes unmapped (concept 0, in the coverage report)."),
});

export const IdDmlSchema = z.strictObject({
  /** Expressions identifying the source row; the same key always gets the same id. */
  source_key: z.array(ExpressionSchema).min(1).describe("Expressions identifying the source row; the same key always gets the same id, on every run and engine."),
  /** The id space; defaults to "<target table>.<column>". Use another step's domain (with assign: false) to read its ids. */
  domain: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/).optional().describe("The id space; default \"<target table>.<column>\". Name another step's domain (with assign: false) to read its ids."),
  assign: z.boolean().optional().describe("Whether this select assigns ids to new keys (default true); false only reads the ids another step assigned."),
});

/** A select's named expressions: name -> expression, usable by name in its other expressions. */
const LetSchema = z
  .record(Identifier, ExpressionSchema)
  .optional()
  .describe(
    "Named expressions, name -> expression: used by their bare name in columns, where, group_by, having, qualify, " +
      "ids source keys and other lets (no cycle), and expanded there. A let must not be named like a column of a " +
      "table in scope (qualify the column instead).",
  );

/** Wide to long: one row per non-empty column of a list or pattern, as `<as>.slot` and `<as>.value`. */
const UnpivotColumnsSchema = z.union([z.string().min(1), z.array(ExpressionSchema).min(1)]);
export const UnpivotDmlSchema = z
  .strictObject({
    as: Identifier.describe(
      "The alias its columns are read by: <as>.slot (the slot number, integer) and <as>.value (or <as>.<name> for each " +
        "name of a map of columns).",
    ),
    columns: z
      .union([UnpivotColumnsSchema, z.record(Identifier, UnpivotColumnsSchema)])
      .describe(
        "The columns to unpivot: a pattern with one slot range, e.g. c.ICD9_DGNS_CD_{1..10} (slots 1..10; {01..10} pads " +
          "the number), or a list of columns (slots 1..n in order), all of one type: <as>.value. Or a map name -> pattern " +
          "or list over the same slots (a claim line's code, date and amount): <as>.<name> each. Columns of the from table " +
          "(unpivot a joined table in a with: sub-select).",
      ),
  })
  .describe(
    "Wide to long: each row of the select becomes one row per slot whose value is not empty (NULL, or '' for text; " +
      "with a map, a slot whose every value is empty): the empty ones are skipped and counted in the row accounting. " +
      "Joins, lookups, lets, where and columns read <as>.slot and the value columns.",
  );
export type UnpivotDml = z.infer<typeof UnpivotDmlSchema>;

export const SelectDmlShape = {
  from: TableSourceSchema.optional().describe(
    "The table (schema.table, a with: sub-select or a values: table) the select reads, optionally `AS alias`. " +
      "Without it the select yields one row (its columns are then constants or expressions over nothing).",
  ),
  let: LetSchema,
  joins: z.array(JoinDmlSchema).optional().describe("Tables joined to from, in order: { table, as, on, type }."),
  unpivot: UnpivotDmlSchema.optional(),
  lookups: z.record(Identifier, LookupDmlSchema).optional().describe("Vocabulary lookups, name -> { code, vocabulary, ... }: read as <name>.concept_id, <name>.source_concept_id, ..."),
  ids: z.record(Identifier, IdDmlSchema).optional().describe("Surrogate ids, target column -> { source_key, domain?, assign? }: the same key always gets the same id."),
  where: ExpressionSchema.optional().describe("A boolean filter on the rows read (before grouping); its rows dropped are counted by the row accounting."),
  group_by: z.array(ExpressionSchema).optional().describe("Expressions to group by; output columns are then grouped expressions or aggregates."),
  having: ExpressionSchema.optional().describe("A boolean filter on the groups (may use aggregates)."),
  /** A boolean filter evaluated after window functions (and grouping): may use window calls, e.g. row_number() ... = 1. */
  qualify: ExpressionSchema.optional().describe("A boolean filter after window functions (and grouping), e.g. row_number() OVER (PARTITION BY p ORDER BY d) = 1 keeps the first row per p."),
  distinct: z.boolean().optional().describe("Remove duplicate output rows (counted by the row accounting)."),
  columns: z.record(Identifier, ExpressionSchema).describe("Output column -> expression (the target's columns, or a sub-select's own)."),
};
export const SelectDmlSchema = z.strictObject(SelectDmlShape);
export type SelectDml = z.infer<typeof SelectDmlSchema>;

/** A `with:` sub-select: a select without surrogate ids, its output columns typed from their expressions. */
export const SubSelectDmlSchema = z
  .strictObject({
    description: Description,
    from: SelectDmlShape.from,
    let: SelectDmlShape.let,
    joins: SelectDmlShape.joins,
    unpivot: SelectDmlShape.unpivot,
    lookups: SelectDmlShape.lookups,
    where: SelectDmlShape.where,
    group_by: SelectDmlShape.group_by,
    having: SelectDmlShape.having,
    qualify: SelectDmlShape.qualify,
    distinct: SelectDmlShape.distinct,
    columns: SelectDmlShape.columns,
  })
  .describe(
    "A named select read like a table by later sub-selects and by the transform's selects (`from: <name>`, " +
      "`joins: [{ table: <name> }]`), rendered as a common table expression. It has its own from, joins, lookups, " +
      "where, group_by, having, qualify and columns (typed from their expressions); it assigns no ids.",
  );
export type SubSelectDml = z.infer<typeof SubSelectDmlSchema>;

/** A `with:` sub-select that is a UNION ALL of selects: its columns are every column its branches name. */
export const SubSelectUnionDmlSchema = z
  .strictObject({
    description: Description,
    union_all: z
      .array(SubSelectDmlSchema)
      .min(1)
      .describe(
        "The selects whose rows the sub-select holds (UNION ALL). Its columns are every column a branch names, in order of " +
          "first appearance; a branch that leaves one out gives NULL there. A column's branches must agree on its type.",
      ),
  })
  .describe("A named UNION ALL of selects, read like a table by later sub-selects and by the transform's selects.");
export type SubSelectUnionDml = z.infer<typeof SubSelectUnionDmlSchema>;

/** A small table written in the step: typed columns and literal rows, read by name like a table. */
export const ValuesTableDmlSchema = z
  .strictObject({
    description: Description,
    columns: z.record(Identifier, ColumnTypeSchema).describe("Column name -> type, in order (varchar, integer, date, ...)."),
    rows: z
      .array(z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).min(1))
      .min(1)
      .describe("The rows, each a list of values in the order of `columns`: text, numbers, true/false or null; dates as 'YYYY-MM-DD'."),
  })
  .describe("An inline table (e.g. a code -> concept map), rendered as VALUES on every engine.");
export type ValuesTableDml = z.infer<typeof ValuesTableDmlSchema>;

const TransformCommon = {
  kind: z.literal("transform").describe("A transform: a set-based insert of one select (or a union_all of selects) into a CDM or staging table."),
  description: Description,
  target: QualifiedTableSchema.describe("The table written, \"schema.table\": a CDM table (cdm.person) or a staging table (staging.x)."),
  mode: z.enum(["merge", "replace", "rebuild"]).describe("merge (upsert on key, prune the step's rows whose source is gone), replace (delete the slice, insert), or rebuild (recreate a staging table)."),
  key: z.array(Identifier).optional().describe("The columns identifying a row of the target (default: a CDM table's primary key); merge upserts on it."),
  slice: ExpressionSchema.optional().describe("With mode: replace, a boolean expression over the target's columns (alias t) selecting the rows this step owns."),
  /**
   * What a select that leaves a column out writes there: column -> constant expression (null for NULL). A
   * `union_all` select may leave out any column with a default (and, on a CDM target, any nullable column: NULL).
   */
  defaults: z
    .record(Identifier, ExpressionSchema)
    .optional()
    .describe(
      "Column -> constant (null for NULL) written by a select that leaves the column out: union_all selects may then " +
        "map different columns. On a CDM target a nullable column left out is NULL without a default.",
    ),
  /** Types for non-CDM target columns whose type cannot be inferred (e.g. a NULL literal). */
  column_types: z.record(Identifier, ColumnTypeSchema).optional().describe("Types of non-CDM target columns whose type cannot be inferred (e.g. a NULL literal)."),
  indexes: Indexes,
  /**
   * Named sub-selects (common table expressions): name -> select. Each may read the ones it names, in any order
   * (not in a cycle); the transform's selects read them like tables. A window over a window, an aggregate over a
   * window or "the first row per key" needs no staging table.
   */
  with: z
    .record(Identifier, z.union([SubSelectDmlSchema, SubSelectUnionDmlSchema]))
    .optional()
    .describe(
      "Named sub-selects (common table expressions), name -> select: read like a table by each other (no cycle) and " +
        "by the transform's selects, e.g. `from: ranked` after `with: { ranked: { from: ..., columns: ... } }`; or a " +
        "union_all of such selects.",
    ),
  values: z
    .record(Identifier, ValuesTableDmlSchema)
    .optional()
    .describe(
      "Inline tables, name -> { columns, rows }: read by name like a table (`from: codes AS c`, " +
        "`joins: [{ table: codes, on: ... }]`) by the transform's selects and its with: sub-selects.",
    ),
};

/** A transform is either one select (from/joins/columns at the top level) or a `union_all` of selects. */
export const TransformDmlSchema = z.union([
  z.strictObject({ ...TransformCommon, ...SelectDmlShape }),
  z.strictObject({
    ...TransformCommon,
    union_all: z
      .array(SelectDmlSchema)
      .min(1)
      .describe("The selects whose rows are written (UNION ALL), each with its own from, joins, lookups, ids and columns; a column one leaves out takes its default."),
  }),
]);
export type TransformDml = z.infer<typeof TransformDmlSchema>;

export const SqlDmlSchema = z.strictObject({
  kind: z.literal("sql").describe("A sql step: statements run as written (the escape hatch), declaring what they read and write."),
  description: Description,
  reads: z.array(QualifiedTableSchema).optional().describe("The tables the statements read (\"schema.table\"), for the step order."),
  writes: z.array(
    z.union([QualifiedTableSchema, z.strictObject({
        table: QualifiedTableSchema.describe('The table written, "schema.table".'),
        columns: z.record(Identifier, ColumnTypeSchema).optional().describe("Its columns, name -> type, for the steps that read it."),
      })]),
  ).describe("The tables the statements write, \"schema.table\" or { table, columns } (columns typed, for the steps that read it)."),
  sql: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe("One statement or a list, run in order; {{schema}} placeholders name the physical schemas."),
  /** Per-dialect variants: dialect name -> statements. */
  dialects: z.record(Identifier, z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).optional().describe("Per-dialect variants, dialect name -> statements, used instead of sql: on that dialect."),
  transactional: z.boolean().optional().describe("Whether the statements run in one transaction (default true)."),
});
export type SqlDml = z.infer<typeof SqlDmlSchema>;

export const DdlDmlSchema = z.strictObject({
  kind: z.literal("ddl").describe("A ddl step: CDM tables (or their constraints or indexes) created from the spec."),
  description: Description,
  part: z.enum(["tables", "constraints", "indexes"]).default("tables").describe("What is created: tables (the default), constraints (keys) or indexes."),
  tables: z.union([z.literal("all"), z.array(Identifier).min(1)]).default("all").describe('The CDM tables: "all" (the default) or a list of names, e.g. [person, visit_occurrence].'),
});
export type DdlDml = z.infer<typeof DdlDmlSchema>;

export const DML_KINDS = ["load", "transform", "sql", "ddl"] as const;
export type DmlKind = (typeof DML_KINDS)[number];

export const DML_SCHEMAS = {
  load: LoadDmlSchema,
  transform: TransformDmlSchema,
  sql: SqlDmlSchema,
  ddl: DdlDmlSchema,
} as const;
