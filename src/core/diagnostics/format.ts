import type { Diagnostic } from "./diagnostic.js";

/** Reads a file's text for code frames; returns undefined when it is not available. */
export type SourceReader = (file: string) => string | undefined;

/**
 * `file:line:col severity CODE: message hint`, followed (when the source is available) by a code frame:
 * two lines of context and a caret under the offending span.
 */
export function formatDiagnostic(d: Diagnostic, readSource?: SourceReader, color = false): string {
  const c = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const loc = d.location ? `${d.location.file}:${d.location.line}:${d.location.column} ` : "";
  const sev = d.severity === "error" ? c("31", "error") : c("33", "warning");
  let out = `${loc}${sev} ${d.code}: ${d.message}${d.hint ? ` ${d.hint}` : ""}`;
  const text = d.location && readSource ? readSource(d.location.file) : undefined;
  if (d.location && text !== undefined) out += `\n${codeFrame(text, d.location.line, d.location.column, d.location.endLine, d.location.endColumn)}`;
  return out;
}

/** A Rollup-style frame: numbered lines around `line`, with ^ marking the column (or the span on that line). */
export function codeFrame(text: string, line: number, column: number, endLine?: number, endColumn?: number): string {
  const lines = text.split(/\r?\n/);
  const from = Math.max(1, line - 2);
  const to = Math.min(lines.length, line + 1);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    const src = (lines[n - 1] ?? "").replace(/\t/g, " ");
    out.push(`${n === line ? ">" : " "} ${String(n).padStart(width)} | ${src}`);
    if (n === line) {
      const len = endLine === line && endColumn !== undefined && endColumn > column ? endColumn - column : 1;
      out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, column - 1))}${"^".repeat(len)}`);
    }
  }
  return out.join("\n");
}

/** "2 errors, 1 warning" */
export function summarize(ds: readonly Diagnostic[]): string {
  const e = ds.filter((d) => d.severity === "error").length;
  const w = ds.length - e;
  return `${e} error${e === 1 ? "" : "s"}, ${w} warning${w === 1 ? "" : "s"}`;
}
