import pRetry, { AbortError } from "p-retry";
import type { Octokit } from "@octokit/rest";
import { OmopetlError } from "../diagnostics/diagnostic.js";
import {
  specAccessDenied,
  specFetchFailed,
  specNotFound,
  specRateLimited,
  specUnavailable,
} from "./spec-errors.js";
import { fieldFileName, SPEC_REPO_CSV_DIR, tableFileName } from "./spec-files.js";
import type { SpecFiles } from "./spec-files.js";
import type { CdmVersion } from "./spec-model.js";

/**
 * The OHDSI/CommonDataModel release tag fetched by default. v5.4.2 is a published release whose inst/csv holds the
 * field- and table-level files for both 5.3 and 5.4; pinning a tag (not `main`) keeps specs, cache keys and content
 * hashes reproducible.
 */
export const DEFAULT_SPEC_REF = "v5.4.2";
export const DEFAULT_SPEC_OWNER = "OHDSI";
export const DEFAULT_SPEC_REPO = "CommonDataModel";
export const DEFAULT_GITHUB_BASE_URL = "https://api.github.com";

/** Where and how to fetch the spec from GitHub's contents API. */
export interface GitHubSpecSourceOptions {
  /** Git ref (tag, branch or commit); default {@link DEFAULT_SPEC_REF}. */
  ref?: string;
  /** API root; default https://api.github.com (tests point it at a local emulator). */
  baseUrl?: string;
  owner?: string;
  repo?: string;
  /** Optional token; raises the anonymous rate limit (60 requests/hour). */
  token?: string;
  /** Retries after the first attempt for 5xx and network errors; default 4. */
  retries?: number;
  /** First backoff delay; default 1000 ms. Tests use a few ms. */
  minTimeoutMs?: number;
  /** Exponential backoff factor; default 2. */
  factor?: number;
  /** Cap on one backoff delay; default 30 s. */
  maxTimeoutMs?: number;
  /** Per-request timeout; default 30 s. A timeout counts as a network error (retried). */
  requestTimeoutMs?: number;
}

const noop = (): void => {};
const SILENT_LOG = { debug: noop, info: noop, warn: noop, error: noop };

/** An @octokit/request error, duck-typed so the module stays off the start-up path. */
interface HttpError extends Error {
  status?: number;
  response?: { status: number; headers: Record<string, string | undefined> };
}

/**
 * Fetches a CDM version's two spec CSVs from a GitHub repository (default OHDSI/CommonDataModel) at a pinned ref.
 *
 * Retries 5xx answers and network failures with exponential backoff; 401/403/404 and rate limiting abort at once,
 * because repeating them cannot help and only burns the rate limit.
 */
export class GitHubSpecSource {
  readonly ref: string;
  readonly owner: string;
  readonly repo: string;
  readonly baseUrl: string;
  private readonly options: GitHubSpecSourceOptions;
  private octokit: Promise<Octokit> | undefined;

  constructor(options: GitHubSpecSourceOptions = {}) {
    this.options = options;
    this.ref = options.ref ?? DEFAULT_SPEC_REF;
    this.owner = options.owner ?? DEFAULT_SPEC_OWNER;
    this.repo = options.repo ?? DEFAULT_SPEC_REPO;
    this.baseUrl = (options.baseUrl ?? DEFAULT_GITHUB_BASE_URL).replace(/\/+$/, "");
  }

  /** Downloads the field file, then the table file (sequentially: two small files, and predictable retries). */
  async fetch(version: CdmVersion): Promise<SpecFiles> {
    const fieldPath = `${SPEC_REPO_CSV_DIR}/${fieldFileName(version)}`;
    const tablePath = `${SPEC_REPO_CSV_DIR}/${tableFileName(version)}`;
    const field = await this.fetchFile(fieldPath);
    const table = await this.fetchFile(tablePath);
    return {
      version,
      field,
      table,
      ref: this.ref,
      source: "github",
      fieldOrigin: this.describe(fieldPath),
      tableOrigin: this.describe(tablePath),
    };
  }

  /** "OHDSI/CommonDataModel@v5.4.2:inst/csv/…", for messages and error locations. */
  describe(filePath: string): string {
    return `${this.owner}/${this.repo}@${this.ref}:${filePath}`;
  }

