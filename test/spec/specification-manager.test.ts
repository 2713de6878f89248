import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import {
  DEFAULT_SPEC_REF,
  SpecificationManager,
  defaultSpecCacheDir,
  getTable,
  parseSpec,
} from "../../src/core/spec/index.js";
import type { CdmVersion, SpecificationManagerOptions } from "../../src/core/spec/index.js";
import { deadServerUrl, startGitHubEmulator } from "./github-emulator.js";
import type { GitHubEmulator, GitHubEmulatorOptions } from "./github-emulator.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const csvDir = path.resolve(repoRoot, "../shared/cdm/inst/csv");
const FIELD_54 = "OMOP_CDMv5.4_Field_Level.csv";
const TABLE_54 = "OMOP_CDMv5.4_Table_Level.csv";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "omopetl-spec-test-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function emulator(options: Partial<GitHubEmulatorOptions> = {}): Promise<GitHubEmulator> {
  const emu = await startGitHubEmulator({ csvDir, ...options });
  cleanups.push(() => emu.close());
  return emu;
}

/** A manager isolated from the real environment, with fast retries. */
function manager(baseUrl: string, cacheDir: string, extra: SpecificationManagerOptions = {}): SpecificationManager {
  return new SpecificationManager({
    cacheDir,
    env: {},
    ...extra,
    github: { baseUrl, retries: 3, minTimeoutMs: 5, factor: 2, ...extra.github },
  });
}

async function rejection(p: Promise<unknown>): Promise<OmopetlError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(OmopetlError);
    return err as OmopetlError;
  }
  throw new Error("expected the promise to reject with an OmopetlError");
}

async function localHash(version: CdmVersion): Promise<string> {
  const field = await readFile(path.join(csvDir, `OMOP_CDMv${version}_Field_Level.csv`));
  const table = await readFile(path.join(csvDir, `OMOP_CDMv${version}_Table_Level.csv`));
  return parseSpec(version, field, table, { ref: "local", source: "local" }).contentHash;
}

