/**
 * TableDefs of every table of the OMOP CDM 5.4 spec, built the way the compiler fills them (columns, required,
 * primary key, foreign keys into tables of the spec, OHDSI's standard indexes), from the spec CSVs beside the repo.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TableDef } from "../../../src/core/model/plan.js";
import { parseSpec, standardIndexes } from "../../../src/core/spec/index.js";
import type { CdmTable } from "../../../src/core/spec/index.js";
import { cdmTypeToCastType } from "../../../src/core/compile/column-types.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const SPEC_CSV_DIR = resolve(repoRoot, "../shared/cdm/inst/csv");

const logicalSchemaOf = (t: CdmTable): "cdm" | "vocab" => (t.schema === "VOCAB" ? "vocab" : "cdm");

export function cdm54TableDefs(): TableDef[] {
  const spec = parseSpec(
    "5.4",
    readFileSync(resolve(SPEC_CSV_DIR, "OMOP_CDMv5.4_Field_Level.csv")),
    readFileSync(resolve(SPEC_CSV_DIR, "OMOP_CDMv5.4_Table_Level.csv")),
    { ref: "local", source: "local" },
  );
  const indexes = standardIndexes(spec);
  return spec.tableNames.map((name) => {
    const t = spec.tables.get(name)!;
    return {
      schema: logicalSchemaOf(t),
      name: t.name,
      cdm: true,
      columns: t.columns.map((c) => ({ name: c.name, type: cdmTypeToCastType(c.type), required: c.required })),
      primaryKey: t.primaryKey,
      foreignKeys: t.columns
        .filter((c) => c.foreignKey && spec.tables.has(c.foreignKey.table.toLowerCase()))
        .map((c) => {
          const target = spec.tables.get(c.foreignKey!.table.toLowerCase())!;
          return { column: c.name, references: { schema: logicalSchemaOf(target), name: target.name }, referencesColumn: c.foreignKey!.column.toLowerCase() };
        }),
      indexes: indexes.get(t.name) ?? [],
    };
  });
}
