import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { globSync } from "tinyglobby";

const URI = /^[a-z][a-z0-9+.-]*:\/\//i;
/** A header line longer than this is not read at compile time (the engine still checks it at run time). */
const HEADER_BYTES = 1024 * 1024;
/** Files of one pattern whose headers are read at compile time; the rest are left to the engine. */
const MAX_FILES = 200;

/** One local file's header names, as the load will match them. */
export interface FileHeader {
  file: string;
  names: string[];
}

/**
 * The header names of the local files a load names (globs expanded, sorted), read at compile time so that a declared
 * column missing from a file is a located error before anything runs. Only the first line of each file is read;
 * remote URIs, unreadable, special (FIFO, device) or empty files and over-long header lines are skipped: the load's
 * own engine-side check still covers them when the plan runs.
 */
export function readLoadHeaders(files: readonly string[], delimiter: string, quote: string | null): FileHeader[] {
  const out: FileHeader[] = [];
  for (const f of files) {
    if (URI.test(f) && !f.startsWith("file://")) continue;
    const p = f.replace(/^file:\/\//, "");
    const matches = /[*?[\]{}]/.test(p) ? globSync(p, { absolute: true }).sort() : [p];
    for (const m of matches.slice(0, MAX_FILES)) {
      const line = firstLine(m);
      if (line === undefined || line === "") continue;
      const names = parseHeader(line, delimiter, quote);
      if (names) out.push({ file: m, names });
    }
  }
  return out;
}

function firstLine(file: string): string | undefined {
  let fd: number | undefined;
  try {
    // Non-blocking: a FIFO without a writer would otherwise block open() forever.
    fd = openSync(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    if (!fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(HEADER_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const eol = buf.subarray(0, n).indexOf(0x0a);
    if (eol < 0 && n === buf.length) return undefined;
    return buf
      .subarray(0, eol < 0 ? n : eol)
      .toString("utf8")
      .replace(/^\uFEFF/, "")
      .replace(/\r$/, "");
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function parseHeader(line: string, delimiter: string, quote: string | null): string[] | undefined {
  try {
    const rows = parse(line, { delimiter, quote: quote ?? false, relax_column_count: true }) as string[][];
    return rows[0];
  } catch {
    return undefined;
  }
}

/** A header name differing from `declared` only in case and punctuation (ICD9_CODE for icd9code), if any. */
export function squashedMatch(declared: string, names: readonly string[]): string | undefined {
  const squash = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, "");
  return names.find((n) => squash(n) === squash(declared));
}
