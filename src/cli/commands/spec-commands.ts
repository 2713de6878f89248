import { didYouMean } from "../../core/diagnostics/did-you-mean.js";
import { OmopetlError } from "../../core/diagnostics/diagnostic.js";
import type { CdmDataType } from "../../core/spec/spec-model.js";
import { getTable } from "../../core/spec/spec-model.js";
import { specManager, type GlobalOptions } from "../session.js";

const typeLabel = (t: CdmDataType) => (t.kind === "varchar" ? (t.length ? `varchar(${t.length})` : "varchar(max)") : t.kind);

/** `omopetl spec show [table]` */
export async function specShowCommand(table: string | undefined, opts: { cdmVersion: "5.3" | "5.4"; json?: boolean }, global: GlobalOptions): Promise<number> {
  const { loadConfig } = await import("../config.js");
  const manager = await specManager(await loadConfig(process.cwd(), global.config), global);
  const spec = await manager.load(opts.cdmVersion);
  if (table) {
    const t = getTable(spec, table);
    if (!t) {
      throw new OmopetlError({ code: "UNKNOWN_TABLE", severity: "error", message: `"${table}" is not a table of OMOP CDM ${spec.version}.${didYouMean(table, spec.tableNames) ? ` ${didYouMean(table, spec.tableNames)}` : ""}` }, 1);
    }
    if (opts.json) {
      process.stdout.write(JSON.stringify(t, null, 2) + "\n");
      return 0;
    }
    process.stdout.write(`${t.name} (${t.schema}) — CDM ${spec.version}\n`);
    for (const c of t.columns) {
      const fk = c.foreignKey ? ` -> ${c.foreignKey.table}.${c.foreignKey.column}${c.foreignKey.domain ? ` [${c.foreignKey.domain}]` : ""}` : "";
      process.stdout.write(`  ${c.name.padEnd(32)} ${typeLabel(c.type).padEnd(14)} ${c.required ? "NOT NULL" : "        "}${c.primaryKey ? " PK" : ""}${fk}\n`);
    }
    return 0;
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify(spec.tableNames.map((n) => ({ name: n, schema: getTable(spec, n)!.schema, columns: getTable(spec, n)!.columns.length })), null, 2) + "\n");
    return 0;
  }
  process.stdout.write(`OMOP CDM ${spec.version} (${spec.source}, ref ${spec.ref}, sha256 ${spec.contentHash.slice(0, 12)}): ${spec.tableNames.length} tables\n`);
  for (const n of spec.tableNames) {
    const t = getTable(spec, n)!;
    process.stdout.write(`  ${n.padEnd(28)} ${t.schema.padEnd(8)} ${t.columns.length} columns\n`);
  }
  return 0;
}

/** `omopetl spec pull` */
export async function specPullCommand(opts: { cdmVersion: "5.3" | "5.4"; ref?: string }, global: GlobalOptions): Promise<number> {
  const { loadConfig } = await import("../config.js");
  const config = await loadConfig(process.cwd(), global.config);
  if (opts.ref) config.config.spec = { ...config.config.spec, ref: opts.ref };
  const manager = await specManager(config, { ...global, specDir: undefined });
  const spec = await manager.pull(opts.cdmVersion);
  process.stdout.write(`cached OMOP CDM ${spec.version} at ref ${spec.ref} (sha256 ${spec.contentHash.slice(0, 12)}) in ${manager.cacheDir}\n`);
  return 0;
}
