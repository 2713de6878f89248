import { Graph, alg } from "@dagrejs/graphlib";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import {
  dependencyCycle,
  idDomainUnknown,
  rebuildConflict,
  sliceConflict,
  selfDependency,
  unknownStep,
  unwrittenTable,
} from "./compile-errors.js";
import type { YamlFile } from "../yaml/yaml-file.js";
import type { StepIo } from "./step-io.js";
import { refKey } from "./table-catalog.js";

export interface Dag {
  /** Step names in execution order: by level, then by name (deterministic). */
  order: string[];
  level: Map<string, number>;
  dependsOn: Map<string, string[]>;
}

/**
 * Builds the step graph from explicit depends_on plus what steps read and write, and checks it:
 * unknown steps, cycles (with their path), tables nobody writes, conflicting writers.
 */
export function buildDag(ios: StepIo[], workflowYaml: YamlFile, external: ReadonlySet<string>, diagnostics: Diagnostic[], incomplete = false): Dag | undefined {
  const g = new Graph({ directed: true });
  const names = ios.map((io) => io.step.name);
  for (const n of names) g.setNode(n);
  const writers = new Map<string, StepIo[]>();
  const creators = new Map<string, StepIo[]>();
  for (const io of ios) {
    for (const w of io.writes) push(writers, refKey(w.ref), io);
    for (const c of io.creates) push(creators, refKey(c.ref), io);
  }
  // Edges are collected first and handed to graphlib once each: a step reads a table several times (a lookup joins
  // concept twice), and graphlib's setEdge is what a 10,000-step compile spent most of its DAG time in.
  const edges = new Map<string, Set<string>>();
  const edge = (from: string, to: string) => {
    if (from === to) return;
    const tos = edges.get(from);
    if (tos) tos.add(to);
    else edges.set(from, new Set([to]));
  };

  for (const io of ios) {
    const name = io.step.name;
    for (const dep of io.step.explicitDeps) {
      const at = workflowYaml.locate(["steps", io.step.entryIndex, "depends_on", dep.index]);
      if (dep.name === name) diagnostics.push(selfDependency(at, name));
      else if (!g.hasNode(dep.name)) diagnostics.push(unknownStep(at, dep.name, didYouMean(dep.name, names)));
      else edge(dep.name, name);
    }
    for (const r of io.reads) {
      const key = refKey(r.ref);
      const ws = (writers.get(key) ?? []).filter((w) => w !== io);
      const cs = creators.get(key) ?? [];
      if (!incomplete && ws.length === 0 && cs.length === 0 && !external.has(key) && !(writers.get(key) ?? []).includes(io)) {
        diagnostics.push(unwrittenTable(r.location, key));
      }
      for (const w of ws) edge(w.step.name, name);
      for (const c of cs) edge(c.step.name, name);
    }
    for (const w of io.writes) for (const c of creators.get(refKey(w.ref)) ?? []) edge(c.step.name, name);
    for (const f of io.finishes) {
      const key = refKey(f.ref);
      for (const w of writers.get(key) ?? []) edge(w.step.name, name);
      for (const c of creators.get(key) ?? []) edge(c.step.name, name);
    }
  }

  checkWriters(writers, diagnostics);

  // Several steps may assign ids in one domain (e.g. measurement rows from observations and from procedures share
  // measurement_id's space). They are chained in name order: new ids are max(id) + n, so two assigners running at
  // once could hand out the same id, and a fixed order makes the ids the same on every engine and every run.
  const assigners = new Map<string, StepIo[]>();
  for (const io of ios) for (const a of io.idAssigns) if (!(assigners.get(a.domain) ?? []).includes(io)) push(assigners, a.domain, io);
  for (const list of assigners.values()) {
    const sorted = [...list].sort((a, b) => (a.step.name < b.step.name ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) edge(sorted[i - 1]!.step.name, sorted[i]!.step.name);
  }
  for (const io of ios) {
    for (const r of io.idReads) {
      const list = assigners.get(r.domain);
      if (!list) diagnostics.push(idDomainUnknown(r.location, r.domain, didYouMean(r.domain, assigners.keys())));
      else for (const a of list) edge(a.step.name, io.step.name);
    }
  }

  for (const [from, tos] of edges) for (const to of tos) g.setEdge(from, to);

  // Kahn's algorithm, iterative: graphlib's isAcyclic/topsort recurse once per step of a dependency chain and
  // overflowed the stack on a chain of ~10,000 steps (e.g. many merge steps into one table).
  const topo = topologicalOrder(names, edges);
  if (topo === undefined) {
    for (const cycle of cyclePaths(g)) {
      const first = ios.find((io) => io.step.name === cycle[0])!;
      diagnostics.push(dependencyCycle(first.step.yaml.locate([]), cycle));
    }
    return undefined;
  }

  const level = new Map<string, number>();
  const dependsOn = new Map<string, string[]>();
  for (const n of topo) {
    const preds = ((g.predecessors(n) ?? []) as string[]).sort();
    dependsOn.set(n, preds);
    let l = 0;
    for (const p of preds) l = Math.max(l, level.get(p)! + 1);
    level.set(n, l);
  }
  const order = [...names].sort((a, b) => level.get(a)! - level.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
  return { order, level, dependsOn };
}

/** A topological order of `names` under `edges` (from -> tos), or undefined when there is a cycle. */
function topologicalOrder(names: Iterable<string>, edges: Map<string, Set<string>>): string[] | undefined {
  const indegree = new Map<string, number>();
  for (const n of names) indegree.set(n, 0);
  for (const tos of edges.values()) for (const t of tos) indegree.set(t, (indegree.get(t) ?? 0) + 1);
  const order: string[] = [];
  for (const [n, d] of indegree) if (d === 0) order.push(n);
  for (let i = 0; i < order.length; i++) {
    for (const t of edges.get(order[i]!) ?? []) {
      const d = indegree.get(t)! - 1;
      indegree.set(t, d);
      if (d === 0) order.push(t);
    }
  }
  return order.length === indegree.size ? order : undefined;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V) {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Two writers of one table must not step on each other: rebuild owns a table; replace steps need distinct slices. */
function checkWriters(writers: Map<string, StepIo[]>, diagnostics: Diagnostic[]) {
  for (const [table, ws] of writers) {
    if (ws.length < 2) continue;
    const rebuild = ws.find((w) => w.mode === "rebuild");
    if (rebuild) {
      const other = ws.find((w) => w !== rebuild)!;
      diagnostics.push(rebuildConflict(rebuild.writes[0]!.location, table, other.step.name));
      continue;
    }
    const replaces = ws.filter((w) => w.mode === "replace" || w.mode === "load");
    for (let i = 1; i < replaces.length; i++) {
      for (let j = 0; j < i; j++) {
        const a = replaces[i]!;
        const b = replaces[j]!;
        if (a.slice === undefined || b.slice === undefined) {
          diagnostics.push(sliceConflict(a.writes[0]!.location, table, b.step.name, "all rows"));
        } else if (a.slice.replace(/\s+/g, " ").toLowerCase() === b.slice.replace(/\s+/g, " ").toLowerCase()) {
          diagnostics.push(sliceConflict(a.writes[0]!.location, table, b.step.name, `the same slice (${a.slice})`));
        }
      }
    }
  }
}

/** One readable path per strongly connected component, e.g. ["a", "b", "a"]. */
function cyclePaths(g: Graph): string[][] {
  const out: string[][] = [];
  for (const scc of alg.findCycles(g) as string[][]) {
    const members = new Set(scc);
    const start = [...scc].sort()[0]!;
    // BFS from start back to start inside the component gives the shortest cycle through it.
    const prev = new Map<string, string>();
    const queue = [start];
    let found = false;
    while (queue.length > 0 && !found) {
      const n = queue.shift()!;
      for (const s of ((g.successors(n) ?? []) as string[]).slice().sort()) {
        if (!members.has(s)) continue;
        if (s === start) {
          prev.set(start, n);
          found = true;
          break;
        }
        if (!prev.has(s)) {
          prev.set(s, n);
          queue.push(s);
        }
      }
    }
    const path = [start];
    let cur = prev.get(start)!;
    while (cur !== start) {
      path.unshift(cur);
      cur = prev.get(cur)!;
    }
    path.unshift(start);
    out.push(path);
  }
  return out.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}
