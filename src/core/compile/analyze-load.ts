import { existsSync } from "node:fs";
import path from "node:path";
import { invalidDateFormat } from "../diagnostics/date-format-errors.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import { isDateFormatProblem, parseDateFormat } from "../load/date-format.js";
import type { ColumnDef, FileFormat, LoadBody } from "../model/plan.js";
import type { AnalysisContext } from "./analysis-context.js";
import { parseColumnType } from "./column-types.js";
import {
  badDelimiter,
  cdmColumnsDeclared,
  columnsRequired,
  columnTypesWithoutHeader,
  fileColumnInvalid,
  fromHeaderBadName,
  fromHeaderUnreadable,
  dataFileNotFound,
  formatNotDetected,
  loadEmptyFile,
  loadHeaderMismatch,
  parquetOptions,
  rejectsNeedText,
  unknownKeyColumn,
  unknownParam,
  unknownPlaceholder,
} from "./compile-errors.js";
import { detectFormat } from "./detect-format.js";
import { readLoadHeaders, squashedMatch, type FileHeader } from "./load-header.js";
import { ignoredColumnNotes } from "../load/ignored-columns.js";
import { emptyLocalFiles } from "./load-empty-files.js";
import { emptyFileText } from "../load/empty-file.js";
import type { LoadedStep } from "./load-workflow.js";
import { paramRefs, substituteRaw } from "./params.js";
import { resolveTableName } from "./step-io.js";
import { regexShape } from "../expr/regex-flavour.js";

