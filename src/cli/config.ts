import path from "node:path";
import { z } from "zod";
import { OmopetlError } from "../core/diagnostics/diagnostic.js";

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
}

/** Finds and validates the configuration (cosmiconfig search from `cwd` upwards, or an explicit file). */
export async function loadConfig(cwd: string, explicit?: string): Promise<LoadedConfig> {
  const { cosmiconfig } = await import("cosmiconfig");
  const explorer = cosmiconfig("omopetl", {
    searchPlaces: ["package.json", ".omopetlrc", ".omopetlrc.json", ".omopetlrc.yaml", ".omopetlrc.yml", "omopetl.config.yaml", "omopetl.config.yml", "omopetl.config.json"],
    searchStrategy: "project",
  });
  let result;
  try {
    result = explicit ? await explorer.load(path.resolve(cwd, explicit)) : await explorer.search(cwd);
  } catch (e) {
    throw new OmopetlError({ code: "CONFIG_INVALID", severity: "error", message: `cannot read configuration: ${(e as Error).message.split("\n")[0]}`, ...(explicit ? { location: { file: explicit, line: 1, column: 1 } } : {}) });
  }
  if (!result || result.isEmpty) return { config: {}, dir: cwd };
  const parsed = ConfigSchema.safeParse(result.config);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new OmopetlError({
      code: "CONFIG_INVALID",
      severity: "error",
      location: { file: path.relative(cwd, result.filepath) || result.filepath, line: 1, column: 1 },
      message: `invalid configuration at "${first.path.join(".")}": ${first.message}.`,
      hint: "See the Configuration section of the README.",
    });
  }
  return { config: parsed.data, filepath: result.filepath, dir: path.dirname(result.filepath) };
}
