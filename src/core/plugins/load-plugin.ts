/**
 * Loading third-party plugins (providers, orchestrators, secret providers) the one way they are all found: a spec from
 * the configuration or command line is either a path (relative to the project directory) or a package name, tried
 * with the kind's conventional prefix first (`x` -> `omopetl-provider-x`, `@scope/x` -> `@scope/omopetl-provider-x`),
 * and resolved from the project directory as Node resolves its imports. Each kind keeps its own diagnostics (the
 * caller supplies them) and its own validation of what the module exports.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** True when `spec` names a file (relative, absolute, or ending in .js/.mjs/.cjs) rather than a package. */
export function isPluginPath(spec: string): boolean {
  return spec.startsWith("./") || spec.startsWith("../") || spec === "." || spec === ".." || isAbsolute(spec) || /\.(c|m)?js$/.test(spec);
}

/**
 * Package names to try for `spec`: the conventional `<prefix><name>` form (keeping any `@scope/`) first, then the
 * name as written; just the name when it already carries the prefix.
 */
export function pluginPackageCandidates(spec: string, prefix: string): string[] {
  const scoped = /^(@[^/]+)\/(.+)$/.exec(spec);
  const scope = scoped ? `${scoped[1]}/` : "";
  const name = scoped ? scoped[2]! : spec;
  return name.startsWith(prefix) ? [spec] : [`${scope}${prefix}${name}`, spec];
}

/**
 * The entry file an ESM import of package `name` from `fromDir` would load: require.resolve first (packages with a
 * "require" or "default" export), else — ESM-only packages, whose "import" condition require.resolve cannot see —
 * the nearest node_modules/<name>/package.json's entry. Undefined when the package or its entry file is missing.
 */
export function resolvePackageEntry(name: string, fromDir: string): string | undefined {
  const start = resolve(fromDir);
  try {
    // The file name is never read: it only places the resolution in `start`.
    return createRequire(join(start, "__omopetl_resolve__.js")).resolve(name);
  } catch {
    // fall through to reading package.json ourselves
  }
  for (let dir = start; ; dir = dirname(dir)) {
    const pkgDir = join(dir, "node_modules", name);
    const pkgJson = join(pkgDir, "package.json");
    if (existsSync(pkgJson)) {
      const entry = esmEntry(JSON.parse(readFileSync(pkgJson, "utf8")) as Record<string, unknown>);
      const file = entry ? join(pkgDir, entry) : undefined;
      return file && existsSync(file) ? file : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** The "." entry of a package.json for an ESM import: "exports" (import/node/default conditions), else "main". */
function esmEntry(pkg: Record<string, unknown>): string | undefined {
  const pick = (e: unknown): string | undefined => {
    if (typeof e === "string") return e;
    if (Array.isArray(e)) {
      for (const x of e) {
        const r = pick(x);
        if (r) return r;
      }
      return undefined;
    }
    if (e && typeof e === "object") {
      const o = e as Record<string, unknown>;
      if ("." in o) return pick(o["."]);
      for (const cond of ["import", "node", "default"]) if (cond in o) return pick(o[cond]);
    }
    return undefined;
  };
  return pick(pkg["exports"]) ?? (typeof pkg["main"] === "string" ? pkg["main"] : "index.js");
}

/**
 * What was looked for when a plugin could not be found: the file of a path spec, or the package names tried; `detail`
 * says so in words ("no file at ...", "no package "a" or "b" can be imported from ...") for the kind's message.
 */
export type PluginNotFound = { kind: "path"; file: string; detail: string } | { kind: "package"; candidates: readonly string[]; detail: string };

/** How one kind of plugin is looked up, and the errors it reports. */
export interface ImportPluginOptions {
  /** The kind's package-name prefix, e.g. "omopetl-provider-". */
  prefix: string;
  /** The kind's not-found error. */
  notFound: (what: PluginNotFound) => Error;
  /** The kind's error for a module that was found but threw while being imported (`message` is the thrown message). */
  importFailed: (file: string, message: string) => Error;
}

/** An imported plugin module. */
export interface ImportedPlugin {
  /** The module namespace. */
  module: Record<string, unknown>;
  /** The file imported. */
  file: string;
  /** Where it came from, for messages: the file for a path, `package "<name>"` for a package. */
  source: string;
}

/**
 * Imports the module `spec` names: a path (relative to `projectDir`) or a package installed where `projectDir` can
 * import it (tried under each of {@link pluginPackageCandidates}). @throws what `options.notFound` / `importFailed` make.
 */
export async function importPluginModule(spec: string, projectDir: string, options: ImportPluginOptions): Promise<ImportedPlugin> {
  let file: string | undefined;
  let source: string;
  if (isPluginPath(spec)) {
    file = resolve(projectDir, spec);
    if (!existsSync(file)) throw options.notFound({ kind: "path", file, detail: `no file at ${file}` });
    source = file;
  } else {
    const candidates = pluginPackageCandidates(spec, options.prefix);
    let name: string | undefined;
    for (const c of candidates) {
      file = resolvePackageEntry(c, projectDir);
      if (file) {
        name = c;
        break;
      }
    }
    if (name === undefined || file === undefined) {
      const detail = `no package ${candidates.map((c) => `"${c}"`).join(" or ")} can be imported from ${projectDir}`;
      throw options.notFound({ kind: "package", candidates, detail });
    }
    source = `package "${name}"`;
  }
  try {
    return { module: (await import(pathToFileURL(file).href)) as Record<string, unknown>, file, source };
  } catch (e) {
    throw options.importFailed(file, e instanceof Error ? e.message : String(e));
  }
}

/** Which export of a module is the plugin. */
export interface PluginExportOptions {
  /** The named export holding it (e.g. "provider"); also looked up on a CommonJS module's default export. */
  name: string;
  /**
   * True when a default export that has a property called `name` is nevertheless the plugin itself (so that property
   * is one of its fields, not a CommonJS export). Absent: such a default export is a CommonJS namespace.
   */
  isPlugin?: (def: object) => boolean;
}

/**
 * The plugin a module exports: the export `name`, else (CommonJS) the default export's property `name`, else the
 * default export. A function there is a factory: it is called (and awaited) and its result is the plugin.
 */
export async function pickPluginExport(mod: Record<string, unknown>, options: PluginExportOptions): Promise<unknown> {
  const def = mod["default"];
  const viaDefault = def !== null && typeof def === "object" && options.name in def && !(options.isPlugin?.(def) ?? false);
  let value: unknown = mod[options.name] ?? (viaDefault ? (def as Record<string, unknown>)[options.name] : def);
  if (typeof value === "function") value = await (value as () => unknown)();
  return value;
}

/**
 * Every export that might be the plugin, in order of preference, for a kind that takes the first valid one: the
 * export `name`, the default export, and the default export's property `name` (CommonJS); absent ones left out.
 */
export function pluginExportCandidates(mod: Record<string, unknown>, name: string): unknown[] {
  const def = mod["default"];
  const inDefault = typeof def === "object" && def !== null ? (def as Record<string, unknown>)[name] : undefined;
  return [mod[name], def, inDefault].filter((c) => c !== undefined);
}