const URI = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Checks a load step and resolves its files and format; registers a non-CDM target's declared columns. */
export function analyzeLoad(step: LoadedStep, ctx: AnalysisContext): LoadBody | undefined {
  if (step.dml.kind !== "load") return undefined;
  const l = step.dml.dml;
  const y = step.yaml;
  let ok = true;
  const target = resolveTableName(l.target, y.locate(["target"]), ctx.schemas, ctx.spec, []);
  if (!target) return undefined;
  const cdm = ctx.catalog.cdmTable(target);
  let columns: ColumnDef[];
  const { columns: fileCols, ok: fileColsOk } = fileColumns(step, cdm !== undefined, ctx);
  if (!fileColsOk) ok = false;
  const fileDefs: ColumnDef[] = fileCols.map((c) => ({ name: c.name, type: { kind: "varchar" }, required: false }));
  if (cdm) {
    if (l.columns) {
      ctx.diagnostics.push(cdmColumnsDeclared(y.locate(["columns"], "key"), cdm.name));
      ok = false;
    }
    const t = ctx.catalog.get(target)!;
    columns = t.columns === "any" ? [] : t.columns;
  } else if (l.columns === "from_header") {
    // Declared once the files and their format are known (below).
    columns = [];
  } else {
    if (!l.columns || Object.keys(l.columns).length === 0) {
      ctx.diagnostics.push(columnsRequired(y.locate(["target"]), `${target.schema}.${target.name}`));
      return undefined;
    }
    columns = Object.entries(l.columns).map(([name, type]) => ({ name: name.toLowerCase(), type: parseColumnType(type), required: false }));
    if (!fileColumnsApart(step, columns, fileDefs, ctx)) ok = false;
    ctx.catalog.declare(target, [...columns, ...fileDefs], [], (l.indexes ?? []).map((ix) => ix.map((c) => c.toLowerCase())));
  }
  if (l.column_types && l.columns !== "from_header") {
    ctx.diagnostics.push(columnTypesWithoutHeader(y.locate(["column_types"], "key")));
    ok = false;
  }
  const key = l.key?.map((k) => k.toLowerCase());
  if (key && l.columns !== "from_header" && !checkKey(step, key, [...columns, ...fileDefs], target.name, ctx)) ok = false;

  const rawFiles = Array.isArray(l.files) ? l.files : [l.files];
  const files: string[] = [];
  for (const [i, f] of rawFiles.entries()) {
    const p = Array.isArray(l.files) ? ["files", i] : ["files"];
    for (const ref of paramRefs(f)) {
      if (!ctx.declaredParams.has(ref.name)) {
        ctx.diagnostics.push(unknownParam(y.locateInScalar(p, ref.offset), ref.name, didYouMean(ref.name, ctx.declaredParams)));
        ok = false;
      } else if (!(ref.name in ctx.params)) ok = false; // MISSING_PARAM already says so; the path is meaningless
    }
    // Anything else written as ${...} would silently become part of the path (a folder literally named "${dir}").
    for (const m of f.matchAll(/\$\{([^}]*)\}?/g)) {
      if (/^params\.[A-Za-z_][A-Za-z0-9_]*$/.test(m[1]!) && m[0].endsWith("}")) continue;
      const bare = m[1]!.replace(/^params\./, "").trim();
      const close = ctx.declaredParams.has(bare) ? bare : undefined;
      ctx.diagnostics.push(unknownPlaceholder(y.locateInScalar(p, m.index), m[0], close ? `\${params.${close}}` : undefined));
      ok = false;
    }
    const s = substituteRaw(f, ctx.params);
    // Local paths are made absolute (relative to the DML file), so the plan runs from any directory.
    files.push(URI.test(s) ? s : path.resolve(path.dirname(step.absFile), s).split(path.sep).join("/"));
  }

  if (!ok) return undefined;
  // A local file that is not there is worth a warning at compile time rather than a failed load mid-run (plans may
  // be compiled on another machine than they run on, so it is not an error).
  for (const [i, f] of files.entries()) {
    if (URI.test(f) || /[*?[\]{}]/.test(f)) continue;
    if (!existsSync(f)) ctx.diagnostics.push(dataFileNotFound(y.locate(Array.isArray(l.files) ? ["files", i] : ["files"]), f));
  }
  const fmt = l.format ?? { type: "csv" as const, header: true };
  const type = fmt.type === "auto" ? (files.every((f) => /\.parquet$/i.test(f)) ? "parquet" : /\.tsv$/i.test(files[0] ?? "") ? "tsv" : "csv") : fmt.type;
  if (type === "parquet" && (fmt.delimiter || fmt.quote || fmt.nulls || fmt.date_format || fmt.datetime_format)) {
    ctx.diagnostics.push(parquetOptions(y.locate(["format"], "key")));
    ok = false;
  }
  const nulls = fmt.nulls === undefined ? [] : Array.isArray(fmt.nulls) ? fmt.nulls : [fmt.nulls];
  const unescape = (s: string) => s.replace(/^\\t$|^tab$/i, "\t");
  let delimiter = unescape(substituteRaw(fmt.delimiter ?? (type === "tsv" ? "\t" : ","), ctx.params));
  const dateAuto = typeof fmt.date_format === "string" && substituteRaw(fmt.date_format, ctx.params) === "auto";
  let detectedDate: string | undefined;
  let quoteSetting = fmt.quote === undefined ? undefined : substituteRaw(fmt.quote, ctx.params);
  // "auto": look at the file's header and first row (vocabulary downloads come comma/ISO or Athena's tab/yyyymmdd).
  if (type !== "parquet" && (delimiter === "auto" || dateAuto || quoteSetting === "auto")) {
    const detected = detectFormat(files, columns, delimiter === "auto" ? undefined : delimiter);
    if (!detected) {
      ctx.diagnostics.push(formatNotDetected(y.locate(["format"], "key"), files[0] ?? ""));
      return undefined;
    }
    if (delimiter === "auto") delimiter = detected.delimiter ?? ",";
    if (dateAuto) detectedDate = detected.dateFormat ?? undefined;
    // Athena's tab-separated files are not quoted (a concept name may hold a bare double quote).
    if (quoteSetting === "auto") quoteSetting = delimiter === "\t" ? "none" : '"';
  }
  if (type !== "parquet" && (delimiter.length !== 1 || (quoteSetting !== undefined && quoteSetting !== "none" && quoteSetting.length !== 1))) {
    ctx.diagnostics.push(badDelimiter(y.locate(["format"], "key"), delimiter, quoteSetting));
    return undefined;
  }
  const format: FileFormat = {
    type: type === "parquet" ? "parquet" : "csv",
    header: fmt.header ?? true,
    delimiter,
    quote: quoteSetting === "none" ? null : (quoteSetting ?? '"'),
    // In CDM and vocabulary tables an empty field is NULL, quoted ("") or not: the CDM has no empty-string values,
    // and Athena's unquoted files already read them as NULL, so the comma-separated vocabulary must too.
    nullValues: [...new Set([...nulls.map((n) => substituteRaw(n, ctx.params)), ...(cdm && type !== "parquet" ? [""] : [])])],
  };
  const reject = l.on_error === "reject";
  if (reject && format.type === "parquet") {
    ctx.diagnostics.push(rejectsNeedText(y.locate(["on_error"])));
    ok = false;
  }
  // Detected formats are the grammar's own; declared ones are checked where they are written.
  const dates = dateAuto ? detectedDate : checkDateFormats(step, "date_format", fmt.date_format, ctx);
  const datetimes = checkDateFormats(step, "datetime_format", fmt.datetime_format, ctx);
  if (dates === false || datetimes === false) ok = false;
  if (dates) format.dateFormat = dates;
  if (datetimes) format.datetimeFormat = datetimes;
  if (!ok) return undefined;
  // Beside the target, named after it: one rejects table per load, replaced with the load's rows at every run.
  const rejects = reject ? { rejects: { schema: target.schema, name: `${target.name}_rejects` } } : {};
  // A 0-byte file is refused (src/core/load/empty-file.ts); a header-only file is an empty table.
  for (const [i, f] of files.entries()) {
    for (const empty of emptyLocalFiles(f)) {
      const shown = path.relative(path.dirname(step.absFile), empty).split(path.sep).join("/");
      const text = emptyFileText(format.type === "parquet" || format.header);
      ctx.diagnostics.push(loadEmptyFile(y.locate(Array.isArray(l.files) ? ["files", i] : ["files"]), shown, text));
      ok = false;
    }
  }
  if (!ok) return undefined;
  const missingNull = l.missing_columns === "null";
  if (l.columns === "from_header") {
    const declared = headerColumns(step, files, format, l.column_types ?? {}, ctx);
    if (!declared || !fileColumnsApart(step, declared, fileDefs, ctx)) return undefined;
    columns = declared;
    ctx.catalog.declare(target, [...columns, ...fileDefs], [], (l.indexes ?? []).map((ix) => ix.map((c) => c.toLowerCase())));
    if (key && !checkKey(step, key, [...columns, ...fileDefs], target.name, ctx)) return undefined;
  }
  // Not the table's PRIMARY KEY (a table made by an earlier run would not get one): the load checks it itself.
  if (key) ctx.catalog.get(target)!.rowKey = key;
  if (format.type === "csv" && format.header) {
    const headers = readLoadHeaders(files, format.delimiter, format.quote);
    if (!cdm && !missingNull && l.columns && l.columns !== "from_header") checkHeaders(step, headers, Object.keys(l.columns), ctx);
    const what = cdm ? `not in CDM table ${cdm.name}` : "not declared";
    for (const message of ignoredColumnNotes(headers, columns.map((c) => c.name), what)) ctx.notes.push({ file: step.yaml.file, message });
  }
  if (fileCols.length > 0 && format.type !== "csv") {
    ctx.diagnostics.push(fileColumnInvalid(y.locate(["file_columns"], "key"), "file_columns apply to csv and tsv files.", "Remove file_columns, or convert the files to csv."));
    return undefined;
  }
  return { kind: "load", target, files, format, columns, ...(fileCols.length > 0 ? { fileColumns: fileCols } : {}), mode: "replace", ...(missingNull ? { missingColumns: "null" as const } : {}), ...(key ? { key } : {}), ...rejects };
}

