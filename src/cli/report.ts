import path from "node:path";
import { OmopetlError, type Diagnostic } from "../core/diagnostics/diagnostic.js";
import { formatDiagnostic, summarize } from "../core/diagnostics/format.js";
import { readTextFile } from "../core/files/read-text-file.js";
import { boundMessage } from "../core/diagnostics/safe-text.js";
import type { CompileNote } from "../core/compile/compile-workflow.js";

const useColor = () => process.stderr.isTTY && !process.argv.includes("--no-color") && !process.env.NO_COLOR;

/** Most diagnostics printed by one command. */
export const MAX_PRINTED = 100;
/** Characters of diagnostics printed before the rest are only counted. */
export const PRINT_BUDGET = 40_000;

/** Prints diagnostics with code frames to stderr; returns the exit code (1 when any is an error). */
export function reportDiagnostics(ds: readonly Diagnostic[], cwd = process.cwd()): number {
  const cache = new Map<string, string | undefined>();
  const read = (file: string) => {
    if (!cache.has(file)) {
      // The same guarded read as the compiler's: a code frame never blocks on a FIFO or reads a device.
      const r = readTextFile(path.resolve(cwd, file), { shown: file });
      cache.set(file, r.ok ? r.text : undefined);
    }
    return cache.get(file);
  };
  // Bounded: at most MAX_PRINTED diagnostics and about PRINT_BUDGET characters, then a count of the rest. A generated
  // file with a million mistakes must not print gigabytes (nor overflow a pipe's buffer); the first ones are enough.
  let printed = 0;
  let used = 0;
  for (const d of ds) {
    if (printed >= MAX_PRINTED || used >= PRINT_BUDGET) break;
    const text = formatDiagnostic(d, read, useColor()) + "\n\n";
    process.stderr.write(text);
    used += text.length;
    printed++;
  }
  if (printed < ds.length) process.stderr.write(`… and ${ds.length - printed} more (not shown).\n`);
  if (ds.length > 0) process.stderr.write(summarize(ds) + "\n");
  return ds.some((d) => d.severity === "error") ? 1 : 0;
}

/** Most notes printed by one command (a generated workflow may have many loads). */
const MAX_NOTES = 50;

/**
 * Prints the compiler's notes (`note: dml/x.yaml: ...`, e.g. a load's ignored header columns) to stderr: facts the
 * user should see once, not problems (no exit code, never errors under --strict).
 */
export function reportNotes(notes: readonly CompileNote[] | undefined): void {
  if (!notes?.length) return;
  for (const n of notes.slice(0, MAX_NOTES)) process.stderr.write(`note: ${boundMessage(n.file)}: ${boundMessage(n.message)}\n`);
  if (notes.length > MAX_NOTES) process.stderr.write(`… and ${notes.length - MAX_NOTES} more notes (not shown).\n`);
}

function isOmopetlErrorLike(e: unknown): e is { diagnostic: Diagnostic; exitCode: number } {
  const d = (e as { diagnostic?: Partial<Diagnostic> } | null)?.diagnostic;
  return typeof d?.code === "string" && typeof d.message === "string" && typeof (e as { exitCode?: unknown }).exitCode === "number";
}

/**
 * The last line of defence: user errors (OmopetlError) print as one diagnostic; anything else is a bug in omopetl
 * and prints its stack only with OMOPETL_DEBUG set.
 */
export function reportFatal(e: unknown): number {
  // Duck-typed as well: a third-party provider may bring its own copy of omopetl, whose OmopetlError is another class.
  if (e instanceof OmopetlError || isOmopetlErrorLike(e)) {
    // Some errors carry every problem found (an invalid configuration): each is printed with its code frame.
    const all = (e as { diagnostics?: unknown }).diagnostics;
    if (Array.isArray(all) && all.length > 0) {
      reportDiagnostics(all as Diagnostic[]);
      return e.exitCode;
    }
    process.stderr.write(formatDiagnostic(e.diagnostic) + "\n");
    return e.exitCode;
  }
  const err = e as Error;
  process.stderr.write(`internal error: ${boundMessage(err?.message ?? String(e))}\n`);
  if (process.env.OMOPETL_DEBUG) process.stderr.write(`${err?.stack ?? ""}\n`);
  else process.stderr.write("This is a bug in omopetl; rerun with OMOPETL_DEBUG=1 for details and report it.\n");
  return 70;
}
