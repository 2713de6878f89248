import { boundMessage } from "../../core/diagnostics/safe-text.js";
import { coverageLines } from "./coverage-format.js";
import type { RowReason, RunEvent, RunResult, StepRows } from "../../orchestrators/orchestrator-api.js";

/** ANSI styling, or none. */
export interface Style {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
export const COLOR: Style = { green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), cyan: wrap(36, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
export const PLAIN: Style = { green: (s) => s, red: (s) => s, yellow: (s) => s, cyan: (s) => s, dim: (s) => s, bold: (s) => s };

/** 0.01s, 3.4s, 2m05s, 1h02m */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

const n = (x: number) => x.toLocaleString("en-US");

/** "27 inserted", "27 merged · 3 deleted (source gone)", "" when the driver reported nothing. */
export function formatRows(rows: StepRows): string {
  const parts: string[] = [];
  if (rows.read !== undefined) parts.push(`${n(rows.read)} read`);
  if (rows.affected !== undefined && rows.verb) parts.push(`${n(rows.affected)} ${rows.verb}`);
  else if (rows.affected !== undefined) parts.push(`${n(rows.affected)} rows`);
  // A merge's rows whose source is gone are named as such; other deletes (a replace's slice) stay plain.
  const plainDeleted = (rows.deleted ?? 0) - (rows.sourceGone ?? 0);
  if (rows.verb !== "deleted" && plainDeleted > 0) parts.push(`${n(plainDeleted)} deleted`);
  if (rows.sourceGone) parts.push(`${n(rows.sourceGone)} deleted (source gone)`);
  if (rows.verb !== "updated" && rows.updated) parts.push(`${n(rows.updated)} updated`);
  if (rows.notWritten?.length || rows.added?.length) {
    // Counted per reason: only reasons that removed (or added) rows are named.
    if (rows.notWritten?.length) parts.push(`${n(sumRows(rows.notWritten))} not written (${formatReasons(rows.notWritten)})`);
    if (rows.added?.length) parts.push(`${n(sumRows(rows.added))} added (${formatReasons(rows.added)})`);
  } else if (rows.filtered) parts.push(`${n(rows.filtered)} not written${rows.filters?.length ? ` (${rows.filters.join("; ")})` : ""}`);
  return parts.join(" · ");
}

/** A load with `on_error: reject`: "  3 rows rejected -> src.claims_rejects (4 values)", every run, 0 included. */
export function rejectedLines(rows: StepRows, style: Style): string[] {
  const r = rows.rejected;
  if (!r) return [];
  const text = `  ${n(r.rows)} row${r.rows === 1 ? "" : "s"} rejected -> ${r.table}${r.values !== r.rows ? ` (${n(r.values)} values)` : ""}`;
  return [r.rows > 0 ? style.yellow(text) : style.dim(text)];
}

const sumRows = (reasons: readonly RowReason[]) => reasons.reduce((a, r) => a + r.rows, 0);

/** "no match in inner join cdm.person per: 3; where x > 1: 2", union branches named. */
export function formatReasons(reasons: readonly RowReason[]): string {
  return reasons.map((r) => `${r.branch !== undefined ? `branch ${r.branch}: ` : ""}${r.reason}: ${n(r.rows)}`).join("; ");
}

/** First line of a message, and the rest (for indenting below it). */
export function splitMessage(message: string): { first: string; rest: string[] } {
  // Engine errors echo data (a value with ESC or BEL in it): each line is printed bounded and escaped.
  const lines = message.split(/\r?\n/, 200);
  return { first: boundMessage(lines[0] ?? ""), rest: lines.slice(1).filter((l) => l.trim() !== "").map(boundMessage) };
}

/** Lines for one event in plain/TTY output, or none for events that print nothing. */
export function eventLines(e: RunEvent, style: Style, options: { resumeCommand?: string } = {}): string[] {
  switch (e.type) {
    case "run-start": {
      const head = `${e.dryRun ? "dry run" : "run"} ${e.runId} · ${e.workflow} · ${e.target} · ${e.steps.length} step${e.steps.length === 1 ? "" : "s"}${e.dryRun ? "" : ` · concurrency ${e.concurrency}`}`;
      const lines = [style.bold(head)];
      if (e.resumedFrom) lines.push(style.dim(`↺ resuming run ${e.resumedFrom}: ${e.reused.length} step${e.reused.length === 1 ? "" : "s"} reused, ${e.steps.length} to run`));
      return lines;
    }
    case "step-start":
      // The outcome line says it all; a live view shows running steps itself.
      return [];
    case "step-retry": {
      const { first } = splitMessage(e.error);
      return [style.yellow(`↻ ${e.step} attempt ${e.attempt}/${e.maxAttempts} failed, retrying in ${formatDuration(e.delayMs)}: ${first}`)];
    }
    case "step-success": {
      const rows = formatRows(e.rows);
      const attempts = e.attempts > 1 ? `  ${style.dim(`(attempt ${e.attempts})`)}` : "";
      return [`${style.green("✔")} ${e.step}${rows ? `  ${rows}` : ""}  ${style.dim(formatDuration(e.durationMs))}${attempts}`, ...rejectedLines(e.rows, style), ...coverageLines(e.coverage, style)];
    }
    case "step-failure": {
      const { first, rest } = splitMessage(e.error);
      const lines = [`${style.red("✖")} ${e.step} failed: ${first} ${style.dim(`(attempt ${e.attempts}/${e.maxAttempts}${e.transient ? ", transient" : ""})`)}`];
      for (const l of rest.slice(0, 12)) lines.push(style.dim(`    ${l}`));
      if (rest.length > 12) lines.push(style.dim(`    ... (${rest.length - 12} more lines)`));
      // The step's DML file: where the failing SQL came from, so the reader knows which file to open.
      if (e.file) lines.push(style.dim(`    in ${e.file}`));
      return lines;
    }
    case "step-skip":
      return [`${style.yellow("↷")} ${e.step} skipped ${style.dim(`(depends on ${e.dependency})`)}`];
    case "step-reuse":
      return [];
    case "step-cancel":
      return e.started ? [`${style.yellow("⊘")} ${e.step} interrupted ${style.dim("(rolled back)")}`] : [];
    case "statement":
      return [];
    case "warning":
      return [style.yellow(`warning: ${boundMessage(e.message)}`)];
    case "run-end":
      return [summaryLine(e.result, style, options.resumeCommand)];
  }
}

/** `40 ok · 1 failed · 1 skipped · 3.4s    resume with: omopetl run ... --resume` */
export function summaryLine(r: RunResult, style: Style, resumeCommand?: string): string {
  if (r.dryRun) return style.dim(`dry run: ${r.steps.length - r.totals.reused} step${r.steps.length - r.totals.reused === 1 ? "" : "s"}, nothing executed`);
  const t = r.totals;
  const parts = [style.green(`${t.succeeded} ok`)];
  if (t.failed) parts.push(style.red(`${t.failed} failed`));
  if (t.skipped) parts.push(style.yellow(`${t.skipped} skipped`));
  if (t.reused) parts.push(`${t.reused} reused`);
  if (t.cancelled) parts.push(style.yellow(`${t.cancelled} not run`));
  if (t.rowsAffected) parts.push(`${n(t.rowsAffected)} rows`);
  parts.push(formatDuration(r.durationMs));
  let line = (r.status === "interrupted" ? `${style.yellow("interrupted")} · ` : "") + parts.join(" · ");
  if (r.status !== "succeeded" && resumeCommand) line += `    ${style.dim("resume with:")} ${resumeCommand}`;
  return line;
}

/** A dry run's statement as a SQL script fragment (a header comment before each step's first statement). */
export function statementText(e: Extract<RunEvent, { type: "statement" }>): string {
  const head = e.index === 0 ? `-- step ${e.step}: ${e.count} statement${e.count === 1 ? "" : "s"}${e.transactional && e.count > 1 ? " in one transaction" : ""}\n` : "";
  const sql = e.sql.trimEnd();
  const isComment = sql.split("\n").every((l) => l.trim() === "" || l.trim().startsWith("--"));
  return `${head}${isComment ? sql : `${sql};`}\n${e.index === e.count - 1 ? "\n" : ""}`;
}
