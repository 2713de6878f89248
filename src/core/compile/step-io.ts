import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import type { SelectDml, SubSelectDml } from "../model/dml-schema.js";
import type { TableRef } from "../model/plan.js";
import type { CdmSpec } from "../spec/spec-model.js";
import { getTable } from "../spec/spec-model.js";
import type { YamlPath } from "../yaml/yaml-file.js";
import { unknownCdmTable, unknownSchema, wrongSchema } from "./compile-errors.js";
import type { LoadedStep } from "./load-workflow.js";
import { CDM_SCHEMAS, logicalSchemaOf, parseRef } from "./table-catalog.js";

/** A table a step touches, with where the step names it. */
export interface TableUse {
  ref: TableRef;
  location: SourceLocation;
}

/** What a step reads and writes, known before any type checking: this is what the DAG is inferred from. */
export interface StepIo {
  step: LoadedStep;
  reads: TableUse[];
  writes: TableUse[];
  /** Tables this step creates (ddl part tables). */
  creates: TableUse[];
  /** Tables this step finishes after load (ddl constraints/indexes): it runs after every writer. */
  finishes: TableUse[];
  mode?: "merge" | "replace" | "rebuild" | "load";
  slice?: string;
  idAssigns: { domain: string; location: SourceLocation }[];
  idReads: { domain: string; location: SourceLocation }[];
}

/** The selects of a transform with the YAML path of each. */
export function selectsOf(step: LoadedStep): { select: SelectDml; path: YamlPath }[] {
  if (step.dml.kind !== "transform") return [];
  const t = step.dml.dml;
  if ("union_all" in t) return t.union_all.map((s, i) => ({ select: s, path: ["union_all", i] }));
  return [{ select: t, path: [] }];
}

/** A `with:` sub-select of a transform: its selects (one, or a union_all's branches), each with its YAML path. */
export interface SubSelectEntry {
  name: string;
  path: YamlPath;
  /** Set for a union_all sub-select. */
  union: boolean;
  selects: { select: SubSelectDml; path: YamlPath }[];
}

/** The `with:` sub-selects of a transform, in YAML order. */
export function subSelectsOf(step: LoadedStep): SubSelectEntry[] {
  if (step.dml.kind !== "transform") return [];
  return Object.entries(step.dml.dml.with ?? {}).map(([name, s]) => {
    const path: YamlPath = ["with", name];
    return "union_all" in s
      ? { name, path, union: true, selects: s.union_all.map((b, i) => ({ select: b, path: [...path, "union_all", i] })) }
      : { name, path, union: false, selects: [{ select: s, path }] };
  });
}

/**
 * Whether a source name (a parsed `from:` or a join's `table:`) names a table of the step itself — a `with:`
 * sub-select, a `values:` table or a `range(a, b)` series —, not one of the database: it has no schema.
 */
export function isSubSelectName(table: string): boolean {
  return !table.includes(".") || /^range\(/i.test(table);
}

/**
 * `from:` as table + alias. Accepts "schema.table", "schema.table AS x" and "schema.table x", and the same with the
 * name of a `with:` sub-select instead of "schema.table" ({@link isSubSelectName}).
 */
export function parseFrom(from: SelectDml["from"]): { table: string; alias?: string } | undefined {
  if (from === undefined) return undefined;
  if (typeof from !== "string") return from.as ? { table: from.table, alias: from.as } : { table: from.table };
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?|range\([^()]*\))(?:\s+(?:as\s+)?([A-Za-z_][A-Za-z0-9_]*))?\s*$/i.exec(from);
  if (!m) return undefined;
  return m[2] ? { table: m[1]!, alias: m[2] } : { table: m[1]! };
}

export function defaultIdDomain(target: TableRef, column: string): string {
  return `${target.name}.${column}`;
}

/**
 * Resolves a "schema.table" name: the logical schema must exist; cdm/vocab tables must be tables of the spec,
 * in the right logical schema.
 */
export function resolveTableName(
  text: string,
  location: SourceLocation,
  schemas: ReadonlySet<string>,
  spec: CdmSpec,
  diagnostics: Diagnostic[],
): TableRef | undefined {
  const ref = parseRef(text);
  if (!schemas.has(ref.schema)) {
    diagnostics.push(unknownSchema(location, ref.schema, [...schemas].sort(), didYouMean(ref.schema, schemas)));
    return undefined;
  }
  if (CDM_SCHEMAS.has(ref.schema)) {
    const table = getTable(spec, ref.name);
    if (!table) {
      diagnostics.push(unknownCdmTable(location, ref.name, spec.version, didYouMean(ref.name, spec.tableNames)));
      return undefined;
    }
    const expected = logicalSchemaOf(table);
    if (expected !== ref.schema) {
      diagnostics.push(wrongSchema(location, ref.name, ref.schema, expected));
      return undefined;
    }
  }
  return ref;
}

