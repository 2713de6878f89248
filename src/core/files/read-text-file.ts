import { isUtf8 } from "node:buffer";
import { closeSync, fstatSync, openSync, readSync, constants as fsConstants } from "node:fs";
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import { fileUnreadable, invalidEncoding } from "./file-errors.js";

/** Largest text file omopetl reads (workflow, DML, configuration, plan): far above any real one, far below a hang. */
export const MAX_TEXT_FILE_BYTES = 16 * 1024 * 1024;

export type ReadTextResult =
  | { ok: true; text: string }
  /** `missing` is true when the file does not exist (callers keep their own FILE_NOT_FOUND wording). */
  | { ok: false; missing: boolean; diagnostic: Diagnostic };

export interface ReadTextOptions {
  /** The name shown in diagnostics (relative to the working directory). */
  shown: string;
  /** Where the file was named (a workflow's `dml:` entry), for FILE_UNREADABLE. */
  location?: SourceLocation;
  maxBytes?: number;
}

function kindOf(mode: number): string {
  const type = mode & fsConstants.S_IFMT;
  if (type === fsConstants.S_IFDIR) return "it is a directory";
  if (type === fsConstants.S_IFIFO) return "it is a named pipe (FIFO)";
  if (type === fsConstants.S_IFCHR || type === fsConstants.S_IFBLK) return "it is a device";
  if (type === fsConstants.S_IFSOCK) return "it is a socket";
  return "it is not a regular file";
}

/**
 * Reads a UTF-8 text file, refusing before reading anything that would hang or exhaust memory: the file is opened
 * non-blocking (a FIFO without a writer would otherwise block `open` forever), checked to be a regular file of at
 * most `maxBytes`, then decoded strictly. A UTF-8 byte-order mark is dropped; invalid UTF-8, UTF-16 and NUL bytes are
 * an INVALID_ENCODING error at the first bad byte's line and column (wrong bytes would otherwise turn into U+FFFD and
 * flow into the database as data).
 */
export function readTextFile(absPath: string, options: ReadTextOptions): ReadTextResult {
  const { shown, location } = options;
  const maxBytes = options.maxBytes ?? MAX_TEXT_FILE_BYTES;
  let fd: number;
  try {
    fd = openSync(absPath, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { ok: false, missing: true, diagnostic: fileUnreadable(location, shown, "no such file", "Check the path.") };
    const why =
      code === "ELOOP"
        ? "its symbolic links form a loop"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "ENAMETOOLONG"
            ? "the path is too long"
            : `the system refused (${code ?? "unknown error"})`;
    return { ok: false, missing: false, diagnostic: fileUnreadable(location, shown, why, "Point at a readable regular file.") };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, missing: false, diagnostic: fileUnreadable(location, shown, kindOf(st.mode), "Point at a regular YAML/JSON file.") };
    if (st.size > maxBytes) {
      return {
        ok: false,
        missing: false,
        diagnostic: fileUnreadable(location, shown, `it is ${st.size} bytes, more than the ${maxBytes} bytes a text file may have`, "Split it into smaller files."),
      };
    }
    // Read at most maxBytes + 1: a file that grows while being read is still bounded.
    const buf = Buffer.allocUnsafe(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n === buf.length) break;
    }
    if (n > maxBytes) {
      return { ok: false, missing: false, diagnostic: fileUnreadable(location, shown, `it has more than ${maxBytes} bytes`, "Split it into smaller files.") };
    }
    return decodeUtf8(buf.subarray(0, n), shown);
  } catch (e) {
    return { ok: false, missing: false, diagnostic: fileUnreadable(location, shown, (e as Error).message, "Point at a readable regular file.") };
  } finally {
    closeSync(fd);
  }
}

/** Line and column (1-based, in characters) of byte offset `at` of `bytes`, which are valid UTF-8 before `at`. */
function positionOf(bytes: Uint8Array, at: number, file: string): SourceLocation {
  const before = Buffer.from(bytes.buffer, bytes.byteOffset, at).toString("utf8");
  const lastNl = before.lastIndexOf("\n");
  let line = 1;
  for (let i = 0; i < before.length; i++) if (before.charCodeAt(i) === 10) line++;
  return { file, line, column: before.length - (lastNl + 1) + 1 };
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [need, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [need, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Strict UTF-8 decoding with a located error; exported for tests and for text that does not come from a path. */
export function decodeUtf8(bytes: Uint8Array, shown: string): ReadTextResult {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { ok: false, missing: false, diagnostic: invalidEncoding({ file: shown, line: 1, column: 1 }, "it starts with a UTF-16 byte-order mark") };
  }
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const body = bytes.subarray(start);
  // Native check first (fast); the JS scan only runs to locate the bad byte.
  const bad = isUtf8(body) ? -1 : firstInvalidUtf8(body);
  if (bad >= 0) {
    const hex = Array.from(body.subarray(bad, bad + 4), (x) => x.toString(16).padStart(2, "0")).join(" ");
    return { ok: false, missing: false, diagnostic: invalidEncoding(positionOf(body, bad, shown), `invalid byte sequence ${hex}`) };
  }
  const nul = body.indexOf(0);
  if (nul >= 0) return { ok: false, missing: false, diagnostic: invalidEncoding(positionOf(body, nul, shown), "it contains a NUL byte (binary data?)") };
  return { ok: true, text: Buffer.from(body.buffer, body.byteOffset, body.length).toString("utf8") };
}
