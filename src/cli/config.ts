import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { OmopetlError, type Diagnostic, type SourceLocation } from "../core/diagnostics/diagnostic.js";
import { didYouMean } from "../core/diagnostics/did-you-mean.js";
import type { YamlPath } from "../core/yaml/yaml-file.js";
import type { TargetOptionIssue } from "../providers/target-options.js";

/** omopetl.config.yaml / .omopetlrc / package.json#omopetl */
export const ConfigSchema = z.strictObject({
  spec: z
    .strictObject({
      dir: z.string().optional(),
      ref: z.string().optional(),
      cache_dir: z.string().optional(),
      offline: z.boolean().optional(),
      github: z.strictObject({ base_url: z.string().optional(), owner: z.string().optional(), repo: z.string().optional() }).optional(),
    })
    .optional(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /**
   * `omopetl check`: where DQD's check definitions are (a copy of its inst/csv, or the folder holding inst/csv), and
   * the change of a table's row count since the previous successful run that is flagged, in percent.
   */
  checks: z.strictObject({ dqd_dir: z.string().optional(), row_count_drift_percent: z.number().min(0).max(1_000_000).optional() }).optional(),
  /** Each target's own options are checked by its provider (src/providers/target-options.ts). */
  targets: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  providers: z.array(z.string()).optional(),
  /** Secret providers for `${<scheme>:<ref>}` in targets (env and file are built in): packages or module paths. */
  secrets: z.array(z.string()).optional(),
  orchestrators: z.array(z.string()).optional(),
});
export type OmopetlConfig = z.infer<typeof ConfigSchema>;

export interface LoadedConfig {
  config: OmopetlConfig;
  /** The config file, or undefined when none was found. */
  filepath?: string;
  /** Relative paths in the config resolve against its folder. */
  dir: string;
  /** Where a value (or with which="key", its key) of the configuration is written, for located errors. */
  locate?: (at: YamlPath, which?: "value" | "key") => SourceLocation;
}

/**
 * A configuration that is not valid: every problem found, each at its file:line:col. Exit code 2 (a configuration
 * error); the CLI prints each diagnostic with its code frame.
 */
export class ConfigInvalidError extends OmopetlError {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics[0]!, 2);
  }
}

const configInvalid = (location: SourceLocation | undefined, message: string, hint?: string): Diagnostic => ({
  code: "CONFIG_INVALID",
  severity: "error",
  ...(location ? { location } : {}),
  message,
  ...(hint ? { hint } : {}),
});