describe("SpecificationManager with a GitHub emulator", () => {
  it("fetches raw content at the default ref, parses it and writes the cache", async () => {
    const emu = await emulator();
    const cacheDir = await tempDir();
    const m = manager(emu.url, cacheDir);
    const spec = await m.load("5.4");

    expect(spec).toMatchObject({ version: "5.4", ref: DEFAULT_SPEC_REF, source: "github" });
    expect(spec.tableNames).toHaveLength(39);
    expect(spec.contentHash).toBe(await localHash("5.4"));
    expect(emu.requests.map((r) => r.filePath)).toEqual([`inst/csv/${FIELD_54}`, `inst/csv/${TABLE_54}`]);
    for (const r of emu.requests) {
      expect(r.ref).toBe(DEFAULT_SPEC_REF);
      expect(r.accept).toContain("raw");
      expect(r.authorization).toBeUndefined();
    }

    const entry = m.cacheEntryDir("5.4");
    expect(entry.startsWith(cacheDir)).toBe(true);
    expect((await readdir(entry)).sort()).toEqual([FIELD_54, TABLE_54, "manifest.json"].sort());
    const manifest = JSON.parse(await readFile(path.join(entry, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ version: "5.4", ref: DEFAULT_SPEC_REF, owner: "OHDSI", repo: "CommonDataModel", contentHash: spec.contentHash });
    // No temp files are left behind by the atomic writes.
    expect((await readdir(entry)).some((f) => f.endsWith(".tmp"))).toBe(false);
  });

  it("decodes the base64 JSON form when the server ignores the raw media type", async () => {
    const emu = await emulator({ mode: "json" });
    const spec = await manager(emu.url, await tempDir()).load("5.3");
    expect(spec.tableNames).toHaveLength(37);
    expect(spec.contentHash).toBe(await localHash("5.3"));
  });

  it("retries 5xx: two 502s then success makes 3 requests for that file", async () => {
    const emu = await emulator({
      intercept: (req, previous) =>
        req.filePath.endsWith(FIELD_54) && previous < 2 ? { status: 502, body: { message: "Bad Gateway" } } : undefined,
    });
    const spec = await manager(emu.url, await tempDir()).load("5.4");
    expect(spec.tableNames).toHaveLength(39);
    expect(emu.countFor(FIELD_54)).toBe(3);
    expect(emu.countFor(TABLE_54)).toBe(1);
  });

  it("gives up after the configured retries with SPEC_FETCH_FAILED", async () => {
    const emu = await emulator({ intercept: () => ({ status: 503, body: { message: "Service Unavailable" } }) });
    const cacheDir = await tempDir();
    const err = await rejection(manager(emu.url, cacheDir, { github: { retries: 2 } }).load("5.4"));
    expect(err.diagnostic.code).toBe("SPEC_FETCH_FAILED");
    expect(err.message).toContain("HTTP 503");
    expect(err.message).toContain("3 attempts");
    expect(emu.requests).toHaveLength(3);
    // Nothing was cached.
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it("does not retry a 404 and says which file and ref were missing", async () => {
    const emu = await emulator({
      intercept: (req) => (req.filePath.endsWith(FIELD_54) ? { status: 404, body: { message: "Not Found" } } : undefined),
    });
    const err = await rejection(manager(emu.url, await tempDir()).load("5.4"));
    expect(err.diagnostic.code).toBe("SPEC_NOT_FOUND");
    expect(emu.requests).toHaveLength(1);
    expect(err.message).toContain(`OHDSI/CommonDataModel@${DEFAULT_SPEC_REF}:inst/csv/${FIELD_54}`);
    expect(err.diagnostic.hint).toContain(`ref "${DEFAULT_SPEC_REF}"`);
  });

  it("reports an unknown ref as SPEC_NOT_FOUND after one request", async () => {
    const emu = await emulator({
      intercept: (req) => (req.ref !== "v9.9.9" ? undefined : { status: 404, body: { message: "No commit found for the ref v9.9.9" } }),
    });
    const err = await rejection(manager(emu.url, await tempDir(), { ref: "v9.9.9" }).load("5.4"));
    expect(err.diagnostic.code).toBe("SPEC_NOT_FOUND");
    expect(err.message).toContain("@v9.9.9:");
    expect(emu.requests).toHaveLength(1);
  });

  it("turns a rate-limit answer into a clear SPEC_RATE_LIMITED error without retrying", async () => {
    const emu = await emulator({
      intercept: () => ({
        status: 403,
        headers: { "x-ratelimit-remaining": "0", "x-ratelimit-limit": "60", "x-ratelimit-reset": "1893456000" },
        body: { message: "API rate limit exceeded for 127.0.0.1." },
      }),
    });
    const err = await rejection(manager(emu.url, await tempDir()).load("5.4"));
    expect(err.diagnostic.code).toBe("SPEC_RATE_LIMITED");
    expect(emu.requests).toHaveLength(1);
    expect(err.message).toContain("rate limit");
    expect(err.message).toContain("2030-01-01T00:00:00.000Z");
    expect(err.diagnostic.hint).toContain("GITHUB_TOKEN");
    expect(err.diagnostic.hint).toContain("--spec-dir");
  });

  it("treats 429 as rate limiting and a plain 403 as access denied, neither retried", async () => {
    const e429 = await emulator({ intercept: () => ({ status: 429, body: { message: "Too Many Requests" } }) });
    const err429 = await rejection(manager(e429.url, await tempDir()).load("5.4"));
    expect(err429.diagnostic.code).toBe("SPEC_RATE_LIMITED");
    expect(e429.requests).toHaveLength(1);

    const e403 = await emulator({
      intercept: () => ({ status: 403, headers: { "x-ratelimit-remaining": "4999" }, body: { message: "Resource not accessible by integration" } }),
    });
    const err403 = await rejection(manager(e403.url, await tempDir()).load("5.4"));
    expect(err403.diagnostic.code).toBe("SPEC_ACCESS_DENIED");
    expect(e403.requests).toHaveLength(1);
  });

  it("sends the token from GITHUB_TOKEN (or GH_TOKEN) when set", async () => {
    const emu = await emulator();
    await new SpecificationManager({ cacheDir: await tempDir(), env: { GH_TOKEN: "gh-456", GITHUB_TOKEN: "ghp-123" }, github: { baseUrl: emu.url } }).load("5.4");
    expect(emu.requests.map((r) => r.authorization)).toEqual(["token ghp-123", "token ghp-123"]);

    const emu2 = await emulator();
    await new SpecificationManager({ cacheDir: await tempDir(), env: { GH_TOKEN: "gh-456" }, github: { baseUrl: emu2.url } }).load("5.4");
    expect(emu2.requests[0]!.authorization).toBe("token gh-456");
  });

  it("loads from the cache with zero requests in a second manager pointed at a dead server", async () => {
    const emu = await emulator();
    const cacheDir = await tempDir();
    const first = await manager(emu.url, cacheDir).load("5.4");
    expect(emu.requests).toHaveLength(2);

    const dead = await deadServerUrl();
    const second = await manager(dead, cacheDir, { github: { retries: 0 } }).load("5.4");
    expect(second.source).toBe("cache");
    expect(second.ref).toBe(DEFAULT_SPEC_REF);
    expect(second.contentHash).toBe(first.contentHash);
    expect(second.tableNames).toEqual(first.tableNames);
    expect(emu.requests).toHaveLength(2);

    // A third manager against the live emulator also uses the cache: still no new requests.
    await manager(emu.url, cacheDir).load("5.4");
    expect(emu.requests).toHaveLength(2);
  });

  it("ignores and refetches a corrupt cache entry", async () => {
    const emu = await emulator();
    const cacheDir = await tempDir();
    const m = manager(emu.url, cacheDir);
    await m.load("5.4");
    const entry = m.cacheEntryDir("5.4");
    await writeFile(path.join(entry, FIELD_54), "cdmTableName,cdmFieldName\nperson,person_id\n");

    const refetched = await manager(emu.url, cacheDir).load("5.4");
    expect(refetched.source).toBe("github");
    expect(emu.requests).toHaveLength(4);
    expect(refetched.contentHash).toBe(await localHash("5.4"));

    // The entry was rewritten: a dead server suffices again.
    const again = await manager(await deadServerUrl(), cacheDir, { github: { retries: 0 } }).load("5.4");
    expect(again.source).toBe("cache");

    // A garbled manifest is a miss too.
    await writeFile(path.join(entry, "manifest.json"), "{not json");
    const err = await rejection(manager(await deadServerUrl(), cacheDir, { github: { retries: 0 } }).load("5.4"));
    expect(err.diagnostic.code).toBe("SPEC_UNAVAILABLE");
  });

  it("keys the cache by ref and version", async () => {
    const emu = await emulator();
    const cacheDir = await tempDir();
    const a = manager(emu.url, cacheDir);
    const b = manager(emu.url, cacheDir, { ref: "feature/x" });
    expect(a.cacheEntryDir("5.4")).not.toBe(b.cacheEntryDir("5.4"));
    expect(a.cacheEntryDir("5.4")).not.toBe(a.cacheEntryDir("5.3"));
    // A ref with a slash stays one folder level inside the cache.
    expect(path.relative(cacheDir, b.cacheEntryDir("5.4")).split(path.sep)).toEqual(["OHDSI", "CommonDataModel", "feature%2Fx", "5.4"]);

    await a.load("5.4");
    const spec = await b.load("5.4");
    expect(spec.ref).toBe("feature/x");
    expect(emu.requests).toHaveLength(4);
    expect(emu.requests.slice(2).every((r) => r.ref === "feature/x")).toBe(true);
  });

  it("memoises per version and shares one in-flight load", async () => {
    const emu = await emulator();
    const m = manager(emu.url, await tempDir());
    const [a, b] = await Promise.all([m.load("5.4"), m.load("5.4")]);
    expect(a).toBe(b);
    expect(await m.load("5.4")).toBe(a);
    expect(emu.requests).toHaveLength(2);
    const c = await m.load("5.3");
    expect(c.version).toBe("5.3");
    expect(emu.requests).toHaveLength(4);
  });

  it("does not memoise failures: a later load can succeed", async () => {
    let fail = true;
    const emu = await emulator({ intercept: () => (fail ? { status: 500, body: { message: "boom" } } : undefined) });
    const m = manager(emu.url, await tempDir(), { github: { retries: 0 } });
    expect((await rejection(m.load("5.4"))).diagnostic.code).toBe("SPEC_FETCH_FAILED");
    fail = false;
    expect((await m.load("5.4")).tableNames).toHaveLength(39);
  });

  it("pull always fetches from GitHub and refreshes the cache", async () => {
    const emu = await emulator();
    const cacheDir = await tempDir();
    const m = manager(emu.url, cacheDir);
    await m.load("5.4");
    const pulled = await manager(emu.url, cacheDir).pull("5.4");
    expect(pulled.source).toBe("github");
    expect(emu.requests).toHaveLength(4);
    const m2 = manager(emu.url, cacheDir);
    const pulled2 = await m2.pull("5.3");
    // What pull returned is what load returns afterwards, without another request.
    expect(await m2.load("5.3")).toBe(pulled2);
    expect(emu.requests).toHaveLength(6);
  });

  it("reports an unreachable server with no cache as SPEC_UNAVAILABLE after retrying", async () => {
    const err = await rejection(manager(await deadServerUrl(), await tempDir(), { github: { retries: 1 } }).load("5.4"));
    expect(err.diagnostic.code).toBe("SPEC_UNAVAILABLE");
    expect(err.message).toContain("2 attempts");
    expect(err.diagnostic.hint).toContain("--spec-dir");
  });
});

describe("SpecificationManager offline and local", () => {
  it("offline with no cache and no folder: SPEC_UNAVAILABLE explaining the fixes, no request made", async () => {
    const emu = await emulator();
    const err = await rejection(manager(emu.url, await tempDir(), { offline: true }).load("5.4"));
    expect(err.diagnostic.code).toBe("SPEC_UNAVAILABLE");
    expect(err.diagnostic.hint).toContain("--spec-dir");
    expect(err.diagnostic.hint).toContain("OMOPETL_SPEC_DIR");
    expect(err.diagnostic.hint).toContain("omopetl spec pull");
    expect(emu.requests).toHaveLength(0);
    expect(err.exitCode).toBe(2);

    const pullErr = await rejection(manager(emu.url, await tempDir(), { offline: true }).pull("5.4"));
    expect(pullErr.diagnostic.code).toBe("SPEC_UNAVAILABLE");
    expect(emu.requests).toHaveLength(0);
  });

  it("offline with a cache loads from it", async () => {
    const emu = await emulator();
    const cacheDir = await tempDir();
    await manager(emu.url, cacheDir).load("5.3");
    const spec = await manager(emu.url, cacheDir, { offline: true }).load("5.3");
    expect(spec.source).toBe("cache");
    expect(emu.requests).toHaveLength(2);
  });

  it("a local folder wins over cache and GitHub", async () => {
    const emu = await emulator();
    const spec = await manager(emu.url, await tempDir(), { dir: csvDir }).load("5.4");
    expect(spec).toMatchObject({ source: "local", ref: "local" });
    expect(spec.contentHash).toBe(await localHash("5.4"));
    expect(getTable(spec, "concept")!.schema).toBe("VOCAB");
    expect(emu.requests).toHaveLength(0);
  });

  it("keeps the parsed spec for the next process, keyed by version, content and parser; a bad entry is re-parsed", async () => {
    const cacheDir = await tempDir();
    const folder = await tempDir();
    for (const f of [FIELD_54, TABLE_54]) await writeFile(path.join(folder, f), await readFile(path.join(csvDir, f)));
    const load = () => new SpecificationManager({ dir: folder, cacheDir, env: {} }).load("5.4");

    const parsed = await load();
    const entries = await readdir(path.join(cacheDir, "parsed"));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(new RegExp(`^5\\.4-${parsed.contentHash.slice(0, 32)}-[0-9a-f]{16}\\.json$`));
    const entryFile = path.join(cacheDir, "parsed", entries[0]!);
    expect(await load()).toEqual(parsed);

    // The entry is what a later load returns: an edit to it shows (the provenance still comes from the folder).
    const entry = JSON.parse(await readFile(entryFile, "utf8")) as { tables: { name: string; description?: string }[] };
    entry.tables.find((t) => t.name === "person")!.description = "read from the parsed-spec cache";
    await writeFile(entryFile, JSON.stringify(entry));
    const reused = await load();
    expect(getTable(reused, "person")!.description).toBe("read from the parsed-spec cache");
    expect(reused).toMatchObject({ source: "local", ref: "local", contentHash: parsed.contentHash });

    // Other CSV bytes are another key: parsed afresh, beside the old entry.
    await writeFile(path.join(folder, TABLE_54), `${await readFile(path.join(csvDir, TABLE_54), "utf8")}\n`);
    const changed = await load();
    expect(changed.contentHash).not.toBe(parsed.contentHash);
    expect(getTable(changed, "person")!.description).toBe(getTable(parsed, "person")!.description);
    expect(await readdir(path.join(cacheDir, "parsed"))).toHaveLength(2);

    // A damaged entry is a miss: parsed again and rewritten.
    await writeFile(entryFile, "{not json");
    await writeFile(path.join(folder, TABLE_54), await readFile(path.join(csvDir, TABLE_54)));
    expect(await load()).toEqual(parsed);
    expect(JSON.parse(await readFile(entryFile, "utf8"))).toMatchObject({ formatVersion: 1, version: "5.4", contentHash: parsed.contentHash });
  });

  it("accepts a repository checkout (inst/csv below the folder) and OMOPETL_SPEC_DIR", async () => {
    const checkout = path.resolve(csvDir, "../..");
    const viaEnv = new SpecificationManager({ env: { OMOPETL_SPEC_DIR: checkout }, offline: true, cacheDir: await tempDir() });
    expect(viaEnv.specDir).toBe(checkout);
    const spec = await viaEnv.load("5.3");
    expect(spec.source).toBe("local");
    expect(spec.tableNames).toHaveLength(37);
  });

  it("a local folder without the files is SPEC_NOT_FOUND naming the folder; parse errors name the file path", async () => {
    const empty = await tempDir();
    const err = await rejection(new SpecificationManager({ dir: empty, env: {} }).load("5.4"));
    expect(err.diagnostic.code).toBe("SPEC_NOT_FOUND");
    expect(err.message).toContain(empty);
    expect(err.message).toContain(FIELD_54);

    await writeFile(path.join(empty, FIELD_54), await readFile(path.join(csvDir, FIELD_54)));
    const half = await rejection(new SpecificationManager({ dir: empty, env: {} }).load("5.4"));
    expect(half.diagnostic.code).toBe("SPEC_NOT_FOUND");
    expect(half.message).toContain(TABLE_54);

    await writeFile(path.join(empty, TABLE_54), "cdmTableName,schema\nperson,CDM\nperson,CDM\n");
    const parseErr = await rejection(new SpecificationManager({ dir: empty, env: {} }).load("5.4"));
    expect(parseErr.diagnostic.code).toBe("SPEC_PARSE_ERROR");
    expect(parseErr.diagnostic.location).toMatchObject({ file: path.join(empty, TABLE_54), line: 3 });
  });

  it("rejects unknown CDM versions with a suggestion", async () => {
    const m = new SpecificationManager({ dir: csvDir, env: {} });
    const err = await rejection((async () => m.load("5.4.2" as CdmVersion))());
    expect(err.diagnostic.code).toBe("SPEC_UNKNOWN_VERSION");
    expect(err.diagnostic.hint).toBe('Did you mean "5.4"?');
  });

  it("derives the default cache folder from OMOPETL_CACHE_DIR, XDG_CACHE_HOME, or ~/.cache", () => {
    expect(defaultSpecCacheDir({ OMOPETL_CACHE_DIR: "/tmp/c", XDG_CACHE_HOME: "/x" })).toBe(path.resolve("/tmp/c"));
    expect(defaultSpecCacheDir({ XDG_CACHE_HOME: "/x" })).toBe(path.join("/x", "omopetl", "spec"));
    expect(defaultSpecCacheDir({})).toBe(path.join(os.homedir(), ".cache", "omopetl", "spec"));
    expect(new SpecificationManager({ env: { XDG_CACHE_HOME: "/x" } }).cacheDir).toBe(path.join("/x", "omopetl", "spec"));
  });
});

describe("start-up path", () => {
  it("no spec module imports @octokit/rest eagerly (only `import type` and a dynamic import)", async () => {
    const dir = path.join(repoRoot, "src/core/spec");
    for (const f of await readdir(dir)) {
      const text = await readFile(path.join(dir, f), "utf8");
      const eager = text.split("\n").filter((l) => /^\s*import\s(?!type\b).*["']@octokit\//.test(l) || /^\s*export .* from ["']@octokit\//.test(l));
      expect(eager, f).toEqual([]);
    }
    const gh = await readFile(path.join(dir, "github-spec-source.ts"), "utf8");
    expect(gh).toContain('import("@octokit/rest")');
  });
});
