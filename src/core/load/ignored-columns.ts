import path from "node:path";

/** One local file's header names (see src/core/compile/load-header.ts). */
export interface HeaderOfFile {
  file: string;
  names: readonly string[];
}

/**
 * The notes of a load whose files' headers have columns the load does not take (not declared under `columns:`, or
 * not a column of its CDM table): they are ignored, which is right for the columns an ETL does not need and wrong
 * for a misspelt one, so each is listed: `patients.csv: 3 header columns not declared, ignored: A, B, C`. Columns
 * match by name, ignoring case, as the load matches them. Files with the same ignored columns share one note
 * (`claims_1.csv and 11 more files: ...`), so a glob of monthly extracts gives one line; notes come in file order.
 */
export function ignoredColumnNotes(headers: readonly HeaderOfFile[], taken: readonly string[], what: string): string[] {
  const lower = new Set(taken.map((c) => c.toLowerCase()));
  const groups = new Map<string, { files: string[]; columns: string[] }>();
  for (const h of headers) {
    const columns = h.names.filter((n, i) => !lower.has(n.toLowerCase()) && h.names.indexOf(n) === i);
    if (columns.length === 0) continue;
    const key = JSON.stringify(columns);
    const g = groups.get(key) ?? { files: [], columns };
    g.files.push(path.basename(h.file));
    groups.set(key, g);
  }
  return [...groups.values()].map(({ files, columns }) => {
    const label = files.length === 1 ? files[0]! : `${files[0]} and ${files.length - 1} more file${files.length === 2 ? "" : "s"}`;
    return `${label}: ${columns.length} header column${columns.length === 1 ? "" : "s"} ${what}, ignored: ${columns.join(", ")}`;
  });
}
