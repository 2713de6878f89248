/** Running the built CLI as a user would, for the `run`/`status` tests. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../helpers/paths.js";

const entry = path.join(repoRoot, "bin/omopetl.js");

/** dist/ is built by `npm test`'s pretest (run `npm run build` first when running these tests alone). */
export async function ensureBuilt(): Promise<void> {
  if (!existsSync(path.join(repoRoot, "dist/cli/commands/run-commands.js"))) throw new Error("dist/ is missing: run npm run build first");
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const baseEnv = (env: Record<string, string> = {}) => ({ ...process.env, NO_COLOR: "1", OMOPETL_RETRY_MIN_TIMEOUT_MS: "20", ...env });

/** Runs the CLI to completion. */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string> }): CliResult {
  const r = spawnSync(process.execPath, [entry, ...args], { cwd: options.cwd, env: baseEnv(options.env), encoding: "utf8", timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A CLI process whose stdout lines can be watched while it runs. */
export interface LiveCli {
  child: ChildProcess;
  /** Resolves with the first stdout line `match` accepts. */
  waitForLine(match: (line: string) => boolean): Promise<string>;
  /** Resolves when the process exits, with everything it printed. */
  exited: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

export function spawnCli(args: string[], options: { cwd: string; env?: Record<string, string> }): LiveCli {
  const child = spawn(process.execPath, [entry, ...args], { cwd: options.cwd, env: baseEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let pending = "";
  const waiters: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  const seen: string[] = [];
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      seen.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      // Let the pipes drain.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
  return {
    child,
    exited,
    waitForLine: (match) => {
      const hit = seen.find(match);
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise<string>((resolve, reject) => {
        waiters.push({ match, resolve });
        void exited.then((r) => reject(new Error(`the CLI exited (${r.code ?? r.signal}) before the expected line:\n${r.stderr}\n${r.stdout.slice(-2000)}`)));
      });
    },
  };
}

/** The JSON events of a `--log-format json` run. */
export function jsonEvents(stdout: string): { type: string; [k: string]: unknown }[] {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { type: string });
}

/** No stack trace in the output (user errors never print one). */
export const STACK_TRACE = /^\s+at .+\(.+:\d+:\d+\)$/m;
