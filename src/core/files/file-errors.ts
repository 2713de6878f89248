import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";

/**
 * One factory per diagnostic code about reading a text file (the workflow, a DML file, the configuration, a plan).
 */

/** FILE_UNREADABLE: the path exists but is not a regular file we can read (a directory, device, FIFO, symlink loop, too big). */
export function fileUnreadable(location: SourceLocation | undefined, file: string, why: string, hint: string): Diagnostic {
  return { code: "FILE_UNREADABLE", severity: "error", location, message: `cannot read "${file}": ${why}.`, hint };
}

/** INVALID_ENCODING: the bytes are not UTF-8 text (invalid sequences, UTF-16, NUL bytes). Located at the first bad byte. */
export function invalidEncoding(location: SourceLocation, detail: string): Diagnostic {
  return {
    code: "INVALID_ENCODING",
    severity: "error",
    location,
    message: `the file is not valid UTF-8 text: ${detail}.`,
    hint: "Save the file as UTF-8 (a byte-order mark is accepted), e.g. `iconv -f LATIN1 -t UTF-8`.",
  };
}
