import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import type { LoadDml, LoadTablesDml } from "../model/dml-schema.js";
import type { YamlFile, YamlPath } from "../yaml/yaml-file.js";
import { invalidValue, rejectsInSeveralTables } from "./compile-errors.js";
import type { LoadedStep } from "./load-workflow.js";

/** The step-level fields a table of a load of several tables inherits when it does not set them. */
const INHERITED = ["format", "missing_columns", "on_error"] as const;

/**
 * The tables of a load of several tables, each as a load of its own: the step's `format` merged under the table's
 * (field by field), its `missing_columns` and `on_error` where the table sets none. Each part reads the same YAML
 * file through a view that locates a path inside the table's entry (`tables[i]`) when the entry writes it, and at
 * the step's own field when the value is inherited — so every load diagnostic points where the value was written.
 */
export function loadTableParts(step: LoadedStep, dml: LoadTablesDml): LoadedStep[] {
  return dml.tables.map((table, i) => {
    const own = new Set(Object.keys(table));
    const format = dml.format || table.format ? { ...dml.format, ...table.format } : undefined;
    const merged = {
      kind: "load",
      ...(dml.description !== undefined ? { description: dml.description } : {}),
      ...table,
      ...(format ? { format } : {}),
      ...(table.missing_columns === undefined && dml.missing_columns !== undefined ? { missing_columns: dml.missing_columns } : {}),
      ...(table.on_error === undefined && dml.on_error !== undefined ? { on_error: dml.on_error } : {}),
    } as LoadDml;
    const inEntry = (path: YamlPath): boolean => {
      const head = path[0];
      if (typeof head !== "string" || !(INHERITED as readonly string[]).includes(head)) return true;
      if (!own.has(head)) return false;
      // A format field the entry does not set comes from the step's format.
      if (head === "format" && typeof path[1] === "string") return table.format?.[path[1] as keyof NonNullable<LoadDml["format"]>] !== undefined;
      return true;
    };
    return { ...step, yaml: scopedYaml(step.yaml, ["tables", i], inEntry), dml: { kind: "load", dml: merged } };
  });
}

/**
 * A view of `file` for one entry of a list: paths are located under `prefix` when `inEntry` says the entry writes
 * them, at the document's top level otherwise. Everything else (file name, text, value) is the file's own.
 */
function scopedYaml(file: YamlFile, prefix: YamlPath, inEntry: (path: YamlPath) => boolean): YamlFile {
  const map = (path: YamlPath): YamlPath => (inEntry(path) ? [...prefix, ...path] : path);
  const view = Object.create(file) as YamlFile;
  view.locate = (path: YamlPath, which?: "value" | "key"): SourceLocation => file.locate(map(path), which);
  view.locateInScalar = (path: YamlPath, offset: number): SourceLocation => file.locateInScalar(map(path), offset);
  return view;
}

/**
 * What a load of several tables cannot say: one table twice (the second load would silently replace the first), or
 * `on_error: reject` (its report counts one rejects table per step). Reported at the entry; false after reporting.
 */
export function checkLoadTables(step: LoadedStep, dml: LoadTablesDml, diagnostics: Diagnostic[]): boolean {
  let ok = true;
  const seen = new Map<string, number>();
  for (const [i, t] of dml.tables.entries()) {
    const key = t.target.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      diagnostics.push(invalidValue(step.yaml.locate(["tables", i, "target"]), "target", `"${t.target}" is already loaded by table ${first + 1} of this step (a second load would replace the first one's rows)`));
      ok = false;
    } else seen.set(key, i);
    const reject = (t.on_error ?? dml.on_error) === "reject";
    if (reject) {
      const at = t.on_error !== undefined ? ["tables", i, "on_error"] : ["on_error"];
      diagnostics.push(rejectsInSeveralTables(step.yaml.locate(at)));
      ok = false;
    }
  }
  return ok;
}
