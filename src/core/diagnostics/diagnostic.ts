/** A position in a source file. Lines and columns are 1-based, as editors show them. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  /** Optional end of the span, for code frames and editors. */
  endLine?: number;
  endColumn?: number;
}

export type Severity = "error" | "warning";

/** One finding of validation. Validation collects them all; it never throws for user errors. */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  location?: SourceLocation;
  /** A concrete fix the user can apply ("Did you mean ...", "add ..."). */
  hint?: string;
}

/** Thrown by I/O and configuration code, which fails fast (validation collects instead). */
export class OmopetlError extends Error {
  readonly diagnostic: Diagnostic;
  /** 1 for diagnostics about user files, 2 for usage/configuration errors. */
  readonly exitCode: number;
  constructor(diagnostic: Diagnostic, exitCode = 2) {
    super(formatShort(diagnostic));
    this.name = "OmopetlError";
    this.diagnostic = diagnostic;
    this.exitCode = exitCode;
  }
}

function formatShort(d: Diagnostic): string {
  const loc = d.location ? `${d.location.file}:${d.location.line}:${d.location.column} ` : "";
  return `${loc}${d.severity} ${d.code}: ${d.message}${d.hint ? ` ${d.hint}` : ""}`;
}

/** Stable order: file, line, column, code, message — so output is deterministic. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const fa = a.location?.file ?? "";
  const fb = b.location?.file ?? "";
  if (fa !== fb) return fa < fb ? -1 : 1;
  const la = a.location?.line ?? 0;
  const lb = b.location?.line ?? 0;
  if (la !== lb) return la - lb;
  const ca = a.location?.column ?? 0;
  const cb = b.location?.column ?? 0;
  if (ca !== cb) return ca - cb;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}