/** Finds and validates the configuration (cosmiconfig search from `cwd` upwards, or an explicit file). */
export async function loadConfig(cwd: string, explicit?: string): Promise<LoadedConfig> {
  const { cosmiconfig } = await import("cosmiconfig");
  const explorer = cosmiconfig("omopetl", {
    searchPlaces: ["package.json", ".omopetlrc", ".omopetlrc.json", ".omopetlrc.yaml", ".omopetlrc.yml", "omopetl.config.yaml", "omopetl.config.yml", "omopetl.config.json"],
    searchStrategy: "project",
  });
  if (explicit) {
    // cosmiconfig would block on a FIFO and read a device forever: the guarded read refuses them first.
    const { readTextFile } = await import("../core/files/read-text-file.js");
    const read = readTextFile(path.resolve(cwd, explicit), { shown: explicit });
    if (!read.ok && !read.missing) throw new OmopetlError(read.diagnostic, 2);
  }
  let result;
  try {
    result = explicit ? await explorer.load(path.resolve(cwd, explicit)) : await explorer.search(cwd);
  } catch (e) {
    throw new OmopetlError({ code: "CONFIG_INVALID", severity: "error", message: `cannot read configuration: ${(e as Error).message.split("\n")[0]}`, ...(explicit ? { location: { file: explicit, line: 1, column: 1 } } : {}) });
  }
  if (!result || result.isEmpty) return { config: {}, dir: cwd };
  if (!explicit) {
    // A found configuration is held to the same rules as the other files (cosmiconfig would decode invalid UTF-8
    // into replacement characters, and so into wrong values).
    const { readTextFile } = await import("../core/files/read-text-file.js");
    const read = readTextFile(result.filepath, { shown: path.relative(cwd, result.filepath) || result.filepath });
    if (!read.ok) throw new OmopetlError(read.diagnostic, 2);
  }
  const shown = path.relative(cwd, result.filepath) || result.filepath;
  const { file, locate } = await configLocator(result.filepath, shown);
  const parsed = ConfigSchema.safeParse(result.config);
  if (!parsed.success) {
    const { zodIssuesToDiagnostics } = await import("../core/compile/zod-diagnostics.js");
    const ds = zodIssuesToDiagnostics(file, ConfigSchema, parsed.error.issues, "the configuration");
    throw new ConfigInvalidError(ds.map((d) => ({ ...d, code: "CONFIG_INVALID", hint: d.hint ?? "See the Configuration section of the README." })));
  }
  const loaded: LoadedConfig = { config: parsed.data, filepath: result.filepath, dir: path.dirname(result.filepath), locate };
  // Built-in providers' targets are checked now, every one of them, so a slip in any target is found by any command.
  const { BUILTIN_TARGET_OPTIONS, checkTargetOptions } = await import("../providers/target-options.js");
  const issues: Diagnostic[] = [];
  for (const [name, options] of Object.entries(parsed.data.targets ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const provider = options["provider"];
    if (typeof provider !== "string" || !Object.hasOwn(BUILTIN_TARGET_OPTIONS, provider)) continue;
    issues.push(...targetIssueDiagnostics(name, options, checkTargetOptions(BUILTIN_TARGET_OPTIONS[provider]!, options), loaded));
  }
  if (issues.length > 0) throw new ConfigInvalidError(issues);
  return loaded;
}

/**
 * The config file as a position-keeping YAML document (JSON is YAML); package.json's settings live under `omopetl`.
 * The document is parsed only when a location is asked for.
 */
async function configLocator(filepath: string, shown: string) {
  const { YamlFile } = await import("../core/yaml/yaml-file.js");
  let text = "";
  try {
    text = readFileSync(filepath, "utf8");
  } catch {
    // cosmiconfig read it a moment ago; without the text, locations fall back to the file's first line
  }
  const file = new YamlFile(shown, text);
  const prefix: YamlPath = path.basename(filepath) === "package.json" ? ["omopetl"] : [];
  const locate = (at: YamlPath, which: "value" | "key" = "value") => file.locate([...prefix, ...at], which);
  // zodIssuesToDiagnostics locates through the file itself: give it a view whose paths start at the settings.
  const view = prefix.length === 0 ? file : (Object.assign(Object.create(file) as typeof file, { locate, value: (file.value as Record<string, unknown> | undefined)?.["omopetl"] }) as typeof file);
  return { file: view, locate };
}

/** True when `v` holds a secret reference (`${env:X}`...): its value is only known, and checked, when connecting. */
const isReference = (v: unknown) => typeof v === "string" && v.includes("${");

/**
 * A provider's findings on target `name` as located CONFIG_INVALID diagnostics. Values that are secret references
 * are checked after they are resolved (when connecting), so only their keys are judged here.
 */
export function targetIssueDiagnostics(name: string, options: Record<string, unknown>, issues: readonly TargetOptionIssue[], config: LoadedConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    if (!issue.unknownKey && issue.path.length > 0 && isReference(options[String(issue.path[0])])) continue;
    const at: YamlPath = ["targets", name, ...issue.path];
    out.push(configInvalid(config.locate?.(at, issue.unknownKey ? "key" : "value"), `targets.${name}: ${issue.message}`, issue.hint));
  }
  return out;
}

/** Throws CONFIG_INVALID when a provider's `checkTarget` finds problems with target `name`. */
export function assertTargetOptions(name: string, options: Record<string, unknown>, issues: readonly TargetOptionIssue[], config: LoadedConfig): void {
  const ds = targetIssueDiagnostics(name, options, issues, config);
  if (ds.length > 0) throw new ConfigInvalidError(ds);
}

/**
 * The target's `schemas:` may only name logical schemas the plan has: a misspelt one would otherwise be ignored and
 * the tables written to the default schema. @throws CONFIG_INVALID
 */
export function assertTargetSchemas(name: string, schemas: Record<string, unknown> | undefined, logical: readonly string[], config: LoadedConfig): void {
  const ds: Diagnostic[] = [];
  for (const key of Object.keys(schemas ?? {}).sort()) {
    if (logical.includes(key)) continue;
    const dym = didYouMean(key, logical);
    ds.push(
      configInvalid(
        config.locate?.(["targets", name, "schemas", key], "key"),
        `targets.${name}.schemas: "${key}" is not a logical schema of this workflow.${dym ? ` ${dym}` : ""}`,
        `Logical schemas: ${[...logical].sort().join(", ")} (declare others under "schemas:" in the workflow).`,
      ),
    );
  }
  if (ds.length > 0) throw new ConfigInvalidError(ds);
}
