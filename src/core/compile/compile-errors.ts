import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import type { EmptyFileText } from "../load/empty-file.js";

/**
 * One factory per diagnostic code of the compiler (the expression language and the spec loader keep their own).
 * Messages say what is wrong; hints say how to fix it.
 */
function error(code: string, location: SourceLocation | undefined, message: string, hint?: string): Diagnostic {
  return { code, severity: "error", location, message, ...(hint ? { hint } : {}) };
}
function warning(code: string, location: SourceLocation | undefined, message: string, hint?: string): Diagnostic {
  return { code, severity: "warning", location, message, ...(hint ? { hint } : {}) };
}

// --- schema (shape of the YAML) -------------------------------------------------------------
export const unknownField = (loc: SourceLocation, key: string, parent: string, suggestion: string | undefined, known: string[]) =>
  error("UNKNOWN_FIELD", loc, `"${key}" is not a field of ${parent}.${suggestion ? ` ${suggestion}` : ""}`, known.length ? `Known fields: ${known.join(", ")}.` : undefined);
export const missingField = (loc: SourceLocation, key: string, parent: string, expected: string) =>
  error("MISSING_FIELD", loc, `${parent} is missing the required field "${key}".`, `Add "${key}:" (${expected}).`);
export const invalidType = (loc: SourceLocation, field: string, expected: string, actual: string) =>
  error("INVALID_TYPE", loc, `"${field}" must be ${expected}, not ${actual}.`);
export const invalidValue = (loc: SourceLocation, field: string, detail: string) =>
  error("INVALID_VALUE", loc, `invalid value for "${field}": ${detail}.`);
export const unknownDmlKind = (loc: SourceLocation, kind: string, suggestion: string | undefined) =>
  error("UNKNOWN_KIND", loc, `"${kind}" is not a DML kind.${suggestion ? ` ${suggestion}` : ""}`, "Use one of: load, transform, sql, ddl, era, observation_period.");

// --- files and steps ------------------------------------------------------------------------
export const fileNotFound = (loc: SourceLocation | undefined, path: string) =>
  error("FILE_NOT_FOUND", loc, `file "${path}" does not exist.`, "Paths in a workflow are relative to the workflow file.");
export const noFilesMatched = (loc: SourceLocation, pattern: string) =>
  error("NO_FILES_MATCHED", loc, `"${pattern}" matches no DML file.`, "Check the glob; paths are relative to the workflow file.");
export const duplicateStep = (loc: SourceLocation, name: string, otherFile: string) =>
  error("DUPLICATE_STEP", loc, `step "${name}" is defined twice (also by ${otherFile}).`, 'Give one of them a distinct "name:".');
export const nameWithGlob = (loc: SourceLocation, pattern: string) =>
  error("NAME_WITH_GLOB", loc, `"name" cannot be used with "${pattern}", which matches several files.`, "Each file's step is named by its stem; list the file on its own to rename it.");
export const unknownStep = (loc: SourceLocation, name: string, suggestion: string | undefined) =>
  error("UNKNOWN_STEP", loc, `depends_on names "${name}", which is not a step of this workflow.${suggestion ? ` ${suggestion}` : ""}`);
export const selfDependency = (loc: SourceLocation, name: string) =>
  error("SELF_DEPENDENCY", loc, `step "${name}" depends on itself.`, `Remove "${name}" from its depends_on.`);
export const dependencyCycle = (loc: SourceLocation, path: string[]) =>
  error("CYCLE", loc, `steps depend on each other in a cycle: ${path.join(" -> ")}.`, "Remove one depends_on, or split a step so that what it reads is written before it.");
export const unwrittenTable = (loc: SourceLocation, table: string) =>
  error("UNWRITTEN_TABLE", loc, `"${table}" is read here but no step writes it.`, `Add a step that loads or creates it, or declare it under "external:" in the workflow if it already exists.`);
