import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import type { TableRef } from "../model/plan.js";
import { physicalTableClash, tableNotCreated } from "./compile-errors.js";
import type { StepIo } from "./step-io.js";
import { CDM_SCHEMAS, refKey } from "./table-catalog.js";

/**
 * Checks that every CDM or vocabulary table a step writes (or finishes with constraints/indexes) is created by a
 * ddl step of the workflow or declared `external`. Loads and transforms create the non-CDM tables they write
 * (`CREATE TABLE IF NOT EXISTS`), and a sql step declares what it writes, but CDM tables come only from the ddl
 * steps: without this check `validate` says OK and `run` fails with the engine's "table does not exist".
 *
 * Reads are not reported here: a CDM table nobody writes or creates is already UNWRITTEN_TABLE at the reader, and
 * one that is written but not created is reported once at each writer, where the fix (a ddl step) applies.
 */
export function checkTableCreation(ios: readonly StepIo[], external: ReadonlySet<string>, diagnostics: Diagnostic[]): void {
  const created = new Set<string>();
  for (const io of ios) for (const c of io.creates) created.add(refKey(c.ref));
  const report = (ref: TableRef, location: SourceLocation, verb: "written" | "finished") => {
    if (!CDM_SCHEMAS.has(ref.schema)) return;
    const key = refKey(ref);
    if (!created.has(key) && !external.has(key)) diagnostics.push(tableNotCreated(location, key, verb));
  };
  for (const io of ios) {
    for (const w of io.writes) report(w.ref, w.location, "written");
    for (const f of io.finishes) report(f.ref, f.location, "finished");
  }
}

/**
 * Two logical tables that land on one physical table (e.g. `schemas: { source: raw, staging: raw }` with both
 * `source.visits` and `staging.visits`) would overwrite each other's rows without any error: reported at the first
 * use of the second name. `extra` lists tables the plan touches outside the steps' reads and writes (the id map).
 */
export function checkPhysicalClashes(
  ios: readonly StepIo[],
  schemaMap: Readonly<Record<string, string>>,
  extra: readonly TableRef[],
  diagnostics: Diagnostic[],
): void {
  const byPhysical = new Map<string, { logical: string; location?: SourceLocation }[]>();
  const add = (ref: TableRef, location?: SourceLocation) => {
    const physical = `${schemaMap[ref.schema] ?? ref.schema}.${ref.name}`;
    const logical = refKey(ref);
    const list = byPhysical.get(physical);
    if (!list) byPhysical.set(physical, [{ logical, ...(location ? { location } : {}) }]);
    else if (!list.some((e) => e.logical === logical)) list.push({ logical, ...(location ? { location } : {}) });
  };
  for (const ref of extra) add(ref);
  for (const io of ios) for (const u of [...io.creates, ...io.writes, ...io.finishes, ...io.reads]) add(u.ref, u.location);
  for (const [physical, list] of byPhysical) {
    if (list.length < 2) continue;
    const first = list[0]!;
    for (const other of list.slice(1)) {
      const at = other.location ?? first.location;
      if (at) diagnostics.push(physicalTableClash(at, other.logical, first.logical, physical));
    }
  }
}
