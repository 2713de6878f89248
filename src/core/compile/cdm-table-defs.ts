import type { TableDef } from "../model/plan.js";
import type { CdmSpec, CdmTable } from "../spec/spec-model.js";
import { getTable } from "../spec/spec-model.js";
import { standardIndexes } from "../spec/standard-indexes.js";
import { cdmTypeToCastType } from "./column-types.js";
import { logicalSchemaOf } from "./table-catalog.js";

/**
 * A CDM table's definition from the spec: columns and types, NOT NULL, primary key, foreign keys (to tables of the
 * spec) and OHDSI's standard indexes. Used for plans and for `omopetl ddl`.
 */
export function cdmTableDef(spec: CdmSpec, table: CdmTable, indexes = standardIndexes(spec)): TableDef {
  const foreignKeys = table.columns
    .filter((c) => c.foreignKey && getTable(spec, c.foreignKey.table))
    .map((c) => {
      const fk = c.foreignKey!;
      return { column: c.name, references: { schema: logicalSchemaOf(getTable(spec, fk.table)!), name: fk.table }, referencesColumn: fk.column };
    });
  return {
    schema: logicalSchemaOf(table),
    name: table.name,
    cdm: true,
    columns: table.columns.map((c) => ({ name: c.name, type: cdmTypeToCastType(c.type), required: c.required })),
    primaryKey: table.primaryKey,
    foreignKeys,
    indexes: indexes.get(table.name) ?? [],
  };
}

/** Every table of the spec (or the named ones), in spec order. */
export function cdmTableDefs(spec: CdmSpec, names: readonly string[] = spec.tableNames): TableDef[] {
  const indexes = standardIndexes(spec);
  return names.map((n) => getTable(spec, n)).filter((t): t is CdmTable => t !== undefined).map((t) => cdmTableDef(spec, t, indexes));
}
