import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { unmappedConflict } from "./compile-errors.js";
import type { LoadedStep } from "./load-workflow.js";
import { isSubSelectName, parseFrom, selectsOf } from "./step-io.js";

/** One lookup that routes by domain and keeps the unmapped rows of its source. */
interface Keeper {
  step: LoadedStep;
  lookup: string;
  path: (string | number)[];
}

const normalize = (s: string): string => s.replace(/\s+/g, " ").trim().toLowerCase();

/**
 * A source routed by domain must land in exactly one table: each domain step (a lookup with `domain:`) takes the rows
 * whose standard concept is in its domain, and the unmapped rows (concept 0, no domain) go wherever
 * `keep_unmapped` is left true. When two steps read the same table through the same code and vocabularies, with the
 * same `where`, and both keep the unmapped rows, every unmapped code is written twice (a condition *and* an
 * observation): UNMAPPED_CONFLICT at each step after the first. Steps whose `where` differ may split the rows between
 * them and are not compared.
 */
export function checkUnmappedRouting(steps: readonly LoadedStep[], diagnostics: Diagnostic[]): void {
  const groups = new Map<string, Keeper[]>();
  for (const step of steps) {
    for (const { select, path } of selectsOf(step)) {
      const from = parseFrom(select.from);
      // A sub-select's name means nothing outside its step: rows read through one are not compared.
      if (!from || isSubSelectName(from.table)) continue;
      for (const [name, l] of Object.entries(select.lookups ?? {})) {
        if (!l.domain || l.keep_unmapped === false) continue;
        const vocabularies = (Array.isArray(l.vocabulary) ? l.vocabulary : [l.vocabulary]).map((v) => v.toLowerCase()).sort();
        const where = typeof select.where === "string" ? normalize(select.where) : select.where === undefined ? "" : JSON.stringify(select.where);
        const code = typeof l.code === "string" ? normalize(l.code) : JSON.stringify(l.code);
        const alias = from.alias ?? from.table;
        // The code is compared with the from alias replaced, so `d.code` and `dx.code` over one table match.
        const key = JSON.stringify([from.table.toLowerCase(), code.replaceAll(`${alias.toLowerCase()}.`, "<from>."), vocabularies, where.replaceAll(`${alias.toLowerCase()}.`, "<from>.")]);
        const list = groups.get(key) ?? [];
        list.push({ step, lookup: name, path: [...path, "lookups", name] });
        groups.set(key, list);
      }
    }
  }
  for (const keepers of groups.values()) {
    const steps = [...new Set(keepers.map((k) => k.step))];
    if (steps.length < 2) continue;
    const first = keepers[0]!;
    const firstAt = first.step.yaml.locate(first.path, "key");
    for (const k of keepers.slice(1)) {
      if (k.step === first.step) continue;
      diagnostics.push(unmappedConflict(k.step.yaml.locate(k.path, "key"), k.lookup, k.step.name, first.lookup, first.step.name, `${firstAt.file}:${firstAt.line}:${firstAt.column}`));
    }
  }
}
