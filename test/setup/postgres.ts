/**
 * Vitest globalSetup: decides which PostgreSQL the engine-backed suites talk to, once per run, before any worker starts.
 *
 * - The server at OMOPETL_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test) answers: it is used.
 * - It does not answer and CI is set: the run fails here, loudly. CI has a real server; silently testing on a
 *   stand-in there would hide a broken CI machine.
 * - It does not answer outside CI: an in-process PGlite (Postgres compiled to WASM) is started behind a Postgres
 *   wire-protocol socket on a free loopback port, so a newcomer's `npm test` is green without installing Postgres.
 *   Tests that need what PGlite cannot do are skipped (test/setup/pglite-limits.ts), and the run ends with the list
 *   of skipped tests and why (test/setup/pglite-skip-reporter.ts).
 *
 * The choice reaches the workers as `provide`d values, which test/setup/postgres-env.ts copies into the worker's
 * environment before any test module loads (so spawned CLI processes inherit it too).
 */
import { existsSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { redactUrl } from "../../src/orchestrators/redact.js";
import { sharedDir } from "../helpers/paths.js";
import { DEFAULT_PG_URL, PG_KIND_ENV, PG_URL_ENV, type PgKind } from "../helpers/postgres-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    omopetlPgUrl: string;
    omopetlPgKind: PgKind;
  }
}

/** True when the environment says this is a CI run (CI=true, CI=1, ...; CI=false and CI=0 do not count). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env["CI"];
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** Connects, runs `SELECT 1` and disconnects; the error when the server does not answer in time. */
async function probe(url: string, timeoutMs = 3000): Promise<Error | undefined> {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Host folders PGlite must see at their own paths: the PostgreSQL provider loads files server-side (COPY FROM a
 * file, pg_read_binary_file, pg_ls_dir), and the tests write those files to the temporary folder or read the shared
 * data beside the repository. A folder inside another one in the list is covered by it.
 */
function hostFoldersForPglite(): string[] {
  const folders = [os.tmpdir(), sharedDir].filter((d) => existsSync(d)).map((d) => realpathSync(d));
  const inside = (a: string, b: string) => a !== b && a.startsWith(b.endsWith(path.sep) ? b : b + path.sep);
  return [...new Set(folders)].filter((d) => !folders.some((o) => inside(d, o))).sort();
}

/** Starts PGlite behind a wire-protocol socket on a free loopback port. */
async function startPglite(): Promise<{ url: string; folders: string[]; stop: () => Promise<void> }> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create();
  // PGlite's files live in an in-memory (Emscripten) file system; Emscripten's NODEFS mounts a host folder into it,
  // so server-side file reads see the same paths as on a real server.
  const fs = db.Module.FS;
  const folders = hostFoldersForPglite();
  for (const folder of folders) {
    fs.mkdirTree(folder);
    fs.mount(fs.filesystems.NODEFS, { root: folder }, folder);
  }
  // PGlite is one backend: the socket server multiplexes client connections over it, keeping a client's open
  // transaction to itself. The default of one connection would make every pool wait for the others.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 1000 });
  await server.start();
  // PGlite has a single database whatever the URL names; keep the usual name for readable messages.
  const url = `postgres://postgres@${server.getServerConn()}/test`;
  return {
    url,
    folders,
    stop: async () => {
      await server.stop().catch(() => undefined);
      await db.close().catch(() => undefined);
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const wanted = process.env[PG_URL_ENV] ?? DEFAULT_PG_URL;
  const error = await probe(wanted);
  if (!error) {
    process.env[PG_URL_ENV] = wanted;
    process.env[PG_KIND_ENV] = "server";
    project.provide("omopetlPgUrl", wanted);
    project.provide("omopetlPgKind", "server");
    return async () => undefined;
  }
  const why = `${error.message || (error as NodeJS.ErrnoException).code || error.name}`;
  if (isCi()) {
    throw new Error(
      `No PostgreSQL server answers at ${redactUrl(wanted)} (${why}). CI runs the PostgreSQL suites on a real server ` +
        `and does not fall back to PGlite: start the server (see .ci/run) or point ${PG_URL_ENV} at one.`,
    );
  }
  const started = Date.now();
  const pglite = await startPglite();
  process.env[PG_URL_ENV] = pglite.url;
  process.env[PG_KIND_ENV] = "pglite";
  project.provide("omopetlPgUrl", pglite.url);
  project.provide("omopetlPgKind", "pglite");
  process.stdout.write(
    `\nPostgreSQL: no server answers at ${redactUrl(wanted)} (${why}).\n` +
      `Running the PostgreSQL suites on PGlite (in-process Postgres, started in ${((Date.now() - started) / 1000).toFixed(1)}s) at ${pglite.url},\n` +
      `with ${pglite.folders.join(" and ")} of this machine mounted for server-side file reads;\n` +
      `tests PGlite cannot run are skipped and listed at the end. Set CI=1 to require a real server instead.\n\n`,
  );
  return pglite.stop;
}
