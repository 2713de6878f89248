import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { compareDiagnostics, hasErrors } from "../diagnostics/diagnostic.js";
import {
  PLAN_VERSION,
  type CompiledWorkflowPlan,
  type PlanStep,
  type StepBody,
  type TableDef,
  type TableRef,
} from "../model/plan.js";
import type { CdmSpec, CdmVersion } from "../spec/spec-model.js";
import { standardIndexes } from "../spec/standard-indexes.js";
import { resetSuggestionBudget } from "../diagnostics/did-you-mean.js";
import type { AnalysisContext, CompileNote } from "./analysis-context.js";

export type { CompileNote } from "./analysis-context.js";
import { analyzeLoad } from "./analyze-load.js";
import { checkLoadTables } from "./load-tables.js";
import { analyzeSql } from "./analyze-sql.js";
import { analyzeTransform } from "./analyze-transform.js";
import { checkDerivationSources } from "./check-derivation-source.js";
import { buildDag } from "./build-dag.js";
import { createRequire } from "node:module";
import { sha256 } from "./canonical-json.js";
import { externalInvalid } from "./compile-errors.js";
import { loadWorkflow, type LoadedStep, type LoadOptions } from "./load-workflow.js";
import { stepIo, type StepIo } from "./step-io.js";
import { checkPhysicalClashes, checkTableCreation } from "./table-creation.js";
import { checkUnmappedRouting } from "./unmapped-routing.js";
import { parseRef, refKey, TableCatalog } from "./table-catalog.js";
import { cdmTableDef } from "./cdm-table-defs.js";

/** The compiler's version (part of every fingerprint: a new compiler may render a step differently). */
const COMPILER_VERSION = (createRequire(import.meta.url)("../../../package.json") as { version: string }).version;

/** Default physical schema for each built-in logical schema. Vocabulary tables live beside the CDM, as in OHDSI. */
export const DEFAULT_SCHEMAS: Readonly<Record<string, string>> = { source: "source", staging: "staging", cdm: "cdm", vocab: "cdm" };

/** The table surrogate ids are persisted in, so the same source row keeps its id across runs. */
export const ID_MAP_TABLE: TableRef = { schema: "staging", name: "omopetl_id_map" };

export interface CompileOptions extends LoadOptions {
  /** Loads the CDM spec for a version (the caller decides: local dir, cache or GitHub). */
  loadSpec: (version: CdmVersion) => Promise<CdmSpec>;
}

export interface CompileResult {
  plan?: CompiledWorkflowPlan;
  /** All findings, sorted by file:line:col. */
  diagnostics: Diagnostic[];
  /** With a plan: notes about its steps (a load's ignored header columns), in step order. */
  notes?: CompileNote[];
}

/**
 * Compiles a workflow: reads and validates every file, infers the DAG, type-checks every step against the CDM spec,
 * and emits a deterministic CompiledWorkflowPlan. User errors are returned as diagnostics, never thrown; I/O failures
 * of the spec (network, cache) throw OmopetlError.
 */
