import { didYouMean } from "../diagnostics/did-you-mean.js";
import { GitHubSpecSource } from "./github-spec-source.js";
import type { GitHubSpecSourceOptions } from "./github-spec-source.js";
import { LocalSpecSource } from "./local-spec-source.js";
import { parseSpec } from "./parse-spec-csv.js";
import { ParsedSpecCache } from "./parsed-spec-cache.js";
import { defaultSpecCacheDir, SpecCache } from "./spec-cache.js";
import type { SpecCacheKey } from "./spec-cache.js";
import { specCacheWriteFailed, specUnavailable, specUnknownVersion } from "./spec-errors.js";
import { computeContentHash, toBytes } from "./spec-files.js";
import type { SpecFiles } from "./spec-files.js";
import { CDM_VERSIONS } from "./spec-model.js";
import type { CdmSpec, CdmVersion } from "./spec-model.js";

/** How a {@link SpecificationManager} finds the CDM spec. Unset options fall back to the environment. */
export interface SpecificationManagerOptions {
  /** Local folder laid out like OHDSI's inst/csv (`--spec-dir`); default env OMOPETL_SPEC_DIR. Wins over all else. */
  dir?: string;
  /** Git ref of OHDSI/CommonDataModel to fetch and cache; default DEFAULT_SPEC_REF. */
  ref?: string;
  /** Spec cache folder; default env OMOPETL_CACHE_DIR, else `${XDG_CACHE_HOME:-~/.cache}/omopetl/spec`. */
  cacheDir?: string;
  /** GitHub access; `token` defaults to env GITHUB_TOKEN, then GH_TOKEN. */
  github?: Omit<GitHubSpecSourceOptions, "ref">;
  /** Never touch the network: only the local folder or the cache may supply the spec. */
  offline?: boolean;
  /** Environment to read defaults from; default process.env (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** Receives non-fatal problems, e.g. a cache that could not be written after a successful download. */
  onWarning?: (message: string) => void;
}

/**
 * Yields the parsed OMOP CDM specification for a CDM version, from (in order) a local folder, the on-disk cache,
 * or GitHub (whose answer is then cached, so later loads need no network). Results are memoised per version for
 * the manager's lifetime.
 */
export class SpecificationManager {
  /** The local spec folder in use, if any. */
  readonly specDir: string | undefined;
  readonly ref: string;
  readonly cacheDir: string;
  readonly offline: boolean;
  private readonly github: GitHubSpecSource;
  private readonly cache: SpecCache;
  private readonly parsed: ParsedSpecCache;
  private readonly onWarning: (message: string) => void;
  private readonly memo = new Map<CdmVersion, Promise<CdmSpec>>();

  constructor(options: SpecificationManagerOptions = {}) {
    const env = options.env ?? process.env;
    this.specDir = options.dir ?? (env.OMOPETL_SPEC_DIR || undefined);
    this.cacheDir = options.cacheDir ?? defaultSpecCacheDir(env);
    this.offline = options.offline ?? false;
    const token = options.github?.token ?? (env.GITHUB_TOKEN || env.GH_TOKEN || undefined);
    this.github = new GitHubSpecSource({ ...options.github, ...(token ? { token } : {}), ...(options.ref ? { ref: options.ref } : {}) });
    this.ref = this.github.ref;
    this.cache = new SpecCache(this.cacheDir);
    this.parsed = new ParsedSpecCache(this.cacheDir);
    this.onWarning = options.onWarning ?? (() => {});
  }

  /**
   * The spec for `version`: the local folder if configured; else the cache; else GitHub (then cached).
   * @throws OmopetlError SPEC_UNAVAILABLE when offline with neither folder nor cache, SPEC_NOT_FOUND,
   *   SPEC_RATE_LIMITED, SPEC_ACCESS_DENIED, SPEC_FETCH_FAILED, SPEC_PARSE_ERROR, SPEC_UNKNOWN_VERSION.
   */
  load(version: CdmVersion): Promise<CdmSpec> {
    checkVersion(version);
    return this.memoise(version, () => this.loadUncached(version));
  }

