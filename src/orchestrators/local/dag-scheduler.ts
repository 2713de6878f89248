/**
 * The local orchestrator's scheduling core, free of databases: starts each step as soon as every step it depends on
 * is done, at most `concurrency` at a time, in plan order among the ready ones. A failed step marks everything
 * downstream of it skipped while independent branches go on. Aborting stops new starts; running steps are left to
 * wind down by themselves.
 */

/** A node of the DAG. */
export interface DagNode {
  name: string;
  dependsOn: readonly string[];
}

/** How one node ended. */
export type NodeOutcome = "succeeded" | "failed" | "cancelled";

export interface ScheduleOptions<N extends DagNode> {
  /** Nodes to run, in plan order (ties among ready nodes start in this order). */
  nodes: readonly N[];
  /** Names that count as done already (reused, or outside the selection). */
  satisfied: ReadonlySet<string>;
  concurrency: number;
  signal: AbortSignal;
  run: (node: N) => Promise<NodeOutcome>;
  /** A node will not run because `dependency` (a failed node upstream) failed. */
  onSkip: (node: N, dependency: string) => Promise<void>;
  /** A node never started because the run was aborted. */
  onNotStarted: (node: N) => Promise<void>;
}

/**
 * Runs the DAG to completion. Resolves when every node has succeeded, failed, been skipped or (after an abort) been
 * left unstarted; rejects if `run`/`onSkip`/`onNotStarted` rejects (after letting running nodes finish).
 */
export async function scheduleDag<N extends DagNode>(o: ScheduleOptions<N>): Promise<void> {
  const byName = new Map(o.nodes.map((n) => [n.name, n] as const));
  const dependents = new Map<string, N[]>();
  for (const n of o.nodes) {
    for (const d of n.dependsOn) {
      if (!byName.has(d)) continue;
      const list = dependents.get(d) ?? [];
      list.push(n);
      dependents.set(d, list);
    }
  }
  const done = new Set(o.satisfied);
  const pending = new Set(o.nodes.map((n) => n.name));
  const running = new Map<string, Promise<void>>();
  let failure: unknown;
  let failed = false;

  const isReady = (n: N) => n.dependsOn.every((d) => done.has(d) || !byName.has(d));

  /** Marks everything downstream of `root` skipped (once each), naming `root` as the reason. */
  const skipDownstream = async (root: string) => {
    const stack = [...(dependents.get(root) ?? [])];
    while (stack.length) {
      const n = stack.pop()!;
      if (!pending.has(n.name)) continue;
      pending.delete(n.name);
      await o.onSkip(n, root);
      stack.push(...(dependents.get(n.name) ?? []));
    }
  };

  const start = (n: N) => {
    pending.delete(n.name);
    const p = (async () => {
      const outcome = await o.run(n);
      if (outcome === "succeeded") done.add(n.name);
      else if (outcome === "failed") await skipDownstream(n.name);
    })()
      .catch((e: unknown) => {
        if (!failed) {
          failed = true;
          failure = e;
        }
      })
      .finally(() => running.delete(n.name));
    running.set(n.name, p);
  };

  for (;;) {
    if (!o.signal.aborted && !failed) {
      for (const n of o.nodes) {
        if (running.size >= o.concurrency) break;
        if (pending.has(n.name) && isReady(n)) start(n);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (failed) throw failure;
  // Whatever is left never started: the run was aborted (or a dependency was cancelled by the abort).
  for (const n of o.nodes) if (pending.has(n.name)) await o.onNotStarted(n);
}
