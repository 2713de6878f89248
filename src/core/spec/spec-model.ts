/** CDM versions omopetl knows how to fetch and validate against. */
export type CdmVersion = "5.3" | "5.4";
export const CDM_VERSIONS: readonly CdmVersion[] = ["5.3", "5.4"];

/**
 * The portable column types of the CDM spec, normalised from the spec's mixed-case strings
 * ("integer", "Integer", "varchar(50)", "VARCHAR(MAX)", "datetime", "float", "bigint", "date").
 */
export type CdmDataType =
  | { kind: "integer" }
  | { kind: "bigint" }
  | { kind: "float" }
  | { kind: "date" }
  | { kind: "datetime" }
  /** length undefined means unbounded (VARCHAR(MAX) / TEXT). */
  | { kind: "varchar"; length?: number };

export interface CdmForeignKey {
  table: string;
  column: string;
  /** e.g. "Gender" for gender_concept_id: the concept domain the FK is expected to point into. */
  domain?: string;
  /** e.g. "Ingredient". */
  conceptClass?: string;
}

export interface CdmColumn {
  /** lower-case name, as in the spec. */
  name: string;
  /** The spec's original type string, e.g. "varchar(50)". */
  rawType: string;
  type: CdmDataType;
  required: boolean;
  primaryKey: boolean;
  foreignKey?: CdmForeignKey;
  description?: string;
  /** 0-based ordinal within the table, in spec order (DDL column order). */
  ordinal: number;
}

/** Which of OHDSI's schemas a table lives in. */
export type CdmSchemaKind = "CDM" | "VOCAB" | "RESULTS";

export interface CdmTable {
  /** lower-case name, as in the spec. */
  name: string;
  schema: CdmSchemaKind;
  description?: string;
  columns: CdmColumn[];
  /** Names of primary-key columns in column order (empty when the table has none). */
  primaryKey: string[];
}

export interface CdmSpec {
  version: CdmVersion;
  /** Where the spec came from: git ref for GitHub, "local" for a folder. */
  ref: string;
  source: "github" | "local" | "cache";
  /** sha256 over the two CSV files' bytes (field then table), hex. Identifies the spec content exactly. */
  contentHash: string;
  /** Tables keyed by lower-case name, in spec order when iterated via `tableNames`. */
  tables: Map<string, CdmTable>;
  tableNames: string[];
}

/** Case-insensitive lookup helpers. */
export function getTable(spec: CdmSpec, name: string): CdmTable | undefined {
  return spec.tables.get(name.toLowerCase());
}

export function getColumn(table: CdmTable, name: string): CdmColumn | undefined {
  const lower = name.toLowerCase();
  return table.columns.find((c) => c.name === lower);
}
