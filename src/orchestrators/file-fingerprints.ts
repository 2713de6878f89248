import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { glob } from "tinyglobby";
import type { CompiledWorkflowPlan, PlanStep } from "../core/model/plan.js";
import { hasGlob, localPath, uriScheme } from "../providers/base/file-patterns.js";
import { loadFileNotRegular } from "./orchestrator-errors.js";

/**
 * The plan with each load step's fingerprint extended by the files it reads as they are now (path, size, modification
 * time), so that what the run ledger records, and `--resume` compares, changes when a source file does: a resumed run
 * then reloads that file and reruns everything downstream instead of reusing tables built from the old contents.
 *
 * Only files this process can see are covered. A load naming a URI (s3://, https://, ...) or a file this process
 * cannot stat (a path on a remote database server) keeps its compiled fingerprint: its files are not compared, as
 * before. The compiled plan itself is not changed (its fingerprints stay deterministic).
 * @throws OmopetlError FILE_UNREADABLE when a local file is a FIFO, device or socket (the engine would hang on it).
 */
export async function withFileFingerprints(plan: CompiledWorkflowPlan): Promise<CompiledWorkflowPlan> {
  const steps = await Promise.all(plan.steps.map(async (s) => (s.body.kind === "load" ? withFiles(s, s.body.files) : s.body.kind === "loads" ? withFiles(s, s.body.loads.flatMap((l) => l.files)) : s)));
  return { ...plan, steps };
}

async function withFiles(step: PlanStep, files: readonly string[]): Promise<PlanStep> {
  const seen: string[] = [];
  for (const f of files) {
    const scheme = uriScheme(f);
    if (scheme !== undefined && scheme !== "file") return step;
    const path = localPath(f);
    const paths = hasGlob(path) ? (await glob(path, { absolute: true, onlyFiles: true, expandDirectories: false })).sort() : [path];
    for (const p of paths) {
      let st;
      try {
        st = await stat(p);
      } catch {
        return step;
      }
      const special = st.isFIFO() ? "a named pipe (FIFO)" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : st.isSocket() ? "a socket" : undefined;
      if (special) throw loadFileNotRegular(step.name, p, special);
      seen.push(`${p}\t${st.size}\t${st.mtimeMs}`);
    }
  }
  const fingerprint = createHash("sha256").update(`${step.fingerprint}\n${seen.join("\n")}`).digest("hex").slice(0, step.fingerprint.length);
  return { ...step, fingerprint };
}
