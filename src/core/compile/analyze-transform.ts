import type { Expr, ValueType } from "../expr/ast.js";
import { containsAggregate, containsWindow, walkExpr, type ExprScope, type ScopeTable } from "../expr/index.js";
import { isAggregateName } from "../expr/functions.js";
import type { SelectDml, SubSelectDml } from "../model/dml-schema.js";
import { SUB_SELECT_SCHEMA, type AuditSelect, type IdKey, type Join, type LookupCoverage, type Select, type TableRef, type TransformBody } from "../model/plan.js";
import { closest, didYouMean } from "../diagnostics/did-you-mean.js";
import type { YamlPath } from "../yaml/yaml-file.js";
import { analyzeAt, scopeTableFor, type AnalysisContext } from "./analysis-context.js";
import { analyzeSubSelects, subSelectsRead, type AnalyzedSubSelect, type SubSelectEnv } from "./analyze-sub-selects.js";
import { assignable } from "./assignability.js";
import { castTypeLabel, castTypeToValue } from "./column-types.js";
import {
  aggregateWithoutGroup,
  columnTypeMismatch,
  valueTooLong,
  conceptColumnNotConcept,
  duplicateAlias,
  idAlsoMapped,
  idNotInteger,
  invalidFrom,
  keyRequired,
  rebuildCdm,
  sliceNotReplace,
  unknownKeyColumn,
  unknownTargetColumn,
  unknownTableColumns,
  unknownVocabulary,
  lookupViaDuplicate,
  nondeterministicWindow,
  unknownSubSelect,
  duplicateTableName,
  rangeInvalid,
} from "./compile-errors.js";
import { selectNames } from "./select-names.js";
import { transformColumns } from "./transform-columns.js";
import { analyzeUnpivot, expandUnpivot, type AnalyzedUnpivot } from "./analyze-unpivot.js";
import { analyzeValuesTable, ONE_ROW_TABLE, oneRowTable, rangeTable } from "./analyze-values.js";
import { DEFAULT_VIA, expandLookup, type ExpandedLookup, type LookupVia } from "./lookup-joins.js";
import { and, bin, cast, col, fn, inList, isNull, lit, mapExpr, or, sourceKeyText } from "./expr-builders.js";
import { OHDSI_VOCABULARY_IDS } from "../vocabulary/ohdsi-vocabulary-ids.js";
import type { LoadedStep } from "./load-workflow.js";
import { defaultIdDomain, isSubSelectName, parseFrom, resolveTableName, selectsOf } from "./step-io.js";
import type { CatalogTable } from "./table-catalog.js";
import { getTable } from "../spec/spec-model.js";
import { logicalSchemaOf } from "./table-catalog.js";
import { breakTies, columnsRead, firstRowPerKey, selectRowKey, windowOffset } from "./window-ties.js";

const KNOWN_VOCABULARIES = new Set(OHDSI_VOCABULARY_IDS);

/** Columns a lookup alias exposes, and the expanded expression each one stands for. */
const LOOKUP_COLUMNS = {
  concept_id: "integer",
  source_concept_id: "integer",
  domain_id: "string",
  concept_name: "string",
  vocabulary_id: "string",
  source_domain_id: "string",
} as const;

interface AnalyzedSelect {
  select: Select;
  /** Column name -> expression, in YAML order. */
  mapped: Map<string, { expr: Expr; path: YamlPath }>;
  /** Target columns suggested for a misspelt one: not reported again as "required but not mapped". */
  suggested: Set<string>;
  /** Why a row read by this select may not be written (for the step's row accounting). */
  filters: string[];
  /** What the row accounting counts for this select. */
  audit: AuditSelect;
  path: YamlPath;
  /** The expressions identifying a row of the select (before windows), when the compiler knows them. */
  rowKey?: Expr[];
  /** The `with:` sub-selects it reads directly. */
  reads: Set<string>;
}

/**
 * Type-checks a transform against the spec and the tables known so far, expanding lookups and surrogate ids into
 * plain joins. Registers a non-CDM target's inferred columns in the catalog for the steps that read it.
 */