export const tableNotCreated = (loc: SourceLocation, table: string, verb: "written" | "read" | "finished") =>
  error(
    "TABLE_NOT_CREATED",
    loc,
    `"${table}" is ${verb} here but no step creates it: CDM and vocabulary tables are created by a ddl step (loads and transforms do not create them).`,
    `Add a ddl step (kind: ddl, part: tables) listing "${table.split(".")[1]}", or declare "${table}" under "external:" in the workflow if it exists before the run.`,
  );
export const physicalTableClash = (loc: SourceLocation, table: string, other: string, physical: string) =>
  error(
    "PHYSICAL_TABLE_CLASH",
    loc,
    `"${table}" and "${other}" are the same physical table "${physical}": their logical schemas map to one schema.`,
    "Map the logical schemas to different physical schemas under schemas:, or rename one of the tables.",
  );
export const sliceConflict = (loc: SourceLocation, table: string, other: string, why: string) =>
  error("SLICE_CONFLICT", loc, `replace steps "${other}" and this one both claim ${why} of "${table}".`, 'Give each replace step a distinct "slice:" (the rows it owns), or use mode: merge.');
export const rebuildConflict = (loc: SourceLocation, table: string, other: string) =>
  error("WRITE_CONFLICT", loc, `"${table}" is rebuilt by this step and also written by "${other}".`, "A rebuilt table belongs to one step; write another table, or use merge/replace in both.");

// --- parameters -----------------------------------------------------------------------------
export const unknownParam = (loc: SourceLocation | undefined, name: string, suggestion: string | undefined) =>
  error("UNKNOWN_PARAM", loc, `parameter "${name}" is not declared.${suggestion ? ` ${suggestion}` : ""}`, "Declare it under params: in the workflow.");
export const missingParam = (loc: SourceLocation, name: string) =>
  error("MISSING_PARAM", loc, `parameter "${name}" has no value.`, `Pass --param ${name}=... or give it a default.`);
export const paramType = (loc: SourceLocation | undefined, name: string, type: string, value: string) =>
  error("PARAM_TYPE", loc, `parameter "${name}" is ${/^[aeiou]/.test(type) ? "an" : "a"} ${type}, but got "${value}".`);

export const paramValueRejected = (loc: SourceLocation | undefined, name: string, value: string, rule: string) =>
  error("PARAM_VALUE", loc, `parameter "${name}" got "${value}", which ${rule}.`, "Pass an allowed value (--param or config params:), or change the parameter's pattern/enum in the workflow.");
export const badParamPattern = (loc: SourceLocation, name: string, detail: string) =>
  error("INVALID_VALUE", loc, `invalid value for "pattern" of parameter "${name}": ${detail}.`, "Write a JavaScript regular expression, e.g. pattern: \"^[a-z_]+$\".");
export const paramInQuotes = (loc: SourceLocation, placeholder: string, where: "string" | "identifier") =>
  error(
    "PARAM_IN_QUOTES",
    loc,
    `${placeholder} stands inside a quoted ${where === "string" ? "string" : "identifier"}: parameters in sql are rendered as complete, quoted literals.`,
    `Remove the quotes around it (write ${placeholder}, not ${where === "string" ? `'${placeholder}'` : `"${placeholder}"`}).`,
  );
export const paramInComment = (loc: SourceLocation, placeholder: string) =>
  error("PARAM_IN_COMMENT", loc, `${placeholder} stands inside a SQL comment, where a value could end the comment.`, "Move it out of the comment or remove it.");
export const rawParamNotAllowed = (loc: SourceLocation, name: string) =>
  error(
    "PARAM_NOT_ALLOWED",
    loc,
    `\${raw:params.${name}} splices the value as SQL, which is only allowed for a parameter declared with a pattern or an enum.`,
    `Write \${params.${name}} (a literal), or declare params: { ${name}: { pattern: "^[a-z_]+$" } } (or enum: [...]).`,
  );
