import { createHash } from "node:crypto";
import type { CdmSpec, CdmVersion } from "./spec-model.js";

/** The raw bytes of one CDM version's two spec CSVs, as a source delivered them. */
export interface SpecFiles {
  version: CdmVersion;
  /** OMOP_CDMv{version}_Field_Level.csv */
  field: Buffer;
  /** OMOP_CDMv{version}_Table_Level.csv */
  table: Buffer;
  /** Git ref for GitHub/cache, "local" for a folder. */
  ref: string;
  source: CdmSpec["source"];
  /** Where each file came from (a path or URL), used in error locations. */
  fieldOrigin: string;
  tableOrigin: string;
}

/** "OMOP_CDMv5.4_Field_Level.csv" — the name OHDSI uses in inst/csv. */
export function fieldFileName(version: CdmVersion): string {
  return `OMOP_CDMv${version}_Field_Level.csv`;
}

/** "OMOP_CDMv5.4_Table_Level.csv" — the name OHDSI uses in inst/csv. */
export function tableFileName(version: CdmVersion): string {
  return `OMOP_CDMv${version}_Table_Level.csv`;
}

/** Where the CSVs live inside OHDSI/CommonDataModel. */
export const SPEC_REPO_CSV_DIR = "inst/csv";

/**
 * sha256 (hex) over the field file's bytes followed by the table file's bytes.
 * Identifies a spec's content exactly, whichever source it came from.
 */
export function computeContentHash(field: Uint8Array, table: Uint8Array): string {
  return createHash("sha256").update(field).update(table).digest("hex");
}

/** sha256 (hex) of one buffer; recorded per file in the cache manifest. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Normalises CSV input given as text or bytes to the bytes that are hashed (text is UTF-8 encoded). */
export function toBytes(input: string | Uint8Array): Buffer {
  if (typeof input === "string") return Buffer.from(input, "utf8");
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}
