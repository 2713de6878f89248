import path from "node:path";
import type { z } from "zod";
import { glob } from "tinyglobby";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import { readTextFile } from "../files/read-text-file.js";
import { DML_KINDS, DML_SCHEMAS, LoadTablesDmlSchema, type DdlDml, type LoadDml, type LoadTablesDml, type SqlDml, type TransformDml } from "../model/dml-schema.js";
import { loadTableParts } from "./load-tables.js";
import { WorkflowSchema, type Workflow } from "../model/workflow-schema.js";
import { YamlFile } from "../yaml/yaml-file.js";
import { MappedYamlFile } from "../yaml/mapped-yaml-file.js";
import { EraDmlSchema, ObservationPeriodDmlSchema } from "../model/derivation-dml-schema.js";
import { expandEra, type DerivationExpansion } from "./expand-era.js";
import { expandObservationPeriod } from "./expand-observation-period.js";
import type { SourceCheck } from "./check-derivation-source.js";
import { duplicateStep, fileNotFound, invalidType, invalidValue, missingField, nameWithGlob, noFilesMatched, unknownDmlKind } from "./compile-errors.js";
import { MAX_STEPS, tooManySteps } from "./limit-errors.js";
import { resolveParams, type ParamOverride, type ParamValue } from "./params.js";
import { transformSchemaFor } from "./transform-shape.js";
import { zodIssuesToDiagnostics } from "./zod-diagnostics.js";

export type Dml =
  | { kind: "load"; dml: LoadDml }
  /** A load of several tables (`tables:`); `parts` are its tables as loads of their own, defaults applied. */
  | { kind: "loads"; dml: LoadTablesDml; parts: LoadedStep[] }
  | { kind: "transform"; dml: TransformDml }
  | { kind: "sql"; dml: SqlDml }
  | { kind: "ddl"; dml: DdlDml };

/** A step after its DML file was read and its shape validated. */
export interface LoadedStep {
  name: string;
  /** DML file relative to the workflow file, forward slashes. */
  relFile: string;
  absFile: string;
  yaml: YamlFile;
  dml: Dml;
  /**
   * For a derivation kind (`kind: era`): the kind written, and what the analysis checks of its source before the
   * transform it expanded into (`dml`) is analyzed. `yaml` then maps the expanded document's paths onto the file.
   */
  derivation?: { kind: "era" | "observation_period"; checks: SourceCheck[] };
  explicitDeps: { name: string; index: number }[];
  /** Index of the workflow `steps:` entry that produced this step (for locations in the workflow file). */
  entryIndex: number;
  retries: number;
  timeoutSeconds?: number;
}

export interface LoadedWorkflow {
  yaml: YamlFile;
  workflow: Workflow;
  absFile: string;
  dir: string;
  params: Record<string, ParamValue>;
  steps: LoadedStep[];
  /** DML files that could not be read or validated: what they write is unknown, so "nobody writes" is not reported. */
  incomplete: boolean;
}

export interface LoadOptions {
  /** --param and config values. */
  params?: Record<string, ParamOverride>;
  /** Directory diagnostics' file paths are shown relative to (default: process.cwd()). */
  cwd?: string;
}

/** A file as shown in diagnostics: relative to the working directory when inside it, else absolute. */
function display(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  return (rel.startsWith("..") || path.isAbsolute(rel) ? abs : rel).split(path.sep).join("/");
}

/**
 * Reads the workflow and every DML file it names, validating their shape. Collects diagnostics; a file that cannot be
 * read or parsed is reported and left out, so the rest is still checked.
 */
