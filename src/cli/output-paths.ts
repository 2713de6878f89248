import { accessSync, constants as fsConstants, statSync, type Stats } from "node:fs";
import path from "node:path";
import { OmopetlError, type Diagnostic } from "../core/diagnostics/diagnostic.js";
import { boundMessage } from "../core/diagnostics/safe-text.js";

/**
 * Output paths (`--metrics-out`, `-o`, `--sql-dir`, a DuckDB database file) are checked before anything runs: a run
 * that succeeds for an hour and then cannot write its metrics (EISDIR, EEXIST, EACCES) is an hour lost, and was an
 * internal error (exit 70). Missing folders are fine: they are created, as long as the nearest existing ancestor is
 * a writable folder.
 */

/** OUTPUT_PATH: an output path that cannot be written. Exit code 2 (a usage error). */
export function outputPathError(option: string, shown: string, why: string, hint: string): Diagnostic {
  return { code: "OUTPUT_PATH", severity: "error", message: `${option} "${boundMessage(shown)}" cannot be written: ${why}.`, hint };
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    // ENOTDIR (a file on the way), ELOOP (symlink loop), EACCES...: report as it is, with the path.
    throw e;
  }
}

function writable(p: string, mode = fsConstants.W_OK): boolean {
  try {
    accessSync(p, mode);
    return true;
  } catch {
    return false;
  }
}

function kind(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** The nearest existing ancestor of `abs` must be a writable folder (the missing ones are created under it). */
function checkAncestor(abs: string, option: string, shown: string): void {
  let dir = path.dirname(abs);
  for (;;) {
    const st = statOrUndefined(dir);
    if (st) {
      if (!st.isDirectory()) throw new OmopetlError(outputPathError(option, shown, `"${boundMessage(dir)}" is a file, not a folder`, "Choose a path whose folders are folders."), 2);
      if (!writable(dir, fsConstants.W_OK | fsConstants.X_OK)) throw new OmopetlError(outputPathError(option, shown, `the folder "${boundMessage(dir)}" is not writable`, "Choose a folder you can write to, or fix its permissions."), 2);
      return;
    }
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

function guarded(option: string, shown: string, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof OmopetlError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOTDIR" ? "a part of the path is a file, not a folder" : code === "ELOOP" ? "its symbolic links form a loop" : code === "EACCES" ? "permission denied" : `the system refused (${code ?? (e as Error).message})`;
    throw new OmopetlError(outputPathError(option, shown, why, "Choose another path."), 2);
  }
}

/** A file the command will create or replace (`--metrics-out`, `-o`, the DuckDB file). Throws OUTPUT_PATH. */
export function checkOutputFile(file: string, option: string, cwd = process.cwd()): void {
  const abs = path.resolve(cwd, file);
  guarded(option, file, () => {
    const st = statOrUndefined(abs);
    if (st) {
      if (st.isDirectory()) throw new OmopetlError(outputPathError(option, file, "it is a directory", `Name a file, e.g. ${path.join(file, option === "--metrics-out" ? "metrics.json" : "out")}.`), 2);
      if (!st.isFile()) throw new OmopetlError(outputPathError(option, file, `it is ${kind(st)}`, "Name a regular file."), 2);
      if (!writable(abs)) throw new OmopetlError(outputPathError(option, file, "the file is not writable", "Choose another file, or fix its permissions."), 2);
      return;
    }
    checkAncestor(abs, option, file);
  });
}

/** A folder the command will create if needed and write files into (`--sql-dir`). Throws OUTPUT_PATH. */
export function checkOutputDir(dir: string, option: string, cwd = process.cwd()): void {
  const abs = path.resolve(cwd, dir);
  guarded(option, dir, () => {
    const st = statOrUndefined(abs);
    if (st) {
      if (!st.isDirectory()) throw new OmopetlError(outputPathError(option, dir, `it exists and is ${st.isFile() ? "a file" : kind(st)}, not a folder`, "Name a folder (it is created if missing)."), 2);
      if (!writable(abs, fsConstants.W_OK | fsConstants.X_OK)) throw new OmopetlError(outputPathError(option, dir, "the folder is not writable", "Choose a folder you can write to, or fix its permissions."), 2);
      return;
    }
    checkAncestor(abs, option, dir);
  });
}

/** Wraps a late write failure (a race with another process, a full disk) into OUTPUT_PATH instead of an internal error. */
export async function writeOutput(option: string, shown: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new OmopetlError(outputPathError(option, shown, `${err.code ?? "error"}: ${err.message}`, err.code === "ENOSPC" ? "Free disk space and run again." : "Choose another path."), 2);
  }
}