/**
 * The load's `file_columns`, lower-cased, each pattern checked against the one regex flavour (with `|` or a
 * quantified group refused: engines would capture differently); `ok` false after reporting a problem (the columns
 * are still returned, so that the checks of their names run too).
 */
function fileColumns(step: LoadedStep, cdm: boolean, ctx: AnalysisContext): { columns: { name: string; pattern?: string }[]; ok: boolean } {
  const l = step.dml.kind === "load" ? step.dml.dml : undefined;
  const entries = Object.entries(l?.file_columns ?? {});
  if (entries.length === 0) return { columns: [], ok: true };
  if (cdm) {
    ctx.diagnostics.push(fileColumnInvalid(step.yaml.locate(["file_columns"], "key"), "file_columns cannot be added to a CDM table: its columns come from the spec.", "Load into a source table, and read the file column in a transform."));
    return { columns: [], ok: false };
  }
  const out: { name: string; pattern?: string }[] = [];
  let ok = true;
  for (const [name, v] of entries) {
    if (v === "name") {
      out.push({ name: name.toLowerCase() });
      continue;
    }
    const shape = regexShape(v.pattern);
    const problem = !shape.ok
      ? `${shape.message} (at character ${shape.offset + 1})`
      : shape.alternation || shape.quantifiedGroup
        ? `has ${shape.alternation ? '"|"' : "a quantified group"}, for which engines capture different text`
        : shape.groups > 1
          ? `has ${shape.groups} groups: the value is group 1, so use one group`
          : undefined;
    if (problem !== undefined) {
      ctx.diagnostics.push(fileColumnInvalid(step.yaml.locate(["file_columns", name, "pattern"]), `the pattern ${JSON.stringify(v.pattern)} of file column "${name}" ${problem}.`, "Write one group around the part to keep, e.g. '_([0-9]{4})_'."));
      ok = false;
      out.push({ name: name.toLowerCase() });
      continue;
    }
    out.push({ name: name.toLowerCase(), pattern: v.pattern });
  }
  return { columns: out, ok };
}

