import { spawnSync } from "node:child_process";
import path from "node:path";
import { repoRoot } from "./paths.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (dist/, built by `npm test`'s pretest) as a user would. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; nodeArgs?: string[] } = {}): CliResult {
  const r = spawnSync(process.execPath, [...(options.nodeArgs ?? []), path.join(repoRoot, "bin/omopetl.js"), ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
