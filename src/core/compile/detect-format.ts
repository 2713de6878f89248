import { closeSync, openSync, readSync } from "node:fs";
import { globSync } from "tinyglobby";
import type { ColumnDef } from "../model/plan.js";

const URI = /^[a-z][a-z0-9+.-]*:\/\//i;
const CANDIDATES = ["\t", ",", "|", ";"];

/** The first bytes of the first local file a load names (a glob's first match), or undefined for remote URIs. */
function peek(files: readonly string[]): string | undefined {
  const first = files[0];
  if (!first || (URI.test(first) && !first.startsWith("file://"))) return undefined;
  const p = first.replace(/^file:\/\//, "");
  const match = /[*?[\]{}]/.test(p) ? globSync(p, { absolute: true }).sort()[0] : p;
  if (!match) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(match, "r");
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString("utf8");
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface DetectedFormat {
  delimiter?: string;
  /** strftime format of date columns, or null for ISO dates. */
  dateFormat?: string | null;
}

/**
 * Detects what `auto` leaves open — the delimiter (tab for Athena downloads, comma for CSV exports) and the date
 * format (yyyymmdd or ISO) — from the header and first data row of the first file. Only those two lines are read:
 * the rows themselves are loaded by the engine.
 */
export function detectFormat(files: readonly string[], columns: readonly ColumnDef[], delimiter: string | undefined): DetectedFormat | undefined {
  const text = peek(files);
  if (text === undefined) return undefined;
  const [header = "", firstRow] = text.split(/\r?\n/);
  const delim = delimiter ?? CANDIDATES.map((c) => [c, header.split(c).length] as const).sort((a, b) => b[1] - a[1])[0]![0];
  const out: DetectedFormat = { delimiter: delim };
  const names = header.split(delim).map((h) => h.trim().replace(/^"|"$/g, "").toLowerCase());
  const values = (firstRow ?? "").split(delim).map((v) => v.trim().replace(/^"|"$/g, ""));
  for (const c of columns) {
    if (c.type.kind !== "date" && c.type.kind !== "datetime") continue;
    const v = values[names.indexOf(c.name)];
    if (!v) continue;
    if (/^\d{8}$/.test(v)) out.dateFormat = "%Y%m%d";
    else if (/^\d{4}-\d{2}-\d{2}/.test(v)) out.dateFormat = null;
    else if (/^\d{1,2}\/\d{1,2}\/\d{4}$/.test(v)) out.dateFormat = "%m/%d/%Y";
    if (out.dateFormat !== undefined) break;
  }
  return out;
}