/** Computes the reads/writes of one step; unresolvable names are reported and left out. */
export function stepIo(step: LoadedStep, schemas: ReadonlySet<string>, spec: CdmSpec, diagnostics: Diagnostic[]): StepIo {
  const y = step.yaml;
  const io: StepIo = { step, reads: [], writes: [], creates: [], finishes: [], idAssigns: [], idReads: [] };
  const use = (text: string, path: YamlPath, into: TableUse[]) => {
    const location = y.locate(path);
    const ref = resolveTableName(text, location, schemas, spec, diagnostics);
    if (ref) into.push({ ref, location });
    return ref;
  };
  switch (step.dml.kind) {
    case "load":
      use(step.dml.dml.target, ["target"], io.writes);
      io.mode = "load";
      break;
    case "loads":
      for (const [i, t] of step.dml.dml.tables.entries()) use(t.target, ["tables", i, "target"], io.writes);
      io.mode = "load";
      break;
    case "transform": {
      const t = step.dml.dml;
      const target = use(t.target, ["target"], io.writes);
      io.mode = t.mode;
      if (typeof t.slice === "string") io.slice = t.slice.trim();
      // Sub-selects are read like tables but are not tables: what they read is what the step reads. A name that is
      // no sub-select of the step is reported by the analysis (UNKNOWN_SUB_SELECT, with a did-you-mean).
      for (const { select, path } of [...subSelectsOf(step).flatMap((w) => w.selects), ...selectsOf(step)]) {
        const from = parseFrom(select.from);
        if (from && !isSubSelectName(from.table)) use(from.table, [...path, "from"], io.reads);
        for (const [i, j] of (select.joins ?? []).entries()) if (!isSubSelectName(j.table)) use(j.table, [...path, "joins", i, "table"], io.reads);
        if (select.lookups && Object.keys(select.lookups).length > 0) {
          const loc = y.locate([...path, "lookups"], "key");
          io.reads.push({ ref: { schema: "vocab", name: "concept" }, location: loc });
          // VOCABULARY: the run checks each lookup's vocabulary ids against it before writing.
          io.reads.push({ ref: { schema: "vocab", name: "vocabulary" }, location: loc });
          // The relationship table for 'Maps to' (the default via), source_to_concept_map where a lookup names it.
          const vias = Object.values(select.lookups).flatMap((l) => (l.via === undefined ? ["maps_to"] : Array.isArray(l.via) ? l.via : [l.via]));
          if (vias.includes("maps_to")) io.reads.push({ ref: { schema: "vocab", name: "concept_relationship" }, location: loc });
          if (vias.includes("source_to_concept_map")) io.reads.push({ ref: { schema: "vocab", name: "source_to_concept_map" }, location: loc });
        }
        for (const [column, id] of Object.entries(("ids" in select ? select.ids : undefined) ?? {})) {
          if (!target) continue;
          const domain = id.domain ?? defaultIdDomain(target, column);
          const location = y.locate([...path, "ids", column], "key");
          (id.assign === false ? io.idReads : io.idAssigns).push({ domain, location });
        }
      }
      break;
    }
    case "sql": {
      const s = step.dml.dml;
      for (const [i, r] of (s.reads ?? []).entries()) use(r, ["reads", i], io.reads);
      for (const [i, w] of s.writes.entries()) use(typeof w === "string" ? w : w.table, typeof w === "string" ? ["writes", i] : ["writes", i, "table"], io.writes);
      break;
    }
    case "ddl": {
      const d = step.dml.dml;
      const names = d.tables === "all" ? spec.tableNames : d.tables;
      const into = d.part === "tables" ? io.creates : io.finishes;
      for (const [i, name] of names.entries()) {
        const table = getTable(spec, name);
        const location = d.tables === "all" ? y.locate(["tables"]) : y.locate(["tables", i]);
        if (!table) {
          diagnostics.push(unknownCdmTable(location, name, spec.version, didYouMean(name, spec.tableNames)));
          continue;
        }
        into.push({ ref: { schema: logicalSchemaOf(table), name: table.name }, location });
      }
      break;
    }
  }
  // De-duplicate reads (a table joined twice is one dependency) while keeping the first location.
  const seen = new Set<string>();
  io.reads = io.reads.filter((r) => {
    const k = `${r.ref.schema}.${r.ref.name}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return io;
}
