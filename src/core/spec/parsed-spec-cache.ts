import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parserFingerprint } from "./parse-spec-csv.js";
import { writeAtomic } from "./spec-cache.js";
import type { CdmSpec, CdmTable, CdmVersion } from "./spec-model.js";

/** What an entry holds: the parse result without its provenance (which depends on where the CSVs came from). */
interface ParsedEntry {
  formatVersion: 1;
  version: CdmVersion;
  contentHash: string;
  tables: CdmTable[];
}

/**
 * Parsed specs kept in `<spec cache>/parsed/`, keyed by CDM version, the two CSVs' content hash and the parser's own
 * code. Parsing the CSVs is most of a small compile (30-45 ms of csv-parse in a fresh process); reading the entry
 * takes about 2 ms. Best effort both ways: a missing, unreadable or malformed entry is a miss, and a failed write
 * only costs the next process the parse.
 */
export class ParsedSpecCache {
  constructor(readonly dir: string) {}

  /** Where the entry for these CSVs is (or would be). */
  entryFile(version: CdmVersion, contentHash: string): string {
    return path.join(this.dir, "parsed", `${version}-${contentHash.slice(0, 32)}-${parserFingerprint()}.json`);
  }

  /** The tables of the entry, in spec order, or undefined. */
  async read(version: CdmVersion, contentHash: string): Promise<CdmTable[] | undefined> {
    try {
      const entry = JSON.parse(await readFile(this.entryFile(version, contentHash), "utf8")) as Partial<ParsedEntry>;
      if (entry.formatVersion !== 1 || entry.version !== version || entry.contentHash !== contentHash) return undefined;
      if (!Array.isArray(entry.tables) || !entry.tables.every((t) => typeof t?.name === "string" && Array.isArray(t.columns))) return undefined;
      return entry.tables;
    } catch {
      return undefined;
    }
  }

  /** Stores the tables of `spec`; never throws. */
  async write(spec: CdmSpec): Promise<void> {
    const entry: ParsedEntry = {
      formatVersion: 1,
      version: spec.version,
      contentHash: spec.contentHash,
      tables: spec.tableNames.map((n) => spec.tables.get(n)!),
    };
    const file = this.entryFile(spec.version, spec.contentHash);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeAtomic(file, JSON.stringify(entry));
    } catch {
      // a read-only or full cache folder: the next process parses again
    }
  }
}