export function analyzeTransform(step: LoadedStep, ctx: AnalysisContext): TransformBody | undefined {
  if (step.dml.kind !== "transform") return undefined;
  const t = step.dml.dml;
  const y = step.yaml;
  const errorsBefore = ctx.diagnostics.filter((d) => d.severity === "error").length;
  ctx.poisoned.value = false;
  const target = resolveTableName(t.target, y.locate(["target"]), ctx.schemas, ctx.spec, []);
  if (!target) return undefined; // reported by step-io
  const cdm = ctx.catalog.cdmTable(target);
  const targetTable = cdm ? ctx.catalog.get(target) : undefined;

  if (cdm && t.mode === "rebuild") ctx.diagnostics.push(rebuildCdm(y.locate(["mode"]), cdm.name));
  if (t.slice !== undefined && t.mode !== "replace") ctx.diagnostics.push(sliceNotReplace(y.locate(["slice"]), t.mode));

  // Sub-selects first, each after those it reads: the selects read them like tables.
  const subTarget = (name: string): TableRef => ({ schema: SUB_SELECT_SCHEMA, name });
  const valuesDeclared = Object.keys(t.values ?? {});
  for (const name of valuesDeclared) if (t.with?.[name]) ctx.diagnostics.push(duplicateTableName(y.locate(["values", name], "key"), name));
  const valuesAnalyzed = Object.entries(t.values ?? {}).flatMap(([name, v]) => analyzeValuesTable(name, v, y, ctx) ?? []);
  const env = analyzeSubSelects(step, ctx, (select, path, e) => analyzeSelect(step, select, path, subTarget(String(path[path.length - 1])), undefined, ctx, e), {
    declared: valuesDeclared,
    analyzed: valuesAnalyzed,
  });
  const analyzed: AnalyzedSelect[] = [];
  for (const { select, path } of selectsOf(step)) {
    const a = analyzeSelect(step, select, path, target, targetTable, ctx, env);
    if (a) analyzed.push(a);
  }
  if (analyzed.length === 0) return undefined;

  const shape = transformColumns(step, ctx, target, targetTable, analyzed);
  if (!shape) return undefined;
  const { columns, defaults } = shape;

  // Every select yields every target column, in order, converted to the column's type where needed.
  const selects: Select[] = [];
  for (const a of analyzed) {
    const out: { name: string; expr: Expr }[] = [];
    for (const c of columns) {
      const m = a.mapped.get(c.name) ?? defaults.get(c.name);
      if (!m) {
        out.push({ name: c.name, expr: cast(lit(null), c.type) });
        continue;
      }
      const ok = assignable(m.expr, c.type);
      if (!ok.ok) {
        ctx.diagnostics.push(columnTypeMismatch(y.locate(m.path), c.name, `${target.schema}.${target.name}`, m.expr.type, castTypeLabel(c.type), ok.hint));
        continue;
      }
      if (c.type.kind === "varchar" && c.type.length !== undefined && m.expr.k === "lit" && typeof m.expr.value === "string") {
        const chars = [...m.expr.value].length;
        if (chars > c.type.length) ctx.diagnostics.push(valueTooLong(y.locate(m.path), c.name, `${target.schema}.${target.name}`, c.type.length, chars));
      }
      // Never a cast to varchar(n): an explicit cast truncates silently on every engine, and a value too long for
      // its column must fail the step instead (every provider enforces the length on write, as PostgreSQL does).
      out.push({ name: c.name, expr: ok.cast ? cast(m.expr, c.type.kind === "varchar" ? { kind: "varchar" } : c.type) : m.expr });
      if (cdm && c.name.endsWith("_concept_id") && !looksLikeConcept(m.expr)) {
        ctx.diagnostics.push(conceptColumnNotConcept(y.locate(m.path), c.name));
      }
    }
    const withs = subSelectsRead(a.reads, env);
    selects.push({ ...a.select, columns: out, ...(withs.length ? { with: withs } : {}) });
  }

  // Key: explicit, or the CDM table's primary key.
  const key = t.key ?? (cdm ? cdm.primaryKey : []);
  if (t.mode === "merge" && key.length === 0) ctx.diagnostics.push(keyRequired(y.locate(["mode"]), target.name, cdm?.primaryKey ?? []));
  for (const [i, k] of key.entries()) {
    if (!columns.some((c) => c.name === k)) {
      ctx.diagnostics.push(unknownKeyColumn(t.key ? y.locate(["key", i]) : y.locate(["target"]), k, target.name, didYouMean(k, columns.map((c) => c.name))));
    }
  }

  let slice: Expr | undefined;
  if (t.slice !== undefined && t.mode === "replace") {
    const scope: ExprScope = {
      tables: [{ alias: "t", columns: new Map(columns.map((c) => [c.name, c.type.kind === "varchar" ? "string" : c.type.kind])), description: `target ${target.schema}.${target.name}` }],
    };
    slice = analyzeAt(ctx, y, ["slice"], t.slice, scope, { expected: "boolean" });
  }

  if (!cdm) {
    ctx.catalog.declare(
      target,
      columns,
      // merge upserts on its key; a rebuild that declares key: creates the table with that primary key (which then
      // also serves its readers' windows as a tie-breaker, see window-ties.ts).
      t.mode === "merge" || (t.mode === "rebuild" && t.key) ? key : [],
      (t.indexes ?? []).map((ix) => ix.map((c) => c.toLowerCase())),
    );
  }
  const errorsAfter = ctx.diagnostics.filter((d) => d.severity === "error").length;
  if (errorsAfter > errorsBefore) return undefined;
  return {
    kind: "transform",
    target,
    mode: t.mode,
    key,
    columns,
    ...(slice ? { slice } : {}),
    selects,
    audit: {
      sources: selects.map((s) => s.from.table),
      filters: [...new Set(analyzed.flatMap((a) => a.filters))],
      selects: analyzed.map((a) => a.audit),
    },
  };
}