export const unknownPlaceholder = (loc: SourceLocation | undefined, placeholder: string, suggestion: string | undefined) =>
  error(
    "UNKNOWN_PLACEHOLDER",
    loc,
    `${placeholder} is not a placeholder a file path can use: only \${params.<name>} is substituted there, so it would be read as a literal folder name.`,
    suggestion ? `Write ${suggestion}.` : "Write ${params.<name>} for a declared parameter, or remove the ${...}.",
  );
export const rawParamSplice = (loc: SourceLocation, name: string) =>
  warning("RAW_PARAM_SPLICE", loc, `\${raw:params.${name}} splices the parameter's value into the SQL as written (checked only by its pattern/enum).`, `Prefer \${params.${name}}, which renders a quoted literal.`);

// --- tables and columns ---------------------------------------------------------------------
export const unknownSchema = (loc: SourceLocation, schema: string, known: string[], suggestion: string | undefined) =>
  error("UNKNOWN_SCHEMA", loc, `"${schema}" is not a logical schema of this workflow.${suggestion ? ` ${suggestion}` : ""}`, `Known: ${known.join(", ")}; declare others under "schemas:".`);
export const unknownCdmTable = (loc: SourceLocation, table: string, version: string, suggestion: string | undefined) =>
  error("UNKNOWN_TABLE", loc, `"${table}" is not a table of OMOP CDM ${version}.${suggestion ? ` ${suggestion}` : ""}`);
export const unknownTargetColumn = (loc: SourceLocation, column: string, table: string, suggestion: string | undefined) =>
  error("UNKNOWN_COLUMN", loc, `"${column}" is not a column of CDM table "${table}".${suggestion ? ` ${suggestion}` : ""}`);
export const requiredColumnMissing = (loc: SourceLocation, columns: string[], table: string) =>
  error("REQUIRED_COLUMN_MISSING", loc, `required (NOT NULL) column${columns.length > 1 ? "s" : ""} ${columns.map((c) => `"${c}"`).join(", ")} of "${table}" ${columns.length > 1 ? "are" : "is"} not mapped.`, "Map each under columns:.");
export const unknownKeyColumn = (loc: SourceLocation, column: string, table: string, suggestion: string | undefined) =>
  error("UNKNOWN_KEY_COLUMN", loc, `key column "${column}" is not a column written to "${table}".${suggestion ? ` ${suggestion}` : ""}`);
export const keyRequired = (loc: SourceLocation, table: string, pk: string[]) =>
  error("KEY_REQUIRED", loc, `mode merge needs a key to upsert "${table}" on.`, pk.length ? `Add key: [${pk.join(", ")}] (the table's primary key).` : "Add key: [column, ...].");
export const columnTypeMismatch = (loc: SourceLocation, column: string, table: string, exprType: string, columnType: string, hint?: string) =>
  error("TYPE_MISMATCH", loc, `column "${column}" of "${table}" is ${columnType}, but the expression is ${exprType}.`, hint ?? `CAST the expression to ${columnType}.`);
export const valueTooLong = (loc: SourceLocation, column: string, table: string, length: number, chars: number) =>
  error(
    "VALUE_TOO_LONG",
    loc,
    `column "${column}" of "${table}" is varchar(${length}), but this text has ${chars} characters: every row would fail the step ("value too long").`,
    `Shorten the text, or write CAST(... AS varchar(${length})) to keep its first ${length} characters.`,
  );
export const conceptColumnNotConcept = (loc: SourceLocation, column: string) =>
  warning("CONCEPT_NOT_LOOKED_UP", loc, `"${column}" is a concept column fed by an expression that is neither a concept lookup, a concept table column nor a literal.`, "Use a lookups: entry (or a join on concept) so the value is a real concept id.");
export const cdmColumnsDeclared = (loc: SourceLocation, table: string) =>
  error("CDM_COLUMNS_DECLARED", loc, `"${table}" is a CDM table: its columns come from the spec and cannot be declared.`, "Remove columns:.");
