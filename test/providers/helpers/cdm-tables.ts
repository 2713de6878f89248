/**
 * TableDefs of every table of the OMOP CDM 5.4 spec, as the compiler builds them (cdmTableDefs: columns, required,
 * primary key, foreign keys into tables of the spec, OHDSI's standard indexes), from the spec CSVs beside the repo.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TableDef } from "../../../src/core/model/plan.js";
import { parseSpec } from "../../../src/core/spec/index.js";
import type { CdmSpec } from "../../../src/core/spec/index.js";
import { cdmTableDefs } from "../../../src/core/compile/cdm-table-defs.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const SPEC_CSV_DIR = resolve(repoRoot, "../shared/cdm/inst/csv");

/** The CDM 5.4 spec, parsed from the CSVs beside the repo. */
export function cdm54Spec(): CdmSpec {
  return parseSpec(
    "5.4",
    readFileSync(resolve(SPEC_CSV_DIR, "OMOP_CDMv5.4_Field_Level.csv")),
    readFileSync(resolve(SPEC_CSV_DIR, "OMOP_CDMv5.4_Table_Level.csv")),
    { ref: "local", source: "local" },
  );
}

export function cdm54TableDefs(): TableDef[] {
  return cdmTableDefs(cdm54Spec());
}
