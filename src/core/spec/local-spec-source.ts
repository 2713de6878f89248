import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { specNotFound } from "./spec-errors.js";
import { fieldFileName, SPEC_REPO_CSV_DIR, tableFileName } from "./spec-files.js";
import type { SpecFiles } from "./spec-files.js";
import type { CdmVersion } from "./spec-model.js";

/**
 * Reads the two spec CSVs from a local folder laid out like OHDSI's inst/csv (`--spec-dir`, OMOPETL_SPEC_DIR).
 * A checkout of the whole CommonDataModel repository works too: `<dir>/inst/csv` is tried when `<dir>` itself
 * does not hold the files.
 */
export class LocalSpecSource {
  constructor(readonly dir: string) {}

  /** @throws OmopetlError SPEC_NOT_FOUND naming the folders searched. */
  async fetch(version: CdmVersion): Promise<SpecFiles> {
    const root = path.resolve(this.dir);
    const candidates = [root, path.join(root, ...SPEC_REPO_CSV_DIR.split("/"))];
    const fieldName = fieldFileName(version);
    const tableName = tableFileName(version);
    for (const dir of candidates) {
      const fieldPath = path.join(dir, fieldName);
      if (!(await isFile(fieldPath))) continue;
      const tablePath = path.join(dir, tableName);
      if (!(await isFile(tablePath))) {
        throw specNotFound(tablePath, `${dir} has ${fieldName} but not ${tableName}; copy both files from OHDSI/CommonDataModel inst/csv.`);
      }
      const [field, table] = await Promise.all([readFile(fieldPath), readFile(tablePath)]);
      return { version, field, table, ref: "local", source: "local", fieldOrigin: fieldPath, tableOrigin: tablePath };
    }
    throw specNotFound(
      `${fieldName} in ${candidates.join(" or ")}`,
      `--spec-dir / OMOPETL_SPEC_DIR must name a folder holding ${fieldName} and ${tableName} (OHDSI/CommonDataModel inst/csv), or a checkout of that repository.`,
    );
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