/** No file column has the name of a column of the files; false after reporting. */
function fileColumnsApart(step: LoadedStep, columns: readonly ColumnDef[], fileDefs: readonly ColumnDef[], ctx: AnalysisContext): boolean {
  let ok = true;
  for (const f of fileDefs) {
    if (!columns.some((c) => c.name === f.name)) continue;
    const written = Object.keys(step.dml.kind === "load" ? (step.dml.dml.file_columns ?? {}) : {}).find((k) => k.toLowerCase() === f.name) ?? f.name;
    ctx.diagnostics.push(fileColumnInvalid(step.yaml.locate(["file_columns", written], "key"), `file column "${f.name}" has the name of a column of the files.`, "Give the file column another name."));
    ok = false;
  }
  return ok;
}

/** Each key column is a column of the load; false (after reporting) when one is not. */
function checkKey(step: LoadedStep, key: readonly string[], columns: readonly ColumnDef[], table: string, ctx: AnalysisContext): boolean {
  let ok = true;
  for (const [i, k] of key.entries()) {
    if (!columns.some((c) => c.name === k)) {
      ctx.diagnostics.push(unknownKeyColumn(step.yaml.locate(["key", i]), k, table, didYouMean(k, columns.map((c) => c.name))));
      ok = false;
    }
  }
  return ok;
}

/**
 * `columns: from_header`: every column of the local files' headers (read now, in file order, each name once,
 * ignoring case as the engines match them), as varchar unless `types` names it; each name of `types` must be in a
 * header. Undefined (after reporting) when no header can be read or a name is not a column name.
 */
