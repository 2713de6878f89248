import type { ProfilePhase, RunResult } from "../../orchestrators/orchestrator-api.js";

const PHASES: readonly ProfilePhase[] = ["statements", "accounting", "coverage", "ledger"];

/** Seconds with two decimals. */
const s = (ms: number): string => (ms / 1000).toFixed(2);

/**
 * `run --profile` as a table: the slowest steps first (at most `top`), each step's seconds per phase and its slowest
 * statement, then the totals of every profiled step. Plain text; lines are cut at `width` characters.
 */
export function formatProfile(result: Pick<RunResult, "steps" | "durationMs">, top = 15, width = 160): string[] {
  const profiled = result.steps.filter((st) => st.profile && st.durationMs !== undefined);
  if (profiled.length === 0) return [];
  const sorted = [...profiled].sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0));
  const nameWidth = Math.min(32, Math.max(4, ...sorted.slice(0, top).map((st) => st.name.length)));
  const header = ["step".padEnd(nameWidth), "total s", ...PHASES.map((p) => p), "slowest statement"];
  const rows: string[][] = [];
  const totals: Record<string, number> = { total: 0 };
  for (const st of sorted) {
    totals["total"]! += st.durationMs ?? 0;
    for (const p of PHASES) totals[p] = (totals[p] ?? 0) + (st.profile!.phases[p] ?? 0);
  }
  for (const st of sorted.slice(0, top)) {
    const slowest = st.profile!.statements.filter((x) => x.phase === "statements").reduce<{ sql: string; ms: number } | undefined>((a, b) => (!a || b.ms > a.ms ? b : a), undefined);
    rows.push([
      st.name.length > nameWidth ? `${st.name.slice(0, nameWidth - 1)}…` : st.name.padEnd(nameWidth),
      s(st.durationMs ?? 0),
      ...PHASES.map((p) => s(st.profile!.phases[p] ?? 0)),
      slowest ? `${s(slowest.ms)} s ${slowest.sql}` : "",
    ]);
  }
  const allName = `all ${profiled.length} step${profiled.length === 1 ? "" : "s"}`;
  rows.push([allName.padEnd(nameWidth), s(totals["total"]!), ...PHASES.map((p) => s(totals[p] ?? 0)), `run ${s(result.durationMs)} s in all`]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .slice(0, width);
  return [
    `profile: the ${Math.min(top, profiled.length)} slowest of ${profiled.length} steps, seconds per phase (statements: the step's own SQL; accounting: row counts; coverage: lookup reports; ledger: run bookkeeping)`,
    line(header),
    ...rows.map(line),
  ];
}
