import type { CastType } from "../expr/ast.js";
import type { ColumnDef, TableRef } from "../model/plan.js";
import type { CdmSpec, CdmTable } from "../spec/spec-model.js";
import { getTable } from "../spec/spec-model.js";
import { cdmTypeToCastType } from "./column-types.js";

/** The logical schemas whose tables are CDM tables checked against the spec. */
export const CDM_SCHEMAS = new Set(["cdm", "vocab"]);

/** Which logical schema a spec table belongs in: vocabulary tables in `vocab`, everything else in `cdm`. */
export function logicalSchemaOf(table: CdmTable): "cdm" | "vocab" {
  return table.schema === "VOCAB" ? "vocab" : "cdm";
}

export function refKey(ref: TableRef): string {
  return `${ref.schema}.${ref.name}`;
}

export function parseRef(text: string): TableRef {
  const [schema, name] = text.split(".") as [string, string];
  return { schema: schema.toLowerCase(), name: name.toLowerCase() };
}

/** What the compiler knows about one table: its columns (or "any" when a sql step did not declare them). */
export interface CatalogTable {
  ref: TableRef;
  cdm?: CdmTable;
  columns: ColumnDef[] | "any";
  primaryKey: string[];
  /** A key that identifies a row without being the table's PRIMARY KEY (a load's `key:`, which the load checks). */
  rowKey?: string[];
  indexes: string[][];
  /** "external" for tables declared under external:, "failed" when its writer did not compile, else the declaring step. */
  origin?: string;
  /** For a failed writer: the column names it would have written (types unknown), so readers' typos are still caught. */
  looseColumns?: string[];
}

/**
 * Tables known to the compiler: CDM tables come from the spec; source/staging tables are registered by the steps
 * that declare (load, sql) or produce (transform) them, in dependency order.
 */
export class TableCatalog {
  private readonly tables = new Map<string, CatalogTable>();
  constructor(private readonly spec: CdmSpec) {}

  cdmTable(ref: TableRef): CdmTable | undefined {
    return CDM_SCHEMAS.has(ref.schema) ? getTable(this.spec, ref.name) : undefined;
  }

  get(ref: TableRef): CatalogTable | undefined {
    const known = this.tables.get(refKey(ref));
    if (known) return known;
    const cdm = this.cdmTable(ref);
    if (!cdm) return undefined;
    const table: CatalogTable = {
      ref,
      cdm,
      columns: cdm.columns.map((c) => ({ name: c.name, type: cdmTypeToCastType(c.type), required: c.required })),
      primaryKey: cdm.primaryKey,
      indexes: [],
    };
    this.tables.set(refKey(ref), table);
    return table;
  }

  /** Registers (or widens) a non-CDM table's definition. The first declaration wins; later ones add indexes. */
  declare(ref: TableRef, columns: ColumnDef[] | "any", primaryKey: string[], indexes: string[][], origin?: string): CatalogTable {
    const existing = this.tables.get(refKey(ref));
    if (existing) {
      for (const ix of indexes) if (!existing.indexes.some((e) => e.join() === ix.join())) existing.indexes.push(ix);
      if (existing.columns === "any" && columns !== "any") existing.columns = columns;
      return existing;
    }
    const table: CatalogTable = { ref, columns, primaryKey, indexes: [...indexes], ...(origin ? { origin } : {}) };
    this.tables.set(refKey(ref), table);
    return table;
  }

  /**
   * A step that writes this table failed to compile: forget its columns so readers are not checked against a
   * half-known table (which would only repeat the first error in other words).
   */
  markFailed(ref: TableRef, columnNames?: string[]): void {
    const existing = this.tables.get(refKey(ref));
    const loose = columnNames ?? (existing && existing.columns !== "any" ? existing.columns.map((c) => c.name) : undefined);
    const entry: CatalogTable = { ref, columns: "any", primaryKey: existing?.primaryKey ?? [], indexes: existing?.indexes ?? [], origin: "failed", ...(loose ? { looseColumns: loose } : {}) };
    this.tables.set(refKey(ref), entry);
  }

  isFailed(ref: TableRef): boolean {
    return this.tables.get(refKey(ref))?.origin === "failed";
  }

  all(): CatalogTable[] {
    return [...this.tables.values()].sort((a, b) => (refKey(a.ref) < refKey(b.ref) ? -1 : 1));
  }
}

export function columnType(table: CatalogTable, column: string): CastType | undefined {
  if (table.columns === "any") return undefined;
  return table.columns.find((c) => c.name === column)?.type;
}
