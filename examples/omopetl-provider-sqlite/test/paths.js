/**
 * Where the tests find omopetl's shared data (the CDM spec CSVs, the Synthea export, the vocabulary): ../shared beside
 * the omopetl repository this example lives in, or OMOPETL_SHARED_DIR. Nothing is copied into the package.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The omopetl repository (for its resources/ workflows). */
export const omopetlDir = path.resolve(packageDir, "../..");
export const sharedDir = process.env.OMOPETL_SHARED_DIR ?? path.resolve(omopetlDir, "../shared");
export const specDir = path.join(sharedDir, "cdm/inst/csv");
export const syntheaDir = path.join(sharedDir, "data/dbt-synthea/synthea");
export const vocabDir = path.join(sharedDir, "data/vocabulary");
