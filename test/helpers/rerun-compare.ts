import type { CliResult } from "./cli.js";
import { engineSchemas, queryEngine, type EngineName } from "./two-engines.js";

/**
 * Comparing a re-run on an old database with a fresh run: ids differ between the two (a re-run keeps old ids where
 * a fresh run numbers from 1), so every id column is replaced by the source key it stands for in the id map.
 */
export interface ComparedTable {
  /** Columns compared (as text). */
  columns: readonly string[];
  /** Id column -> the id domain it holds. */
  ids?: Readonly<Record<string, string>>;
}

/** A CDM table's rows with every id replaced by its source key, as sorted JSON lines. */
export async function tableContent(dir: string, engine: EngineName, prefix: string, table: string, spec: ComparedTable): Promise<string[]> {
  const s = engineSchemas(prefix, engine);
  const map = `${s.staging}.omopetl_id_map`;
  const cols = spec.columns.map((c) => {
    const domain = spec.ids?.[c];
    return domain
      ? `(SELECT m.source_key FROM ${map} AS m WHERE m.domain = '${domain}' AND m.id = t.${c}) AS ${c}`
      : `CAST(t.${c} AS VARCHAR) AS ${c}`;
  });
  const rows = await queryEngine(dir, engine, `SELECT ${cols.join(", ")} FROM ${s.cdm}.${table} AS t`);
  return rows.map((r) => JSON.stringify(r)).sort();
}

/** A run's failure as the user sees it, without what differs between two databases (prefixes, run ids, times). */
export function failureLines(r: CliResult, prefix: string): string {
  return r.stderr
    .replaceAll(prefix, "<prefix>")
    .split("\n")
    .filter((l) => /error|failed|✖|in dml\//i.test(l))
    .map((l) => l.replace(/\d+(\.\d+)?s\b/g, "<t>").replace(/run \S+/g, "run <id>").replace(/--resume \S+/g, "--resume <id>"))
    .join("\n");
}
