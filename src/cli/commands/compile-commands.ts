import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { canonicalJson } from "../../core/compile/canonical-json.js";
import { boundMessage } from "../../core/diagnostics/safe-text.js";
import { toDot, toMermaid } from "../../core/graph/render-graph.js";
import { checkOutputDir, checkOutputFile, writeOutput } from "../output-paths.js";
import { reportDiagnostics, reportNotes } from "../report.js";
import { compileFromCli, type GlobalOptions } from "../session.js";

/** `omopetl validate`: exit 0 when clean (warnings allowed), 1 with errors. */
export async function validateCommand(workflow: string, opts: { param: string[]; strict?: boolean }, global: GlobalOptions): Promise<number> {
  const { result } = await compileFromCli(workflow, opts.param, global, opts.strict === true);
  const code = reportDiagnostics(result.diagnostics);
  reportNotes(result.notes);
  if (result.plan) process.stdout.write(`${boundMessage(workflow)}: ${result.plan.steps.length} steps OK (plan ${result.plan.fingerprint.slice(0, 12)})\n`);
  return code;
}

/** `omopetl compile`: writes the plan (byte-identical for identical inputs). */
export async function compileCommand(
  workflow: string,
  opts: { out?: string; dialect?: string; sqlDir?: string; param: string[]; strict?: boolean },
  global: GlobalOptions,
): Promise<number> {
  // Checked before compiling: a bad output path is found in a second, not after the work.
  if (opts.out) checkOutputFile(opts.out, "-o/--out");
  if (opts.sqlDir) checkOutputDir(opts.sqlDir, "--sql-dir");
  const { result, config } = await compileFromCli(workflow, opts.param, global, opts.strict === true);
  const code = reportDiagnostics(result.diagnostics);
  reportNotes(result.notes);
  if (!result.plan) return code || 1;
  let plan = result.plan;
  if (opts.dialect) {
    const { withDialectSql } = await import("../dialect-sql.js");
    const out = await withDialectSql(plan, opts.dialect, config, path.dirname(path.resolve(workflow)));
    plan = out.plan;
    if (opts.sqlDir) {
      const sqlDir = opts.sqlDir;
      await writeOutput("--sql-dir", sqlDir, async () => {
        await mkdir(sqlDir, { recursive: true });
        for (const [i, s] of plan.steps.entries()) {
          const file = path.join(sqlDir, `${String(i + 1).padStart(3, "0")}_${s.name}.sql`);
          const header = [
            `-- step ${s.name} (${s.kind}) from ${s.file}`,
            `-- depends on: ${s.dependsOn.join(", ") || "nothing"}`,
            `-- ${out.transactional[i] ? "runs in one transaction" : "statements run one by one"}; fingerprint ${s.fingerprint.slice(0, 16)}`,
          ].join("\n");
          await writeFile(file, `${header}\n\n${(s.sql ?? []).map((q) => q.trimEnd() + ";").join("\n\n")}\n`);
        }
      });
      process.stderr.write(`wrote ${plan.steps.length} .sql files to ${opts.sqlDir}\n`);
    }
  } else if (opts.sqlDir) {
    process.stderr.write("--sql-dir needs --dialect (e.g. --dialect duckdb)\n");
    return 2;
  }
  const json = canonicalJson(plan, 2) + "\n";
  if (opts.out) {
    const out = opts.out;
    await writeOutput("-o/--out", out, async () => {
      await mkdir(path.dirname(path.resolve(out)), { recursive: true });
      await writeFile(out, json);
    });
    process.stderr.write(`wrote ${opts.out}: ${plan.steps.length} steps, plan ${plan.fingerprint.slice(0, 12)}\n`);
  } else process.stdout.write(json);
  return code;
}

/** `omopetl graph`: the DAG as Mermaid or DOT. */
export async function graphCommand(workflow: string, opts: { format: "mermaid" | "dot"; param: string[] }, global: GlobalOptions): Promise<number> {
  const { result } = await compileFromCli(workflow, opts.param, global);
  const code = reportDiagnostics(result.diagnostics);
  if (!result.plan) return code || 1;
  process.stdout.write(opts.format === "dot" ? toDot(result.plan) : toMermaid(result.plan));
  return code;
}