export const columnsRequired = (loc: SourceLocation, table: string) =>
  error("COLUMNS_REQUIRED", loc, `"${table}" is not a CDM table, so its columns must be declared.`, "Add columns: { name: type, ... }.");
export const unknownTableColumns = (loc: SourceLocation, table: string) =>
  warning("UNTYPED_TABLE", loc, `the columns of "${table}" are unknown (it is written by a sql step that does not declare them); they are not checked.`, "Declare them: writes: [{ table: ..., columns: {...} }].");
export const duplicateAlias = (loc: SourceLocation, alias: string) =>
  error("DUPLICATE_ALIAS", loc, `alias "${alias}" is used twice in one select.`, "Give each table, lookup and id a distinct alias.");
export const unionColumnsMismatch = (loc: SourceLocation, index: number, missing: string[], extra: string[]) =>
  error("UNION_COLUMNS_MISMATCH", loc, `union_all select #${index + 1} does not write the same columns as the first${missing.length ? `: it lacks ${missing.join(", ")}` : ""}${extra.length ? `${missing.length ? ";" : ":"} it adds ${extra.join(", ")}` : ""}.`, "Map the same columns in every select of the union, or declare what a select leaving one out writes: defaults: { <column>: null }.");
export const sliceNotReplace = (loc: SourceLocation, mode: string) =>
  error("SLICE_NOT_REPLACE", loc, `slice only applies to mode replace, not ${mode}.`, "Remove slice: or use mode: replace.");
export const rebuildCdm = (loc: SourceLocation, table: string) =>
  error("REBUILD_CDM_TABLE", loc, `mode rebuild would drop and recreate CDM table "${table}".`, "Use merge or replace for CDM tables; rebuild is for staging tables.");
export const idNotInteger = (loc: SourceLocation, column: string, table: string) =>
  error("ID_COLUMN_TYPE", loc, `surrogate id "${column}" must go to an integer column, and "${column}" of "${table}" is not one.`);
export const idDomainUnknown = (loc: SourceLocation, domain: string, suggestion: string | undefined) =>
  error("UNKNOWN_ID_DOMAIN", loc, `no step assigns ids in domain "${domain}".${suggestion ? ` ${suggestion}` : ""}`, "Reading ids (assign: false) needs a step that assigns them.");
export const aggregateWithoutGroup = (loc: SourceLocation, column: string) =>
  error("AGGREGATE_MIXED", loc, `"${column}" is not aggregated and not in group_by.`, "Add it to group_by or wrap it in an aggregate such as min().");
// --- derivations (kind: era, kind: observation_period) ---------------------------------------
export const derivedUnknownColumn = (loc: SourceLocation, column: string, role: string, table: string, field: string, suggestion: string | undefined) =>
  error(
    "UNKNOWN_COLUMN",
    loc,
    `"${column}" (the ${role} column) is not a column of ${table}.${suggestion ? ` ${suggestion}` : ""}`,
    `Name a column of ${table} under ${field}, or read another table.`,
  );
export const derivedColumnType = (loc: SourceLocation, column: string, role: string, table: string, expected: string, actual: string, field: string) =>
  error(
    "SOURCE_COLUMN_TYPE",
    loc,
    `"${column}" of ${table} is ${actual}, but the ${role} column must be ${/^[aeiou]/.test(expected) ? "an" : "a"} ${expected}.`,
    `Name a column of type ${expected} under ${field}, or convert it in the step that writes ${table} (e.g. CAST(x AS ${expected === "number" ? "float" : expected.split(" ")[0]})).`,
  );
export const externalInvalid = (loc: SourceLocation, value: string) =>
  error("INVALID_VALUE", loc, `invalid value for "external": "${value}" is not "schema.table".`);
export const wrongSchema = (loc: SourceLocation, table: string, given: string, expected: string) =>
  error("WRONG_SCHEMA", loc, `CDM table "${table}" belongs in logical schema "${expected}", not "${given}".`, `Write "${expected}.${table}".`);