export async function loadWorkflow(workflowPath: string, options: LoadOptions, diagnostics: Diagnostic[]): Promise<LoadedWorkflow | undefined> {
  const cwd = options.cwd ?? process.cwd();
  const absFile = path.resolve(cwd, workflowPath);
  const dir = path.dirname(absFile);
  const read = readTextFile(absFile, { shown: display(absFile, cwd) });
  if (!read.ok) {
    diagnostics.push(read.missing ? fileNotFound(undefined, display(absFile, cwd)) : read.diagnostic);
    return undefined;
  }
  const yaml = new YamlFile(display(absFile, cwd), read.text);
  diagnostics.push(...yaml.diagnostics);
  if (yaml.diagnostics.length > 0) return undefined;
  const parsed = WorkflowSchema.safeParse(yaml.value ?? {});
  if (!parsed.success) {
    diagnostics.push(...zodIssuesToDiagnostics(yaml, WorkflowSchema, parsed.error.issues, "the workflow"));
    return undefined;
  }
  const workflow = parsed.data;
  if (workflow.steps.length > MAX_STEPS) {
    diagnostics.push(tooManySteps(yaml.locateTopLevelKey("steps"), workflow.steps.length));
    return undefined;
  }
  const { values: params, diagnostics: paramDiags } = resolveParams(
    workflow.params ?? {},
    options.params ?? {},
    dir,
    (name) => yaml.locate(["params", name], "key"),
    yaml.locate(["params"], "key"),
  );
  diagnostics.push(...paramDiags);

  const steps: LoadedStep[] = [];
  const errorsBefore = diagnostics.length;
  const byName = new Map<string, LoadedStep>();
  for (const [index, entry] of workflow.steps.entries()) {
    const loc = yaml.locate(["steps", index, "dml"]);
    const isGlob = /[*?[\]{}]/.test(entry.dml);
    let files: string[];
    if (isGlob) {
      files = (await glob(entry.dml, { cwd: dir, absolute: true, onlyFiles: true, expandDirectories: false })).sort();
      if (files.length === 0) {
        diagnostics.push(noFilesMatched(loc, entry.dml));
        continue;
      }
      if (entry.name && files.length > 1) diagnostics.push(nameWithGlob(yaml.locate(["steps", index, "name"]), entry.dml));
    } else {
      files = [path.resolve(dir, entry.dml)];
    }
    if (steps.length + files.length > MAX_STEPS) {
      // Globs can multiply steps past the limit: stop before reading (and analysing) tens of thousands of files.
      diagnostics.push(tooManySteps(loc, undefined));
      break;
    }
    for (const abs of files) {
      // Synchronous reads: thousands of small files read faster without a promise per file.
      const dmlRead = readTextFile(abs, { shown: display(abs, cwd), location: loc });
      if (!dmlRead.ok) {
        diagnostics.push(dmlRead.missing ? fileNotFound(loc, display(abs, cwd)) : dmlRead.diagnostic);
        continue;
      }
      const dmlText = dmlRead.text;
      const relFile = path.relative(dir, abs).split(path.sep).join("/");
      const name = (files.length === 1 && entry.name) || path.basename(abs).replace(/\.ya?ml$/i, "");
      const dmlYaml = new YamlFile(display(abs, cwd), dmlText);
      diagnostics.push(...dmlYaml.diagnostics);
      if (dmlYaml.diagnostics.length > 0) continue;
      const validated = validateDml(dmlYaml, diagnostics);
      if (!validated) continue;
      const { dml } = validated;
      const previous = byName.get(name);
      if (previous) {
        diagnostics.push(duplicateStep(isGlob || !entry.name ? loc : yaml.locate(["steps", index, "name"]), name, previous.relFile));
        continue;
      }
      const step: LoadedStep = {
        name,
        relFile,
        absFile: abs,
        yaml: validated.yaml ?? dmlYaml,
        dml,
        ...(validated.derivation ? { derivation: validated.derivation } : {}),
        explicitDeps: (entry.depends_on ?? []).map((d, i) => ({ name: d, index: i })),
        entryIndex: index,
        retries: entry.retries ?? workflow.defaults?.retries ?? 0,
        ...(entry.timeout_seconds ?? workflow.defaults?.timeout_seconds
          ? { timeoutSeconds: entry.timeout_seconds ?? workflow.defaults?.timeout_seconds }
          : {}),
      };
      if (step.dml.kind === "loads") step.dml.parts = loadTableParts(step, step.dml.dml);
      byName.set(name, step);
      steps.push(step);
    }
  }
  return { yaml, workflow, absFile, dir, params, steps, incomplete: diagnostics.length > errorsBefore };
}

/** Every `kind:` a DML file may have: the step kinds, and the derivations the compiler expands into transforms. */
const ALL_KINDS = [...DML_KINDS, "era", "observation_period"] as const;

interface ValidatedDml {
  dml: Dml;
  /** A derivation's file, mapping the expanded transform's paths onto what was written. */
  yaml?: YamlFile;
  derivation?: LoadedStep["derivation"];
}

/** Validates a DML document's shape by kind; a derivation kind is expanded into the transform computing it. */
function validateDml(file: YamlFile, diagnostics: Diagnostic[]): ValidatedDml | undefined {
  const value = file.value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    diagnostics.push(invalidType(file.locate([]), "the DML file", "a mapping", Array.isArray(value) ? "a list" : String(value)));
    return undefined;
  }
  const kind = (value as Record<string, unknown>).kind;
  if (kind === undefined) {
    diagnostics.push(missingField(file.locate([]), "kind", "the DML file", ALL_KINDS.join(" | ")));
    return undefined;
  }
  if (typeof kind !== "string" || !(ALL_KINDS as readonly string[]).includes(kind)) {
    diagnostics.push(unknownDmlKind(file.locate(["kind"]), String(kind), didYouMean(String(kind), ALL_KINDS)));
    return undefined;
  }
  if (kind === "era" || kind === "observation_period") {
    const schema = kind === "era" ? EraDmlSchema : ObservationPeriodDmlSchema;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      diagnostics.push(...zodIssuesToDiagnostics(file, schema, parsed.error.issues, `an ${kind} DML`));
      return undefined;
    }
    const expansion: DerivationExpansion =
      kind === "era" ? expandEra(parsed.data as z.infer<typeof EraDmlSchema>) : expandObservationPeriod(parsed.data as z.infer<typeof ObservationPeriodDmlSchema>);
    if (expansion.invalid.length > 0) {
      for (const v of expansion.invalid) diagnostics.push(invalidValue(file.locate(v.path), v.field, v.detail));
      return undefined;
    }
    return {
      dml: { kind: "transform", dml: expansion.dml },
      yaml: new MappedYamlFile(file.file, file.text, expansion.origins, expansion.fallback),
      derivation: { kind, checks: expansion.checks },
    };
  }
  // A load with `tables:` loads several tables: validated as such, so its errors speak of its own fields.
  const several = kind === "load" && "tables" in value;
  const schema = kind === "transform" ? transformSchemaFor(value) : several ? LoadTablesDmlSchema : DML_SCHEMAS[kind as keyof typeof DML_SCHEMAS];
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    diagnostics.push(...zodIssuesToDiagnostics(file, schema, parsed.error.issues, several ? "a load of several tables" : `a ${kind} DML`));
    return undefined;
  }
  return { dml: several ? ({ kind: "loads", dml: parsed.data, parts: [] } as Dml) : ({ kind, dml: parsed.data } as Dml) };
}