function headerColumns(step: LoadedStep, files: readonly string[], format: FileFormat, types: Record<string, string>, ctx: AnalysisContext): ColumnDef[] | undefined {
  const y = step.yaml;
  const shownFile = (f: string): string => path.relative(path.dirname(step.absFile), f).split(path.sep).join("/");
  const headers = format.type === "csv" && format.header ? readLoadHeaders(files, format.delimiter, format.quote) : [];
  if (headers.length === 0) {
    const why = format.type !== "csv" ? "parquet files are not read at compile time" : !format.header ? "the format has header: false" : "no local file of the load could be read";
    ctx.diagnostics.push(fromHeaderUnreadable(y.locate(["columns"]), why));
    return undefined;
  }
  const names: string[] = [];
  let ok = true;
  for (const h of headers) {
    for (const n of h.names) {
      if (names.some((m) => m.toLowerCase() === n.toLowerCase())) continue;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) {
        ctx.diagnostics.push(fromHeaderBadName(y.locate(["columns"]), n, shownFile(h.file)));
        ok = false;
      }
      names.push(n);
    }
  }
  const lower = new Map(names.map((n) => [n.toLowerCase(), n]));
  for (const name of Object.keys(types)) {
    if (lower.has(name.toLowerCase())) continue;
    const shown = headers.length === 1 ? `"${shownFile(headers[0]!.file)}"` : `the ${headers.length} files`;
    const close = squashedMatch(name, names);
    ctx.diagnostics.push(loadHeaderMismatch(y.locate(["column_types", name], "key"), name, shown, names, close !== undefined ? `Did you mean "${close}"?` : didYouMean(name, names)));
    ok = false;
  }
  if (!ok) return undefined;
  const typeOf = new Map(Object.entries(types).map(([n, t]) => [n.toLowerCase(), parseColumnType(t)]));
  return names.map((n) => ({ name: n.toLowerCase(), type: typeOf.get(n.toLowerCase()) ?? { kind: "varchar" }, required: false }));
}

/**
 * The load's `date_format` or `datetime_format` (one format or a list tried in order), parameters substituted, as
 * the plan holds it; each format is checked by the date format grammar (INVALID_DATE_FORMAT at the format, at the
 * cause inside it when the text is the format as written). False when one is refused.
 */
function checkDateFormats(step: LoadedStep, key: "date_format" | "datetime_format", value: string | string[] | undefined, ctx: AnalysisContext): string | string[] | undefined | false {
  if (value === undefined) return undefined;
  const list = typeof value === "string" ? [value] : value;
  const out: string[] = [];
  let ok = true;
  for (const [i, written] of list.entries()) {
    const at = typeof value === "string" ? ["format", key] : ["format", key, i];
    const f = substituteRaw(written, ctx.params);
    const parsed = parseDateFormat(f, key === "date_format" ? "date" : "datetime");
    if (isDateFormatProblem(parsed)) {
      const loc = f === written ? step.yaml.locateInScalar(at, parsed.offset) : step.yaml.locate(at);
      ctx.diagnostics.push(invalidDateFormat(loc, `the ${key}`, f, parsed));
      ok = false;
    }
    out.push(f);
  }
  if (!ok) return false;
  return out.length === 1 ? out[0]! : out;
}

/**
 * A declared column that no local file's header has would load as all-NULL (a declared `icd9code` for a header
 * saying `ICD9_CODE_X`): a located error. Columns match by name, ignoring case, as the engines match them; a column
 * some of several files have is NULL for the others (the load reads the files' union). The engines check the same
 * at run time for files compile time cannot read (remote, server-side, created later).
 */
function checkHeaders(step: LoadedStep, headers: readonly FileHeader[], declared: readonly string[], ctx: AnalysisContext): void {
  if (headers.length === 0) return;
  const names: string[] = [];
  for (const h of headers) for (const n of h.names) if (!names.includes(n)) names.push(n);
  const lower = new Set(names.map((n) => n.toLowerCase()));
  // Shown as the DML names it: relative to the DML file's folder.
  const shown = headers.length === 1 ? `"${path.relative(path.dirname(step.absFile), headers[0]!.file).split(path.sep).join("/")}"` : `the ${headers.length} files`;
  for (const key of declared) {
    if (lower.has(key.toLowerCase())) continue;
    const close = squashedMatch(key, names);
    const suggestion = close !== undefined ? `Did you mean "${close}"?` : didYouMean(key, names);
    ctx.diagnostics.push(loadHeaderMismatch(step.yaml.locate(["columns", key], "key"), key, shown, names, suggestion));
  }
}
