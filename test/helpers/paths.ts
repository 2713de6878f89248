import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** ../shared beside the repository: real spec CSVs and Synthea data (never copied into the repo). */
export const sharedDir = process.env.OMOPETL_SHARED_DIR ?? path.resolve(repoRoot, "../shared");
export const specDir = path.join(sharedDir, "cdm/inst/csv");
export const syntheaDir = path.join(sharedDir, "data/dbt-synthea/synthea");
export const vocabDir = path.join(sharedDir, "data/vocabulary");
export const vocabAthenaDir = path.join(sharedDir, "data/vocabulary-athena");
export const fixturesDir = path.join(repoRoot, "test/fixtures");
/** DQD 2.8.4's check definitions (../shared/dqd: inst/csv holds the CSVs), read where they are, never copied. */
export const dqdDir = path.join(sharedDir, "dqd");
