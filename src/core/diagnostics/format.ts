import type { Diagnostic } from "./diagnostic.js";
import { boundMessage, cutText, escapeControl, moreCharacters } from "./safe-text.js";

/** Reads a file's text for code frames; returns undefined when it is not available. */
export type SourceReader = (file: string) => string | undefined;

/**
 * `file:line:col severity CODE: message hint`, followed (when the source is available) by a code frame:
 * two lines of context and a caret under the offending span. Everything that came from a file is printed bounded and
 * with control characters escaped (see safe-text.ts), so the output of one diagnostic stays a few kilobytes.
 */
export function formatDiagnostic(d: Diagnostic, readSource?: SourceReader, color = false): string {
  const c = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const loc = d.location ? `${boundMessage(d.location.file)}:${d.location.line}:${d.location.column} ` : "";
  const sev = d.severity === "error" ? c("31", "error") : c("33", "warning");
  let out = `${loc}${sev} ${d.code}: ${boundMessage(d.message)}${d.hint ? ` ${boundMessage(d.hint)}` : ""}`;
  const text = d.location && readSource ? readSource(d.location.file) : undefined;
  if (d.location && text !== undefined) out += `\n${codeFrame(text, d.location.line, d.location.column, d.location.endLine, d.location.endColumn)}`;
  return out;
}

/** How many characters of a source line a code frame shows (around the caret on the offending line). */
export const FRAME_WIDTH = 160;

let cachedText: string | undefined;
let cachedStarts: number[] = [];

/** Offsets where each line of `text` starts; remembered for the last text (many diagnostics point into one file). */
function lineStarts(text: string): number[] {
  if (text !== cachedText) {
    const starts = [0];
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
    cachedText = text;
    cachedStarts = starts;
  }
  return cachedStarts;
}

/** Line `n` (1-based) without its line break, or "" past the end. */
function lineOf(text: string, n: number): string {
  const starts = lineStarts(text);
  const start = starts[n - 1];
  if (start === undefined) return "";
  const next = starts[n];
  const end = next === undefined ? text.length : next - 1;
  return text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
}

/** A Rollup-style frame: numbered lines around `line`, with ^ marking the column (or the span on that line). */
export function codeFrame(text: string, line: number, column: number, endLine?: number, endColumn?: number): string {
  const count = lineStarts(text).length;
  const from = Math.max(1, line - 2);
  const to = Math.min(count, line + 1);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    const raw = lineOf(text, n).replace(/\t/g, " ");
    if (n !== line) {
      out.push(`  ${String(n).padStart(width)} | ${escapeControl(cutText(raw, FRAME_WIDTH))}`);
      continue;
    }
    // The offending line: a window of FRAME_WIDTH characters around the column, the caret moved with it.
    const col = Math.max(0, column - 1);
    const start = Math.max(0, Math.min(col - FRAME_WIDTH / 2, raw.length - FRAME_WIDTH));
    const end = Math.min(raw.length, start + FRAME_WIDTH);
    const lead = start > 0 ? `…(${start} characters) ` : "";
    const before = escapeControl(raw.slice(start, col));
    const rest = escapeControl(raw.slice(col, end));
    const tail = end < raw.length ? moreCharacters(raw.length - end) : "";
    out.push(`> ${String(n).padStart(width)} | ${lead}${before}${rest}${tail}`);
    const span = endLine === line && endColumn !== undefined && endColumn > column ? endColumn - column : 1;
    const len = tail ? Math.max(1, Math.min(span, rest.length)) : span;
    // A column past the end of the line (a missing value) keeps its place after the line's last character.
    const pad = lead.length + before.length + Math.max(0, col - raw.length);
    out.push(`  ${" ".repeat(width)} | ${" ".repeat(pad)}${"^".repeat(len)}`);
  }
  return out.join("\n");
}

/** "2 errors, 1 warning" */
export function summarize(ds: readonly Diagnostic[]): string {
  const e = ds.filter((d) => d.severity === "error").length;
  const w = ds.length - e;
  return `${e} error${e === 1 ? "" : "s"}, ${w} warning${w === 1 ? "" : "s"}`;
}