export const idAlsoMapped = (loc: SourceLocation, column: string) =>
  error("ID_ALSO_MAPPED", loc, `"${column}" is declared under ids: and also mapped under columns:.`, "Keep one: ids: assigns the column its stable surrogate id.");
export const untypedColumn = (loc: SourceLocation, column: string, table: string, type: string) =>
  error("UNTYPED_COLUMN", loc, `the type of column "${column}" of "${table}" cannot be inferred from an expression of type ${type}.`, `Declare it: column_types: { ${column}: varchar }, or CAST the expression.`);
export const invalidFrom = (loc: SourceLocation, text: string) =>
  error("INVALID_VALUE", loc, `invalid value for "from": "${text}" is not "schema.table [AS alias]".`, 'Write e.g. from: "source.patients AS p" or from: { table: source.patients, as: p }.');
export const unknownSchemaPlaceholder = (loc: SourceLocation, schema: string, known: string[]) =>
  error("UNKNOWN_SCHEMA", loc, `\${schemas.${schema}} names a logical schema this workflow does not have.`, `Known: ${known.join(", ")}.`);
export const parquetOptions = (loc: SourceLocation) =>
  error("INVALID_FORMAT", loc, "delimiter, quote, nulls, date_format and header do not apply to parquet files.", "Remove them, or use type: csv.");
export const formatNotDetected = (loc: SourceLocation, file: string) =>
  error("FORMAT_NOT_DETECTED", loc, `cannot detect the delimiter or date format: "${file}" is not a readable local file.`, "Give delimiter/date_format explicitly (remote files are not sniffed).");
export const badDelimiter = (loc: SourceLocation, delimiter: string, quote: string | undefined) =>
  error("INVALID_FORMAT", loc, `invalid load format: delimiter ${JSON.stringify(delimiter)}${quote !== undefined ? ` and quote ${JSON.stringify(quote)}` : ""} must each be one character.`, 'Use e.g. delimiter: ",", "\\t" or "auto"; quote: \'"\', "none" or "auto".');
export const dataFileNotFound = (loc: SourceLocation, file: string) =>
  warning("DATA_FILE_NOT_FOUND", loc, `"${file}" does not exist (yet): this load will fail unless it is there when the plan runs.`, "Check the path and the parameters it is built from.");
export const rejectsNeedText = (loc: SourceLocation) =>
  error(
    "INVALID_FORMAT",
    loc,
    "on_error: reject applies to csv and tsv files, whose values the load checks as text; parquet values are typed by their file.",
    "Remove on_error (a parquet value that does not convert fails the load), or convert the files to csv.",
  );
export const rejectsInSeveralTables = (loc: SourceLocation) =>
  error(
    "INVALID_VALUE",
    loc,
    'invalid value for "on_error": reject is for a load of one table (its report names one rejects table).',
    "Give the table whose values may not convert a load step of its own with on_error: reject.",
  );
export const loadEmptyFile = (loc: SourceLocation, file: string, text: EmptyFileText) => error("LOAD_EMPTY_FILE", loc, `"${file}" ${text.reason}.`, text.fix);
export const loadHeaderMismatch = (loc: SourceLocation, column: string, files: string, header: readonly string[], suggestion: string | undefined) =>
  error(
    "LOAD_HEADER_MISMATCH",
    loc,
    `the declared column "${column}" is in no header of ${files} (the header has: ${header.join(", ")}).${suggestion ? ` ${suggestion}` : ""}`,
    "Columns match the header by name, ignoring case: rename the column (header columns not declared are ignored).",
  );
export const fromHeaderUnreadable = (loc: SourceLocation, files: string) =>
  error(
    "FROM_HEADER_UNREADABLE",
    loc,
    `columns: from_header needs a header to read at compile time, and ${files}.`,
    "Point files at local CSV/TSV files with a header (format header: true), or declare columns: { name: type, ... }.",
  );
