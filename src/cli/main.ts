import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { createRequire } from "node:module";
import { driftOption, registerRunCommands } from "./commands/run-commands.js";

/**
 * The omopetl command line: a thin wrapper over the library. Each command's implementation is imported only when it
 * runs, so `omopetl --version` and `--help` load nothing heavy (no drivers, no Octokit, no cosmiconfig).
 */
export async function main(argv: string[]): Promise<void> {
  const version = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
  const program = new Command("omopetl")
    .description("Declarative YAML DML -> OMOP CDM ETL, checked against the CDM spec, run idempotently on DuckDB or Postgres.")
    .version(version, "-V, --version")
    .option("--config <file>", "configuration file (default: search for omopetl.config.yaml, .omopetlrc, package.json#omopetl)")
    .option("--spec-dir <dir>", "read the CDM spec CSVs from this folder (laid out like OHDSI's inst/csv); env OMOPETL_SPEC_DIR")
    .option("--no-color", "plain output")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");

  const collect = (v: string, prev: string[]) => [...prev, v];
  const paramOption = () => new Option("-p, --param <key=value>", "set a workflow parameter (repeatable)").argParser(collect).default([]);
  const strictOption = () => new Option("--strict", "treat warnings as errors (exit 1; nothing is written or run)");

  program
    .command("validate")
    .description("check a workflow and its DML files against the CDM spec; print every problem")
    .argument("<workflow>", "workflow YAML file")
    .addOption(paramOption())
    .addOption(strictOption())
    .action(async (workflow: string, opts: { param: string[]; strict?: boolean }) => {
      const { validateCommand } = await import("./commands/compile-commands.js");
      process.exitCode = await validateCommand(workflow, opts, program.opts());
    });

  program
    .command("compile")
    .description("compile a workflow into a CompiledWorkflowPlan (JSON)")
    .argument("<workflow>", "workflow YAML file")
    .option("-o, --out <file>", "write the plan here (default: stdout)")
    .option("--dialect <name>", "also embed each step's SQL for this provider (duckdb, postgres, spark, ...)")
    .option("--sql-dir <dir>", "with --dialect: write one readable .sql file per step into this folder")
    .addOption(paramOption())
    .addOption(strictOption())
    .action(async (workflow: string, opts: { out?: string; dialect?: string; sqlDir?: string; param: string[]; strict?: boolean }) => {
      const { compileCommand } = await import("./commands/compile-commands.js");
      process.exitCode = await compileCommand(workflow, opts, program.opts());
    });

  program
    .command("graph")
    .description("print the step graph")
    .argument("<workflow>", "workflow YAML file")
    .addOption(new Option("--format <format>", "output format").choices(["mermaid", "dot"]).default("mermaid"))
    .addOption(paramOption())
    .action(async (workflow: string, opts: { format: "mermaid" | "dot"; param: string[] }) => {
      const { graphCommand } = await import("./commands/compile-commands.js");
      process.exitCode = await graphCommand(workflow, opts, program.opts());
    });

  program
    .command("ddl")
    .description("print the CDM's CREATE TABLE / primary key / foreign key / index statements for a dialect (or run them on a target)")
    .option("--dialect <name>", "provider whose SQL to print (duckdb, postgres, spark, ...)", "duckdb")
    .addOption(new Option("--cdm-version <v>", "CDM version").choices(["5.3", "5.4"]).default("5.4"))
    .option("--schema <name>", "physical schema of the CDM tables", "cdm")
    .option("--vocab-schema <name>", "physical schema of the vocabulary tables (default: --schema)")
    .addOption(new Option("--part <part>", "which statements").choices(["tables", "constraints", "indexes", "all"]).default("all"))
    .option("--target <name>", "execute on this configured target instead of printing")
    .action(async (opts: { dialect: string; cdmVersion: "5.3" | "5.4"; schema: string; vocabSchema?: string; part: "tables" | "constraints" | "indexes" | "all"; target?: string }) => {
      const { ddlCommand } = await import("./commands/ddl-command.js");
      process.exitCode = await ddlCommand(opts, program.opts());
    });

  program
    .command("check")
    .description("run OHDSI Data Quality Dashboard checks (DQD 2.8 definitions, its default selection) on a target; results in <staging>.dq_result")
    .argument("[workflow]", "workflow YAML or compiled plan JSON naming the schemas and CDM version (default: the target's schemas, CDM 5.4)")
    .option("--target <name>", 'target from the configuration (default: "default")')
    .addOption(new Option("--fail-on <what>", "exit 1 when: a check errored (error), also a fatal check failed (fatal), also any check failed (threshold); none: never").choices(["none", "error", "fatal", "threshold"]).default("error"))
    .option("--json-out <file>", "also write the results as JSON shaped like DQD's results file")
    .option("--checks <name...>", "only these check types (DQD's checkNames, e.g. isPrimaryKey isForeignKey)")
    .option("--samples <n>", "print (and put in the JSON) up to n violating rows of each failed check", (v: string) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < 1 || n > 1000) throw new InvalidArgumentError("--samples must be an integer from 1 to 1000.");
      return n;
    })
    .option("--dqd-dir <dir>", "DQD's check definitions (its inst/csv, or a folder holding inst/csv); env OMOPETL_DQD_DIR, config checks.dqd_dir, default ../shared/dqd")
    .addOption(new Option("--cdm-version <v>", "CDM version when no workflow is given").choices(["5.3", "5.4"]).default("5.4"))
    .addOption(driftOption())
    .addOption(paramOption())
    .action(async (workflow: string | undefined, opts: import("./commands/check-command.js").CheckCommandOptions) => {
      const { checkCommand } = await import("./commands/check-command.js");
      process.exitCode = await checkCommand(workflow, opts, program.opts());
    });

  const spec = program.command("spec").description("the OMOP CDM specification");
  spec
    .command("show")
    .description("list the tables (or one table's columns) of a CDM version")
    .argument("[table]", "a table to show in detail")
    .addOption(new Option("--cdm-version <v>", "CDM version").choices(["5.3", "5.4"]).default("5.4"))
    .option("--json", "machine-readable output")
    .action(async (table: string | undefined, opts: { cdmVersion: "5.3" | "5.4"; json?: boolean }) => {
      const { specShowCommand } = await import("./commands/spec-commands.js");
      process.exitCode = await specShowCommand(table, opts, program.opts());
    });
  spec
    .command("pull")
    .description("download the spec from GitHub into the cache, so later commands work offline")
    .addOption(new Option("--cdm-version <v>", "CDM version").choices(["5.3", "5.4"]).default("5.4"))
    .option("--ref <ref>", "git ref of OHDSI/CommonDataModel")
    .action(async (opts: { cdmVersion: "5.3" | "5.4"; ref?: string }) => {
      const { specPullCommand } = await import("./commands/spec-commands.js");
      process.exitCode = await specPullCommand(opts, program.opts());
    });

  registerRunCommands(program, () => program.opts());

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; every other commander error is a usage error (exit 2).
      process.exitCode = e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help" ? 0 : 2;
      return;
    }
    const { reportFatal } = await import("./report.js");
    process.exitCode = reportFatal(e);
  }
}