/**
 * A concept column should be fed by a concept: a literal id, a lookup, a column named like a concept id, or a CASE /
 * COALESCE / CAST whose every result is one of those.
 */
function looksLikeConcept(e: Expr): boolean {
  switch (e.k) {
    case "lit":
      return true;
    case "col":
      return e.column.includes("concept_id") || e.column === "id";
    case "cast":
      return looksLikeConcept(e.arg);
    case "case":
      return e.whens.every((w) => looksLikeConcept(w.then)) && (!e.else || looksLikeConcept(e.else));
    case "fn":
      return ["coalesce", "nullif", "min", "max", "greatest", "least"].includes(e.name) && looksLikeConcept(e.args[0]!);
    default:
      return false;
  }
}

function analyzeSelect(
  step: LoadedStep,
  s: SelectDml | SubSelectDml,
  path: YamlPath,
  target: TableRef,
  targetTable: CatalogTable | undefined,
  ctx: AnalysisContext,
  env: SubSelectEnv,
): AnalyzedSelect | undefined {
  const y = step.yaml;
  const sIds = "ids" in s ? s.ids : undefined;
  // The sub-selects read, and a reader of a table or a sub-select: its plan name, and the sub-select if it is one.
  const reads = new Set<string>();
  const resolveSource = (name: string, p: YamlPath): { ref: TableRef; sub?: AnalyzedSubSelect } | undefined => {
    if (!isSubSelectName(name)) {
      const ref = resolveTableName(name, y.locate(p), ctx.schemas, ctx.spec, []);
      return ref ? { ref } : undefined;
    }
    if (/^range\(/i.test(name)) {
      const r = rangeTable(name, ctx.params);
      if (typeof r === "string") {
        ctx.diagnostics.push(rangeInvalid(y.locate(p), name, r));
        return undefined;
      }
      return implicit(r);
    }
    const sub = env.analyzed.get(name);
    if (sub) {
      reads.add(name);
      return { ref: { schema: SUB_SELECT_SCHEMA, name }, sub };
    }
    // Declared but not analyzed: its own errors (or the cycle it is in) are reported already.
    if (env.declared.has(name)) ctx.poisoned.value = true;
    else ctx.diagnostics.push(unknownSubSelect(y.locate(p), name, [...env.declared], didYouMean(name, env.declared) ?? tableNamed(name, ctx)));
    return undefined;
  };
  const implicit = (sub: AnalyzedSubSelect): { ref: TableRef; sub: AnalyzedSubSelect } => {
    if (!env.implicit.has(sub.name)) env.implicit.set(sub.name, sub);
    reads.add(sub.name);
    return { ref: { schema: SUB_SELECT_SCHEMA, name: sub.name }, sub };
  };
  const oneRow = () => implicit(oneRowTable());
  const subScope = (alias: string, sub: AnalyzedSubSelect): ScopeTable => ({
    alias,
    columns: new Map(sub.columns.map((c) => [c.name, castTypeToValue(c.type)] as [string, ValueType])),
    description: `sub-select ${sub.name}`,
  });
  const aliases = new Set<string>();
  const claim = (alias: string, p: YamlPath, which: "key" | "value" = "value") => {
    if (aliases.has(alias)) {
      ctx.diagnostics.push(duplicateAlias(y.locate(p, which), alias));
      return false;
    }
    aliases.add(alias);
    return true;
  };

  // Without from: the one-row table (analyze-values.ts), read like a values table.
  const from = s.from === undefined ? { table: ONE_ROW_TABLE } : parseFrom(s.from);
  if (!from) {
    ctx.diagnostics.push(invalidFrom(y.locate([...path, "from"]), String(s.from)));
    return undefined;
  }
  const fromSource = s.from === undefined ? oneRow() : resolveSource(from.table, [...path, "from"]);
  if (!fromSource) return undefined;
  const fromRef = fromSource.ref;
  const fromAlias = from.alias ?? (/^range\(/i.test(from.table) ? "range" : fromRef.name);
  claim(fromAlias, [...path, "from"]);
  const poisoned = ctx.poisoned;
  const warnUntyped = (ref: TableRef, p: YamlPath) => {
    const t = ctx.catalog.get(ref);
    if (!t || t.origin === "failed") poisoned.value = true;
    else if (t && t.columns === "any" && t.origin !== "external") ctx.diagnostics.push(unknownTableColumns(y.locate(p), `${ref.schema}.${ref.name}`));
  };
  if (!fromSource.sub) warnUntyped(fromRef, [...path, "from"]);
  const scopeTables: ScopeTable[] = [fromSource.sub ? subScope(fromAlias, fromSource.sub) : scopeTableFor(fromAlias, ctx.catalog.get(fromRef), fromRef)];

  const joins: Join[] = [];
  // Named expressions (let:) and output columns, checked when first used and expanded where used (scope.ts).
  // Until the lookups are known, a let is checked where it is first used among the tables joined so far (a join's
  // ON, a lookup's code): one reading a later table is then an unknown alias at the let, saying where it was used.
  let usedIn: string | undefined;
  const names = selectNames(s, path, (p, raw, st) => {
    const before = ctx.diagnostics.length;
    const e = analyzeAt(ctx, y, p, raw, st, { allowAggregates: true, allowWindows: true });
    for (const d of ctx.diagnostics.slice(before)) {
      if (usedIn && d.code === "UNKNOWN_ALIAS") d.hint = `It is used in ${usedIn}, which sees only the tables joined before it (no lookup): join that table earlier, or do not use the let there.`;
    }
    // Its errors are reported; the expressions using it must not report their own untyped follow-ons.
    if (!e) ctx.poisoned.value = true;
    return e;
  });
  names.bind({ tables: scopeTables, names: names.scope });
  // unpivot: an inner join on its slot numbers, first: it reads the from table's columns, and the joins' ON may
  // read its slot and value (analyze-unpivot.ts).
  let unpivot: AnalyzedUnpivot | undefined;
  if (s.unpivot) {
    unpivot = analyzeUnpivot(s.unpivot, path, y, ctx, scopeTables);
    if (!unpivot) return undefined;
    if (!claim(unpivot.alias, [...path, "unpivot", "as"])) return undefined;
    implicit(unpivot.slots);
    joins.push(unpivot.join);
    scopeTables.push(unpivot.scope);
  }

  for (const [i, j] of (s.joins ?? []).entries()) {
    const source = resolveSource(j.table, [...path, "joins", i, "table"]);
    if (!source) return undefined;
    const ref = source.ref;
    const alias = j.as ?? (/^range\(/i.test(j.table) ? "range" : ref.name);
    if (!source.sub) warnUntyped(ref, [...path, "joins", i, "table"]);
    claim(alias, [...path, "joins", i, j.as ? "as" : "table"]);
    scopeTables.push(source.sub ? subScope(alias, source.sub) : scopeTableFor(alias, ctx.catalog.get(ref), ref));
    // ON may use the tables joined so far, as SQL requires.
    usedIn = `the ON of join #${i + 1}`;
    const on = analyzeAt(ctx, y, [...path, "joins", i, "on"], j.on, { tables: [...scopeTables], names: names.scope }, { expected: "boolean" });
    if (on) joins.push({ type: j.type, table: ref, alias, on: unpivot ? expandUnpivot(on, unpivot) : on, role: "user", ...(source.sub ? { sub: source.sub.name } : {}) });
  }

  // Lookups: left joins per `via` source (lookup-joins.ts); their columns are rewritten below.
  const lookupFilters: Expr[] = [];
  // The same filters split into what a row can fail, each with the reason its count is reported under.
  const auditFilters: AuditSelect["filters"] = [];
  const lookupNames = new Set<string>();
  const expanded = new Map<string, ExpandedLookup>();
  for (const [name, l] of Object.entries(s.lookups ?? {})) {
    if (!claim(name, [...path, "lookups", name], "key")) continue;
    lookupNames.add(name);
    usedIn = `the code of lookup ${name}`;
    let code = analyzeAt(ctx, y, [...path, "lookups", name, "code"], l.code, { tables: [...scopeTables], names: names.scope });
    if (!code) continue;
    if (unpivot) code = expandUnpivot(code, unpivot);
    if (code.type !== "string") code = cast(code, { kind: "varchar" });
    const via = l.via === undefined ? DEFAULT_VIA : Array.isArray(l.via) ? l.via : [l.via];
    const seen = new Set<string>();
    for (const [i, v] of via.entries()) {
      if (seen.has(v)) ctx.diagnostics.push(lookupViaDuplicate(y.locate([...path, "lookups", name, "via", i]), v));
      seen.add(v);
    }
    const vocabularyIds = Array.isArray(l.vocabulary) ? [...l.vocabulary] : [l.vocabulary];
    // A source_to_concept_map's source_vocabulary_id is usually a local id: only a 'Maps to'-only lookup is checked.
    for (const [i, v] of vocabularyIds.entries()) {
      if (KNOWN_VOCABULARIES.has(v) || via.includes("source_to_concept_map")) continue;
      const where = y.locate(Array.isArray(l.vocabulary) ? [...path, "lookups", name, "vocabulary", i] : [...path, "lookups", name, "vocabulary"]);
      ctx.diagnostics.push(unknownVocabulary(where, v, v.length <= 100 ? didYouMean(v, OHDSI_VOCABULARY_IDS) : undefined));
    }
    const e = expandLookup(name, code, vocabularyIds, [...seen] as LookupVia[]);
    expanded.set(name, e);
    // missing_vocabulary: unmapped: no join lists the ids, so the run's vocabulary check leaves them out.
    joins.push(...(l.missing_vocabulary === "unmapped" ? e.joins.map(({ vocabularies: _v, vocabularyTable: _t, vocabularyColumn: _c, ...j }) => j) : e.joins));
    const mappedFilter = isNull(e.standardId, true);
    const unmappedReason = `unmapped code in lookup ${name} (keep_unmapped: false)`;
    if (l.domain) {
      const inDomain = bin("=", e.standard("domain_id", "string"), lit(l.domain));
      const routedReason = `routed to another domain by lookup ${name} (not ${l.domain})`;
      if (l.keep_unmapped === false) {
        lookupFilters.push(inDomain);
        // Unmapped first: an unmapped row is not in the domain either, but it was not routed anywhere.
        auditFilters.push({ reason: unmappedReason, expr: mappedFilter }, { reason: routedReason, expr: inDomain });
      } else {
        const kept = or(inDomain, isNull(e.standardId));
        lookupFilters.push(kept);
        auditFilters.push({ reason: routedReason, expr: kept });
      }
    } else if (l.keep_unmapped === false) {
      lookupFilters.push(mappedFilter);
      auditFilters.push({ reason: unmappedReason, expr: mappedFilter });
    }
  }
  const lookupScope: ScopeTable[] = [...lookupNames].map((alias) => ({
    alias,
    columns: new Map(Object.entries(LOOKUP_COLUMNS)),
    description: "a vocabulary lookup",
  }));
  // An unpivot's value first (it reads no lookup), then the lookups' columns.
  const expandLookups = (e: Expr): Expr => expandLookupColumns(unpivot ? expandUnpivot(e, unpivot) : e);
  const expandLookupColumns = (e: Expr): Expr =>
    lookupNames.size === 0 || !refersTo(e, lookupNames)
      ? e
      : mapExpr(e, (n) => {
      if (n.k !== "col" || !lookupNames.has(n.table)) return undefined;
      const e = expanded.get(n.table);
      if (!e) return undefined; // its code failed to analyze: reported already
      switch (n.column) {
        case "concept_id":
          return fn("coalesce", [e.standardId, lit(0)], "integer");
        case "source_concept_id":
          return e.sourceConceptId;
        case "source_domain_id":
          return e.sourceDomainId;
        default:
          return e.standard(n.column, n.type);
      }
    });

  usedIn = undefined;
  const fullScope: ExprScope = { tables: [...scopeTables, ...lookupScope], names: names.scope };
  const keyScope: ExprScope = fullScope;
  names.bind(fullScope);

  // Surrogate ids: a left join on the persisted id map per id column.
  const ids: IdKey[] = [];
  const idColumns = new Map<string, Expr>();
  for (const [column, id] of Object.entries(sIds ?? {})) {
    const aliasName = `__id_${column}`;
    if (!claim(aliasName, [...path, "ids", column], "key")) continue;
    const targetCol = targetTable && targetTable.columns !== "any" ? targetTable.columns.find((c) => c.name === column) : undefined;
    if (targetTable && targetTable.columns !== "any") {
      if (!targetCol) {
        ctx.diagnostics.push(unknownTargetColumn(y.locate([...path, "ids", column], "key"), column, target.name, didYouMean(column, targetTable.columns.map((c) => c.name))));
        continue;
      }
      if (targetCol.type.kind !== "integer" && targetCol.type.kind !== "bigint") {
        ctx.diagnostics.push(idNotInteger(y.locate([...path, "ids", column], "key"), column, target.name));
        continue;
      }
    }
    if (column in s.columns) ctx.diagnostics.push(idAlsoMapped(y.locate([...path, "columns", column], "key"), column));
    const parts: Expr[] = [];
    for (const [i, k] of id.source_key.entries()) {
      const e = analyzeAt(ctx, y, [...path, "ids", column, "source_key", i], k, keyScope);
      if (e) parts.push(expandLookups(e));
    }
    if (parts.length !== id.source_key.length) continue;
    const domain = id.domain ?? defaultIdDomain(target, column);
    const key = sourceKey(parts);
    ids.push({ column, domain, key, assign: id.assign !== false, alias: aliasName });
    joins.push({
      type: "left",
      table: ctx.idMap,
      alias: aliasName,
      on: and(bin("=", col(aliasName, "domain", "string"), lit(domain)), bin("=", col(aliasName, "source_key", "string"), key)),
      role: "id_map",
    });
    idColumns.set(column, col(aliasName, "id", "integer"));
  }

  let where: Expr | undefined;
  if (s.where !== undefined) {
    const w = analyzeAt(ctx, y, [...path, "where"], s.where, fullScope, { expected: "boolean" });
    if (w) where = expandLookups(w);
  }
  if (where) auditFilters.unshift({ reason: `where ${String(s.where).trim()}`, expr: where });
  // The unpivot's empty values are skipped first: the user's where then sees only the rows it writes.
  if (unpivot) {
    auditFilters.unshift({ reason: unpivot.reason, expr: unpivot.nonEmpty });
    where = where ? and(unpivot.nonEmpty, where) : unpivot.nonEmpty;
  }
  // Coverage is measured over the select's rows before the lookup filters: a domain step sees all of its source's codes.
  const coverage: LookupCoverage[] = [];
  for (const [name, e] of expanded) {
    const fromWhere = new Set<string>();
    if (where) walkExpr(where, (n) => { if (n.k === "col") fromWhere.add(n.table); });
    const names = [...expanded.keys()].filter((other) => other === name || [...fromWhere].some((a) => a.startsWith(`${other}__`)));
    const joinAliases = names.flatMap((other) => expanded.get(other)!.joins.map((j) => j.alias));
    coverage.push({ name, code: e.code, mapped: e.standardId, joins: joinAliases, ...(where ? { where } : {}) });
  }
  if (lookupFilters.length) where = where ? and(where, ...lookupFilters) : and(...lookupFilters);

  const groupBy: Expr[] = [];
  for (const [i, g] of (s.group_by ?? []).entries()) {
    const e = analyzeAt(ctx, y, [...path, "group_by", i], g, fullScope);
    if (e) groupBy.push(expandLookups(e));
  }
  let having: Expr | undefined;
  if (s.having !== undefined) {
    const h = analyzeAt(ctx, y, [...path, "having"], s.having, fullScope, { expected: "boolean", allowAggregates: true });
    if (h) having = expandLookups(h);
  }

  const mapped = new Map<string, { expr: Expr; path: YamlPath }>();
  const suggested = new Set<string>();
  for (const [name] of Object.entries(s.columns)) {
    const colName = name.toLowerCase();
    const p = [...path, "columns", name];
    if (targetTable && targetTable.columns !== "any" && !targetTable.columns.some((c) => c.name === colName)) {
      const names = targetTable.columns.map((c) => c.name);
      const guess = closest(name, names);
      if (guess) suggested.add(guess);
      ctx.diagnostics.push(unknownTargetColumn(y.locate(p, "key"), name, target.name, didYouMean(name, names)));
      continue;
    }
    // Checked once, here or where another expression used it first (a cycle through it is reported where it closes).
    const e = names.output(colName);
    if (e) mapped.set(colName, { expr: expandLookups(e), path: p });
  }
  for (const [column, e] of idColumns) mapped.set(column, { expr: e, path: [...path, "ids", column] });

  // Aggregation: with group_by (or any aggregate in columns or having), every plain column must be grouped.
  const hasAggregate = [...mapped.values()].some((m) => containsAggregate(m.expr));
  const isGrouped = groupBy.length > 0 || hasAggregate || (having !== undefined && containsAggregate(having));

  // qualify filters the select's rows after window functions (and grouping): it may call windows, and aggregates
  // when the select is grouped anyway (an aggregate there does not make a select grouped, as it would in SQL).
  let qualify: Expr | undefined;
  if (s.qualify !== undefined) {
    const q = analyzeAt(ctx, y, [...path, "qualify"], s.qualify, fullScope, { expected: "boolean", allowWindows: true, allowAggregates: isGrouped });
    if (q) qualify = expandLookups(q);
  }

  if (isGrouped) {
    const grouped = new Set(groupBy.map((g) => JSON.stringify(g)));
    const groupedCols = new Set(groupBy.filter((g) => g.k === "col").map((g) => JSON.stringify(g)));
    for (const [name, m] of mapped) {
      if (idColumns.has(name) || containsAggregate(m.expr) || grouped.has(JSON.stringify(m.expr))) continue;
      const loose = columnRefsOutsideAggregates(m.expr).filter((r) => !groupedCols.has(JSON.stringify(r)));
      if (loose.length > 0) ctx.diagnostics.push(aggregateWithoutGroup(y.locate(m.path), name));
    }
    if (qualify && !grouped.has(JSON.stringify(qualify))) {
      const loose = columnRefsOutsideAggregates(qualify).filter((r) => !groupedCols.has(JSON.stringify(r)));
      if (loose.length > 0) ctx.diagnostics.push(aggregateWithoutGroup(y.locate([...path, "qualify"]), "qualify"));
    }
    // A surrogate id of a grouped select identifies a group: its key may use only grouped columns, and the id itself
    // joins the GROUP BY (it is a function of the key, so the groups do not change).
    for (const id of ids) {
      const loose = columnRefsOutsideAggregates(id.key).filter((r) => !groupedCols.has(JSON.stringify(r)));
      if (loose.length > 0 && !grouped.has(JSON.stringify(id.key))) {
        ctx.diagnostics.push(aggregateWithoutGroup(y.locate([...path, "ids", id.column, "source_key"]), `ids.${id.column}`));
      } else if (groupBy.length > 0) groupBy.push(col(id.alias, "id", "integer"));
    }
  }

  // Deterministic windows: order-sensitive windows get the select's row key (or every column read) as tie-breaker.
  const typeOf = (alias: string, column: string): ValueType => {
    const t = scopeTables.find((x) => x.alias === alias);
    if (!t) return "integer"; // a lookup's concept / concept_relationship join: concept ids
    return t.columns === "any" ? "any" : (t.columns.get(column) ?? "any");
  };
  const subKey = (ref: TableRef) => (ref.schema === SUB_SELECT_SCHEMA ? ((env.analyzed.get(ref.name) ?? env.implicit.get(ref.name))?.key ?? []) : undefined);
  const rowKey = selectRowKey({ from: { table: fromRef, alias: fromAlias }, joins, groupBy, grouped: isGrouped }, ctx.catalog, typeOf, subKey);
  const fallback = columnsRead([...[...mapped.values()].map((m) => m.expr), ...(qualify ? [qualify] : [])]);
  const fromText = fromSource.sub ? `sub-select ${fromRef.name}` : `${fromRef.schema}.${fromRef.name}`;
  const tieBreak = (e: Expr, p: YamlPath, raw: unknown, where: string): Expr => {
    const r = breakTies(e, rowKey, fallback);
    // A table whose writer failed to compile has no known key: the first error says what to fix.
    if (poisoned.value) return r.expr;
    for (const issue of r.issues) {
      const at = typeof raw === "string" ? y.locateInScalar(p, windowOffset(raw, issue.name, issue.occurrence)) : y.locate(p);
      ctx.diagnostics.push(nondeterministicWindow(at, issue.name, where, issue.kind, fromText, issue.appended));
    }
    return r.expr;
  };
  for (const [name, m] of mapped) {
    if (!containsWindow(m.expr)) continue;
    const raw = m.path[m.path.length - 2] === "columns" ? s.columns[m.path[m.path.length - 1] as string] : undefined;
    mapped.set(name, { ...m, expr: tieBreak(m.expr, m.path, raw, `column "${name}"`) });
  }
  if (qualify && containsWindow(qualify)) qualify = tieBreak(qualify, [...path, "qualify"], s.qualify, "qualify");

  // Its readers see the rows after qualify: keeping the first row per key makes that key the row key.
  const keptKey = firstRowPerKey(qualify) ?? rowKey;
  return {
    path,
    mapped,
    suggested,
    reads,
    ...(keptKey ? { rowKey: keptKey } : {}),
    filters: [
      ...(unpivot ? [unpivot.reason] : []),
      ...(typeof s.where === "string" ? [`where ${s.where.trim()}`] : s.where !== undefined ? [`where ${String(s.where)}`] : []),
      ...(s.joins ?? []).filter((j) => j.type === "inner").map((j) => `no match in inner join ${j.table}${j.as ? ` ${j.as}` : ""}`),
      ...Object.entries(s.lookups ?? {})
        .filter(([, l]) => l.domain !== undefined || l.keep_unmapped === false)
        .map(([name, l]) => (l.domain ? `lookup ${name}: standard concept in another domain than ${l.domain}${l.keep_unmapped === false ? " or unmapped" : ""}` : `lookup ${name}: unmapped`)),
      ...(s.group_by?.length ? ["group_by (rows combined)"] : []),
      ...(s.having !== undefined ? [`having ${String(s.having).trim()}`] : []),
      ...(s.qualify !== undefined ? [`qualify ${String(s.qualify).trim()}`] : []),
      ...(s.distinct ? ["distinct (duplicates removed)"] : []),
    ],
    audit: {
      filters: auditFilters,
      at: {
        ...(s.where !== undefined ? { where: position(y.locate([...path, "where"])) } : {}),
        columns: Object.fromEntries([...mapped].map(([name, m]) => [name, position(y.locate(m.path))])),
      },
      ...(s.having !== undefined ? { having: `having ${String(s.having).trim()}` } : {}),
      ...(s.qualify !== undefined ? { qualify: `qualify ${String(s.qualify).trim()}` } : {}),
    },
    select: {
      distinct: s.distinct ?? false,
      from: { table: fromRef, alias: fromAlias, ...(fromSource.sub ? { sub: fromRef.name } : {}) },
      joins,
      ...(where ? { where } : {}),
      groupBy,
      ...(having ? { having } : {}),
      ...(qualify ? { qualify } : {}),
      ids,
      ...(coverage.length ? { lookups: coverage } : {}),
      columns: [],
    },
  };
}

/**
 * A table whose name is `name` without its schema (a forgotten `source.`), as a did-you-mean: tables the workflow
 * declared so far, then CDM tables.
 */
function tableNamed(name: string, ctx: AnalysisContext): string | undefined {
  const lower = name.toLowerCase();
  const declared = ctx.catalog.all().find((t) => t.ref.name === lower && !t.cdm);
  if (declared) return `Did you mean "${declared.ref.schema}.${declared.ref.name}"?`;
  const cdm = getTable(ctx.spec, lower);
  return cdm ? `Did you mean "${logicalSchemaOf(cdm)}.${cdm.name}"?` : undefined;
}

/** A line and column of a located node. */
function position(at: { line: number; column: number }): { line: number; column: number } {
  return { line: at.line, column: at.column };
}

/** Column references outside aggregate calls (those must be grouped). */
function columnRefsOutsideAggregates(e: Expr): Expr[] {
  const out: Expr[] = [];
  walkExpr(e, (n) => {
    if (n.k === "fn" && isAggregateName(n.name)) return false;
    if (n.k === "col") out.push(n);
    return undefined;
  });
  return out;
}

/** The id-map key of a source row ({@link sourceKeyText}). */
function sourceKey(parts: Expr[]): Expr {
  return sourceKeyText(parts);
}

/** Whether an expression reads a column of one of `aliases` (a walk that allocates nothing). */
function refersTo(e: Expr, aliases: ReadonlySet<string>): boolean {
  let found = false;
  walkExpr(e, (n) => {
    if (found) return false;
    if (n.k === "col" && aliases.has(n.table)) found = true;
    return undefined;
  });
  return found;
}