  /**
   * Downloads `version` from GitHub at this manager's ref and (re)writes the cache, whatever is cached already.
   * Also what `load` returns for `version` from then on.
   * @throws OmopetlError as `load`, plus SPEC_CACHE_WRITE_FAILED.
   */
  async pull(version: CdmVersion): Promise<CdmSpec> {
    checkVersion(version);
    if (this.offline) {
      throw specUnavailable(`cannot pull CDM ${version} from GitHub in offline mode`);
    }
    const spec = (async () => {
      const files = await this.github.fetch(version);
      const parsed = parseFiles(files);
      try {
        await this.cache.write(this.key(version), files);
      } catch (err) {
        throw specCacheWriteFailed(this.cache.entryDir(this.key(version)), (err as Error).message);
      }
      return parsed;
    })();
    this.memo.set(version, spec);
    spec.catch(() => {
      if (this.memo.get(version) === spec) this.memo.delete(version);
    });
    return spec;
  }

  /** The folder where `version` at this manager's ref is (or would be) cached. */
  cacheEntryDir(version: CdmVersion): string {
    return this.cache.entryDir(this.key(version));
  }

  private async loadUncached(version: CdmVersion): Promise<CdmSpec> {
    if (this.specDir !== undefined) return this.parseOrReuse(await new LocalSpecSource(this.specDir).fetch(version));

    const key = this.key(version);
    const cached = await this.cache.read(key);
    if (cached) return this.parseOrReuse(cached);

    if (this.offline) {
      throw specUnavailable(
        `offline mode is on, no spec folder is configured, and CDM ${version} at ref ${this.ref} is not cached in ${this.cacheDir}`,
      );
    }
    const files = await this.github.fetch(version);
    // Parse before caching so a download that does not parse is never cached.
    const spec = parseFiles(files);
    try {
      await this.cache.write(key, files);
    } catch (err) {
      this.onWarning(`could not cache the CDM ${version} spec in ${this.cache.entryDir(key)}: ${(err as Error).message}`);
    }
    return spec;
  }

  /**
   * The spec in `files`: parsed before (same version, same bytes, same parser) when the parsed-spec cache has it,
   * else parsed now and cached. Downloads are always parsed afresh (see loadUncached), so a broken download is never
   * cached in any form.
   */
  private async parseOrReuse(files: SpecFiles): Promise<CdmSpec> {
    const contentHash = computeContentHash(toBytes(files.field), toBytes(files.table));
    const tables = await this.parsed.read(files.version, contentHash);
    if (tables) {
      return { version: files.version, ref: files.ref, source: files.source, contentHash, tables: new Map(tables.map((t) => [t.name, t])), tableNames: tables.map((t) => t.name) };
    }
    const spec = parseFiles(files);
    await this.parsed.write(spec);
    return spec;
  }

  private memoise(version: CdmVersion, load: () => Promise<CdmSpec>): Promise<CdmSpec> {
    const existing = this.memo.get(version);
    if (existing) return existing;
    const promise = load();
    this.memo.set(version, promise);
    // A failure is not memoised: the next call tries again (e.g. after the network came back).
    promise.catch(() => {
      if (this.memo.get(version) === promise) this.memo.delete(version);
    });
    return promise;
  }

  private key(version: CdmVersion): SpecCacheKey {
    return { owner: this.github.owner, repo: this.github.repo, ref: this.ref, version };
  }
}

function parseFiles(files: SpecFiles): CdmSpec {
  return parseSpec(files.version, files.field, files.table, {
    ref: files.ref,
    source: files.source,
    fieldFile: files.fieldOrigin,
    tableFile: files.tableOrigin,
  });
}

/** Versions come from user config and CLI flags at run time, so the type alone does not guarantee them. */
function checkVersion(version: string): asserts version is CdmVersion {
  if ((CDM_VERSIONS as readonly string[]).includes(version)) return;
  throw specUnknownVersion(String(version), CDM_VERSIONS, didYouMean(String(version), CDM_VERSIONS));
}