export async function compileWorkflow(workflowPath: string, options: CompileOptions): Promise<CompileResult> {
  const diagnostics: Diagnostic[] = [];
  // Each compile gets the whole did-you-mean budget, so its messages do not depend on what compiled before it.
  resetSuggestionBudget();
  const notes: CompileNote[] = [];
  const done = (plan?: CompiledWorkflowPlan): CompileResult => ({
    ...(plan ? { plan } : {}),
    diagnostics: dedupe(diagnostics).sort(compareDiagnostics),
    ...(plan && notes.length > 0 ? { notes } : {}),
  });

  const loaded = await loadWorkflow(workflowPath, options, diagnostics);
  if (!loaded) return done();
  const { workflow, yaml } = loaded;
  const spec = await options.loadSpec(workflow.cdm_version);

  const schemaMap: Record<string, string> = { ...DEFAULT_SCHEMAS };
  for (const [k, v] of Object.entries(workflow.schemas ?? {})) schemaMap[k.toLowerCase()] = v;
  const schemas = new Set(Object.keys(schemaMap));

  const external = new Set<string>();
  for (const [i, e] of (workflow.external ?? []).entries()) {
    if (!/^[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(e)) diagnostics.push(externalInvalid(yaml.locate(["external", i]), e));
    else external.add(refKey(parseRef(e)));
  }

  const ios = loaded.steps.map((s) => stepIo(s, schemas, spec, diagnostics));
  if (!loaded.incomplete) checkTableCreation(ios, external, diagnostics);
  checkUnmappedRouting(loaded.steps, diagnostics);
  const usesIds = ios.some((io) => io.idAssigns.length > 0 || io.idReads.length > 0);
  checkPhysicalClashes(ios, schemaMap, usesIds ? [ID_MAP_TABLE] : [], diagnostics);
  const dag = buildDag(ios, yaml, external, diagnostics, loaded.incomplete);
  if (!dag) return done();

  const catalog = new TableCatalog(spec);
  const ctx: AnalysisContext = { spec, catalog, params: loaded.params, schemas, idMap: ID_MAP_TABLE, diagnostics, declaredParams: new Set(Object.keys(workflow.params ?? {})), paramDecls: workflow.params ?? {}, notes, poisoned: { value: false } };
  // External non-CDM tables have unknown columns: expressions over them are not type-checked.
  for (const e of external) {
    const ref = parseRef(e);
    if (!catalog.cdmTable(ref)) catalog.declare(ref, "any", [], [], "external");
  }

  const byName = new Map(ios.map((io) => [io.step.name, io]));
  const bodies = new Map<string, StepBody>();
  for (const name of dag.order) {
    const io = byName.get(name)!;
    const body = analyzeStep(io.step, io, ctx);
    if (body) bodies.set(name, body);
    else for (const w of io.writes) if (!catalog.cdmTable(w.ref)) catalog.markFailed(w.ref, intendedColumns(partWriting(io.step, w.ref)));
  }
  if (hasErrors(diagnostics)) return done();

  const tables = tableDefs(ios, catalog, spec);
  // Each table's definition is hashed once; a step's fingerprint covers the hashes of the tables it touches. Plain
  // JSON is canonical here: the compiler builds these objects in a fixed key order.
  const tableHash = new Map(tables.map((t) => [refKey(t), sha256(JSON.stringify(t))]));
  const schemasJson = JSON.stringify(schemaMap);
  const paramsJson = JSON.stringify(loaded.params);
  const steps: PlanStep[] = dag.order.map((name) => {
    const io = byName.get(name)!;
    const body = bodies.get(name)!;
    const reads = sortRefs(io.reads.map((r) => r.ref));
    const writes = sortRefs([...io.writes, ...io.creates, ...io.finishes].map((w) => w.ref));
    // The fingerprint covers everything that decides the step's SQL: what it was compiled from (a transform's DML
    // text, which with the parameters and the definitions of the tables it touches determines its body; other
    // kinds' small bodies themselves), the compiler's version, and the schema mapping. Hashing a transform's source
    // rather than its expanded body keeps 10,000-step compiles fast.
    const touched = [...new Set([...reads, ...writes].map(refKey))].sort().map((k) => `${k}:${tableHash.get(k) ?? "-"}`);
    const what = body.kind === "transform" ? `${io.step.relFile}\n${io.step.yaml.text}\n${paramsJson}` : JSON.stringify(body);
    const fingerprint = sha256(`omopetl ${COMPILER_VERSION} ${body.kind}\n${what}\n${touched.join("\n")}\n${schemasJson}`);
    return {
      name,
      kind: io.step.dml.kind === "loads" ? "load" : io.step.dml.kind,
      file: io.step.relFile,
      ...(io.step.dml.dml.description ? { description: io.step.dml.dml.description } : {}),
      dependsOn: dag.dependsOn.get(name)!,
      level: dag.level.get(name)!,
      fingerprint,
      retries: io.step.retries,
      ...(io.step.timeoutSeconds !== undefined ? { timeoutSeconds: io.step.timeoutSeconds } : {}),
      reads,
      writes,
      body,
    };
  });

  const withoutFingerprint = {
    planVersion: PLAN_VERSION,
    name: workflow.name,
    cdmVersion: workflow.cdm_version,
    spec: { version: spec.version, ref: spec.ref, contentHash: spec.contentHash },
    params: loaded.params,
    schemas: Object.fromEntries(Object.entries(schemaMap).sort(([a], [b]) => (a < b ? -1 : 1))),
    idMap: ID_MAP_TABLE,
    tables,
    steps,
  };
  // Not re-validated with zod here (it costs more than compiling at 10k steps); tests check every plan against the
  // schema and the published JSON Schema.
  // The plan's fingerprint covers its header, every table and every step; bodies through the steps' fingerprints.
  const fingerprintInput = {
    ...withoutFingerprint,
    tables: [...tableHash.entries()],
    steps: steps.map((s) => ({ ...s, body: undefined })),
  };
  const plan: CompiledWorkflowPlan = { ...withoutFingerprint, fingerprint: sha256(JSON.stringify(fingerprintInput)) };
  return done(plan);
}

/** The table of a load of several tables that writes `ref` (the step itself for other kinds). */
function partWriting(step: LoadedStep, ref: TableRef): LoadedStep {
  if (step.dml.kind !== "loads") return step;
  return step.dml.parts.find((p) => p.dml.kind === "load" && refKey(parseRef(p.dml.dml.target)) === refKey(ref)) ?? step;
}

/** The columns a step means to write, read from its YAML alone (for readers of a step that failed to compile). */
function intendedColumns(step: LoadedStep): string[] | undefined {
  const d = step.dml;
  if (d.kind === "load") return d.dml.columns ? Object.keys(d.dml.columns).map((c) => c.toLowerCase()) : undefined;
  if (d.kind === "transform") {
    const first = "union_all" in d.dml ? d.dml.union_all[0] : d.dml;
    if (!first) return undefined;
    return [...Object.keys(first.columns), ...Object.keys(first.ids ?? {})].map((c) => c.toLowerCase());
  }
  return undefined;
}

function analyzeStep(step: LoadedStep, io: StepIo, ctx: AnalysisContext): StepBody | undefined {
  switch (step.dml.kind) {
    case "load":
      return analyzeLoad(step, ctx);
    case "loads": {
      // Every table is analysed (all their errors are reported); the step compiles only when each does.
      const valid = checkLoadTables(step, step.dml.dml, ctx.diagnostics);
      const loads = step.dml.parts.map((p) => analyzeLoad(p, ctx));
      return valid && loads.every((l) => l !== undefined) ? { kind: "loads", loads } : undefined;
    }
    case "transform":
      if (step.derivation && !checkDerivationSources(step, step.derivation.checks, ctx)) return undefined;
      return analyzeTransform(step, ctx);
    case "sql":
      return analyzeSql(step, ctx);
    case "ddl":
      return {
        kind: "ddl",
        part: step.dml.dml.part,
        tables: sortRefs((step.dml.dml.part === "tables" ? io.creates : io.finishes).map((u) => u.ref)),
      };
  }
}

/** Definitions of every table the plan touches (plus the id map when ids are used). */
function tableDefs(ios: StepIo[], catalog: TableCatalog, spec: CdmSpec): TableDef[] {
  const refs = new Map<string, TableRef>();
  for (const io of ios) for (const u of [...io.reads, ...io.writes, ...io.creates, ...io.finishes]) refs.set(refKey(u.ref), u.ref);
  const indexes = standardIndexes(spec);
  const defs: TableDef[] = [];
  for (const ref of refs.values()) {
    const t = catalog.get(ref);
    if (!t) continue;
    if (t.cdm) {
      defs.push({ ...cdmTableDef(spec, t.cdm, indexes), schema: ref.schema, columns: t.columns === "any" ? [] : t.columns });
    } else {
      defs.push({ schema: ref.schema, name: ref.name, cdm: false, columns: t.columns === "any" ? [] : t.columns, primaryKey: t.primaryKey, foreignKeys: [], indexes: t.indexes });
    }
  }
  return defs.sort((a, b) => (refKey(a) < refKey(b) ? -1 : refKey(a) > refKey(b) ? 1 : 0));
}

function sortRefs(refs: TableRef[]): TableRef[] {
  const m = new Map(refs.map((r) => [refKey(r), r]));
  return [...m.keys()].sort().map((k) => m.get(k)!);
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = JSON.stringify([d.code, d.location?.file, d.location?.line, d.location?.column, d.message]);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
