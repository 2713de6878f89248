/**
 * What a load does with a 0-byte file, one rule for every engine and every format: LOAD_EMPTY_FILE, located by the
 * compiler when the file is local and readable, and raised by the engine before any row is read otherwise. The
 * engines read such files differently (DuckDB named a header-line file's one column `column0` and failed the header
 * check, or failed sniffing a header-less one; PostgreSQL said "has no header line" or loaded no rows), and an export
 * that wrote nothing at all is more often a failed export than an empty table. A file of a header line and no rows is
 * a well-formed empty file: it loads no rows.
 */
export interface EmptyFileText {
  /** After the file name. */
  reason: string;
  fix: string;
}

/** The text of LOAD_EMPTY_FILE for a load whose files have a header line (`header`) or not. */
export function emptyFileText(header: boolean): EmptyFileText {
  return header
    ? {
        reason: "is empty (0 bytes), but the load reads a header line first",
        fix: "Write the header line (a file of a header and no rows loads no rows), or remove the file from the load's files.",
      }
    : {
        reason: "is empty (0 bytes): an extract that wrote nothing is refused rather than loaded as no rows",
        fix: "Remove the file from the load's files, or check the export that wrote it.",
      };
}