export const fromHeaderBadName = (loc: SourceLocation, name: string, file: string) =>
  error(
    "FROM_HEADER_BAD_NAME",
    loc,
    `the header of "${file}" has the column ${JSON.stringify(name)}, which is not a column name (letters, digits and _, not starting with a digit).`,
    "Rename it in the file, or declare columns: { name: type, ... } and read the file without it.",
  );
export const fileColumnInvalid = (loc: SourceLocation, message: string, hint: string) => error("FILE_COLUMN_INVALID", loc, message, hint);
export const columnTypesWithoutHeader = (loc: SourceLocation) =>
  error("COLUMN_TYPES_WITHOUT_FROM_HEADER", loc, "column_types only goes with columns: from_header.", "Give the types under columns: instead, or write columns: from_header.");
export const unmappedConflict = (loc: SourceLocation, lookup: string, step: string, otherLookup: string, otherStep: string, otherAt: string) =>
  error(
    "UNMAPPED_CONFLICT",
    loc,
    `lookup "${lookup}" of step "${step}" and lookup "${otherLookup}" of step "${otherStep}" (${otherAt}) route the same source by domain and both keep its unmapped rows: every unmapped code would be written by both steps.`,
    "Set keep_unmapped: false on every such lookup but the one whose table is the home of unmapped codes (often observation).",
  );
export const lookupViaDuplicate = (loc: SourceLocation, via: string) =>
  error("LOOKUP_VIA_DUPLICATE", loc, `"${via}" is listed twice in the lookup's via.`, "List each source once, in order of precedence: e.g. via: [source_to_concept_map, maps_to].");
export const unknownVocabulary = (loc: SourceLocation, id: string, suggestion: string | undefined) =>
  warning(
    "UNKNOWN_VOCABULARY",
    loc,
    `"${id}" is not a vocabulary_id of the OHDSI vocabularies${suggestion ? `. ${suggestion}` : ""}`,
    "Vocabulary ids are case-sensitive (ICD9CM, ICD10CM, SNOMED, RxNorm, LOINC, NDC, CVX...); a local vocabulary is fine if your CONCEPT table has it (the run checks).",
  );

// --- determinism ----------------------------------------------------------------------------
/**
 * NONDETERMINISTIC_WINDOW: a window whose result depends on how ties of its ORDER BY are broken, in a select whose
 * rows have no key the compiler knows (`fallback`: ties are broken by every column the select reads, so the engines
 * agree, but which tied row wins is arbitrary), or over a RANGE frame that cannot take a tie-breaker (`range`).
 */
export const nondeterministicWindow = (loc: SourceLocation, fn: string, where: string, kind: "fallback" | "range", from: string, appended: readonly string[]) =>
  kind === "fallback"
    ? warning(
        "NONDETERMINISTIC_WINDOW",
        loc,
        `${fn}() OVER (...) in ${where} depends on the order of rows its PARTITION BY/ORDER BY leave tied, and the rows of ${from} have no key the compiler knows: ties are broken by the other columns the select reads (${appended.slice(0, 12).join(", ")}${appended.length > 12 ? ", ..." : ""}), in byte order, so every engine picks the same row, but which tied row wins is arbitrary.`,
        `Add columns to the ORDER BY that identify a row (e.g. the source's id), or declare key: on the step that writes ${from} (loads and rebuilt staging tables take key:; a CDM table's primary key counts).`,
      )
    : warning(
        "NONDETERMINISTIC_WINDOW",
        loc,
        `${fn}() OVER (...) in ${where} takes a value from the first or last row of a RANGE frame, whose tied rows (peers) come in an order no engine guarantees.`,
        "Use a ROWS frame over an ORDER BY that identifies a row, or min()/max() over the RANGE frame.",
      );
export const unknownSubSelect = (loc: SourceLocation, name: string, known: readonly string[], hint?: string) =>
  error(
    "UNKNOWN_SUB_SELECT",
    loc,
    `"${name}" is not a with: sub-select or values: table of this transform${known.length ? ` (it has ${known.join(", ")})` : " (it has none)"}.${hint ? ` ${hint}` : ""}`,
    'Name a table as "schema.table", or declare it under with: (a select) or values: (rows).',
  );