  private client(): Promise<Octokit> {
    // Imported lazily: @octokit/rest is heavy and only needed when the spec is neither local nor cached.
    this.octokit ??= import("@octokit/rest").then(
      ({ Octokit }) =>
        new Octokit({
          baseUrl: this.baseUrl,
          userAgent: "omopetl",
          // Octokit logs every failed request to stderr; we retry and then report one clear error ourselves.
          log: SILENT_LOG,
          ...(this.options.token ? { auth: this.options.token } : {}),
        }),
    );
    return this.octokit;
  }

  private async fetchFile(filePath: string): Promise<Buffer> {
    const octokit = await this.client();
    const what = this.describe(filePath);
    const timeoutMs = this.options.requestTimeoutMs ?? 30_000;
    let attempts = 0;
    try {
      return await pRetry(
        async () => {
          attempts++;
          let data: unknown;
          try {
            const res = await octokit.repos.getContent({
              owner: this.owner,
              repo: this.repo,
              path: filePath,
              ref: this.ref,
              mediaType: { format: "raw" },
              request: { signal: AbortSignal.timeout(timeoutMs) },
            });
            data = res.data;
          } catch (err) {
            throw this.classify(err as HttpError, what);
          }
          try {
            return decodeContent(data, what);
          } catch (err) {
            throw new AbortError(err as Error);
          }
        },
        {
          retries: this.options.retries ?? 4,
          factor: this.options.factor ?? 2,
          minTimeout: this.options.minTimeoutMs ?? 1000,
          maxTimeout: this.options.maxTimeoutMs ?? 30_000,
        },
      );
    } catch (err) {
      if (err instanceof OmopetlError) throw err;
      const e = err as HttpError;
      const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
      if (e.response) throw specFetchFailed(`${what}: HTTP ${e.response.status} (${e.message}) after ${tries}`);
      throw specUnavailable(`could not reach ${this.baseUrl} for ${what} (${e.message}) after ${tries}`);
    }
  }

  /** Turns an HTTP failure into either a retryable error (returned as is) or an AbortError carrying our error. */
  private classify(err: HttpError, what: string): Error {
    const res = err.response;
    if (!res) return err; // no HTTP answer at all: network error or timeout -> retry
    const status = res.status;
    const remaining = header(res.headers, "x-ratelimit-remaining");
    if (status === 429 || (status === 403 && remaining === "0")) {
      const reset = Number(header(res.headers, "x-ratelimit-reset"));
      const when = Number.isFinite(reset) && reset > 0 ? `; resets at ${new Date(reset * 1000).toISOString()}` : "";
      return new AbortError(specRateLimited(`HTTP ${status} for ${what}${when}`));
    }
    if (status >= 500) return err;
    if (status === 404) {
      return new AbortError(
        specNotFound(
          what,
          `Check that ${this.owner}/${this.repo} has ref "${this.ref}" and that it contains ${SPEC_REPO_CSV_DIR} files for this CDM version.`,
        ),
      );
    }
    if (status === 401 || status === 403) return new AbortError(specAccessDenied(`HTTP ${status} for ${what}: ${err.message}`));
    return new AbortError(specFetchFailed(`${what}: unexpected HTTP ${status} (${err.message})`));
  }
}

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  return headers[name] ?? headers[name.toLowerCase()];
}

/**
 * The file bytes from a contents-API answer. A raw answer arrives as text or bytes, depending on its content type;
 * a server that ignores the raw media type answers with the JSON file object, whose content is base64.
 */
function decodeContent(data: unknown, what: string): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data !== null && typeof data === "object" && !Array.isArray(data)) {
    const file = data as { type?: unknown; encoding?: unknown; content?: unknown; size?: unknown };
    if (file.encoding === "base64" && typeof file.content === "string") return Buffer.from(file.content, "base64");
    if (file.encoding === "none") {
      throw specFetchFailed(`${what}: the file is too large for the contents API's JSON form (size ${String(file.size)})`);
    }
    throw specFetchFailed(`${what}: expected a file, got an object of type "${String(file.type)}"`);
  }
  throw specFetchFailed(`${what}: expected a file, got ${Array.isArray(data) ? "a directory listing" : typeof data}`);
}
