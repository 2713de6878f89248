import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { computeContentHash, fieldFileName, sha256Hex, tableFileName } from "./spec-files.js";
import type { SpecFiles } from "./spec-files.js";
import type { CdmVersion } from "./spec-model.js";

/** Identifies one cache entry: the same version at the same ref of the same repository is the same content. */
export interface SpecCacheKey {
  owner: string;
  repo: string;
  ref: string;
  version: CdmVersion;
}

/** `manifest.json`, written last into an entry; its hash is what a later read verifies the CSVs against. */
export interface SpecCacheManifest {
  formatVersion: 1;
  owner: string;
  repo: string;
  ref: string;
  version: CdmVersion;
  contentHash: string;
  fieldFile: string;
  fieldSha256: string;
  tableFile: string;
  tableSha256: string;
  fetchedAt: string;
}

const MANIFEST = "manifest.json";

/**
 * The default spec cache folder: OMOPETL_CACHE_DIR when set, else `${XDG_CACHE_HOME:-~/.cache}/omopetl/spec`.
 * OMOPETL_CACHE_DIR names the spec cache folder itself.
 */
export function defaultSpecCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OMOPETL_CACHE_DIR) return path.resolve(env.OMOPETL_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), ".cache");
  return path.join(base, "omopetl", "spec");
}

/**
 * On-disk cache of fetched spec CSVs: `<dir>/<owner>/<repo>/<ref>/<version>/{field csv, table csv, manifest.json}`.
 * Reads verify the content hash (a damaged entry reads as a miss, so it is refetched and overwritten); writes go
 * to temp files renamed into place, with the manifest last, so readers never see a half-written entry.
 */
export class SpecCache {
  constructor(readonly dir: string) {}

  /** The folder of one entry; every key segment is URI-encoded so refs like "feature/x" stay one segment. */
  entryDir(key: SpecCacheKey): string {
    return path.join(this.dir, ...[key.owner, key.repo, key.ref, key.version].map(safeSegment));
  }

  /** The cached files, or undefined when absent or failing verification. Never throws for a bad entry. */
  async read(key: SpecCacheKey): Promise<SpecFiles | undefined> {
    const dir = this.entryDir(key);
    try {
      const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), "utf8")) as Partial<SpecCacheManifest>;
      if (
        manifest.formatVersion !== 1 ||
        manifest.version !== key.version ||
        manifest.ref !== key.ref ||
        typeof manifest.contentHash !== "string"
      ) {
        return undefined;
      }
      const fieldPath = path.join(dir, fieldFileName(key.version));
      const tablePath = path.join(dir, tableFileName(key.version));
      const [field, table] = await Promise.all([readFile(fieldPath), readFile(tablePath)]);
      if (computeContentHash(field, table) !== manifest.contentHash) return undefined;
      return { version: key.version, field, table, ref: key.ref, source: "cache", fieldOrigin: fieldPath, tableOrigin: tablePath };
    } catch {
      return undefined; // missing or unreadable entry: a miss
    }
  }

  /** Stores `files` under `key`, replacing any previous entry. Returns the manifest written. */
  async write(key: SpecCacheKey, files: Pick<SpecFiles, "field" | "table">): Promise<SpecCacheManifest> {
    const dir = this.entryDir(key);
    await mkdir(dir, { recursive: true });
    const manifest: SpecCacheManifest = {
      formatVersion: 1,
      owner: key.owner,
      repo: key.repo,
      ref: key.ref,
      version: key.version,
      contentHash: computeContentHash(files.field, files.table),
      fieldFile: fieldFileName(key.version),
      fieldSha256: sha256Hex(files.field),
      tableFile: tableFileName(key.version),
      tableSha256: sha256Hex(files.table),
      fetchedAt: new Date().toISOString(),
    };
    await writeAtomic(path.join(dir, manifest.fieldFile), files.field);
    await writeAtomic(path.join(dir, manifest.tableFile), files.table);
    await writeAtomic(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  }
}

function safeSegment(s: string): string {
  const encoded = encodeURIComponent(s);
  // "." and ".." survive encodeURIComponent and would climb out of the cache folder.
  return encoded === "." || encoded === ".." ? encoded.replace(/\./g, "%2E") : encoded;
}

/** Write to a unique temp file beside the target, then rename: rename within a folder is atomic on POSIX. */
export async function writeAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${target}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