export const subSelectCycle = (loc: SourceLocation, path: readonly string[]) =>
  error("SUB_SELECT_CYCLE", loc, `sub-selects read each other in a cycle: ${path.join(" -> ")}.`, "A sub-select may read only sub-selects that do not read it back; move the shared part into a sub-select of its own.");
export const valuesRowLength = (loc: SourceLocation, table: string, row: number, got: number, want: number) =>
  error("VALUES_ROW_LENGTH", loc, `row ${row} of values table "${table}" has ${got} value${got === 1 ? "" : "s"}, but the table has ${want} column${want === 1 ? "" : "s"}.`, "Give each row one value per column, in the order of columns: (null for none).");
export const valuesBadValue = (loc: SourceLocation, table: string, column: string, row: number, value: string, type: string, hint: string) =>
  error("VALUES_BAD_VALUE", loc, `the value ${value} in row ${row} of values table "${table}" is not ${/^[aeiou]/.test(type) ? "an" : "a"} ${type} (column "${column}").`, hint);
export const duplicateTableName = (loc: SourceLocation, name: string) =>
  error("DUPLICATE_TABLE_NAME", loc, `"${name}" names both a with: sub-select and a values: table of this transform.`, "Rename one of them.");
export const rangeInvalid = (loc: SourceLocation, text: string, why: string) =>
  error("RANGE_INVALID", loc, `${text} is not a number series omopetl can write: ${why}.`, "Write range(a, b) with integers (or integer params) a <= b, at most 10,000 numbers apart; for more, load a table.");
export const unpivotEmpty = (loc: SourceLocation, text: string, why: string) =>
  error(
    "UNPIVOT_EMPTY",
    loc,
    `unpivot columns ${JSON.stringify(text)} name no column: ${why}.`,
    "Write a list of columns ([c.dx_1, c.dx_2]) or one pattern with a slot range, e.g. c.ICD9_DGNS_CD_{1..10} (a <= b, at most 10,000 slots).",
  );
export const unpivotTypeMismatch = (loc: SourceLocation, column: string, type: string, firstColumn: string, firstType: string) =>
  error(
    "UNPIVOT_TYPE_MISMATCH",
    loc,
    `unpivot column ${column} is ${type}, but ${firstColumn} is ${firstType}: every unpivoted column gives one value column, of one type.`,
    `CAST the columns to one type in a list ([CAST(c.a AS varchar), ...]), or unpivot the ${type} columns in a select of their own.`,
  );
export const subSelectUnionType = (loc: SourceLocation, column: string, sub: string, type: string, index: number, firstType: string, firstIndex: number) =>
  error(
    "UNION_TYPE_MISMATCH",
    loc,
    `column "${column}" of sub-select ${sub} is ${type} in union_all select #${index + 1}, but ${firstType} in select #${firstIndex + 1}.`,
    `CAST it to one type in every select of the union (e.g. CAST(... AS ${firstType === "string" ? "varchar" : firstType})).`,
  );
export const unpivotSlotName = (loc: SourceLocation) =>
  error("UNPIVOT_SLOT_NAME", loc, `"slot" cannot name an unpivot value column: <as>.slot is the slot number.`, "Give the value column another name.");
export const unpivotSlotsMismatch = (loc: SourceLocation, name: string, slots: readonly number[], firstName: string, firstSlots: readonly number[]) =>
  error(
    "UNPIVOT_SLOTS_MISMATCH",
    loc,
    `unpivot value column "${name}" has slots ${slotText(slots)}, but "${firstName}" has ${slotText(firstSlots)}: the value columns of one unpivot share their slots.`,
    "Give every value column the same slot range (or the same number of columns in a list); unpivot the others in a select of their own.",
  );
const slotText = (slots: readonly number[]): string => (slots.length === 1 ? String(slots[0]) : `${slots[0]}..${slots[slots.length - 1]}`);
