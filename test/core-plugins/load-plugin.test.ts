/**
 * The shared plugin loader: path vs package specs, prefixed package names, ESM/CommonJS package entries resolved
 * from a project directory, not-found and import failures reported through the caller's errors, and export picking.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  importPluginModule,
  isPluginPath,
  pickPluginExport,
  pluginExportCandidates,
  pluginPackageCandidates,
  resolvePackageEntry,
  type PluginNotFound,
} from "../../src/core/plugins/load-plugin.js";

/** Writes node_modules/<name> under `root` with the given manifest fields and files. */
function pkg(root: string, name: string, manifest: Record<string, unknown>, files: Record<string, string>): string {
  const dir = path.join(root, "node_modules", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", ...manifest }));
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);
  return dir;
}

/** The error a caller would make, carrying what the loader reported so the test can look at it. */
class Reported extends Error {
  constructor(readonly what: PluginNotFound | { file: string; message: string }) {
    super("reported");
  }
}
const options = {
  prefix: "omopetl-widget-",
  notFound: (what: PluginNotFound) => new Reported(what),
  importFailed: (file: string, message: string) => new Reported({ file, message }),
};
const reported = async (p: Promise<unknown>): Promise<Reported["what"]> => {
  const e = await p.catch((x: unknown) => x);
  if (!(e instanceof Reported)) throw new Error(`expected a reported error, got ${String(e)}`);
  return e.what;
};

describe("plugin specs", () => {
  it("tells paths from package names", () => {
    for (const p of ["./x.js", "../x", ".", "..", "/abs/x", "x.mjs", "x.cjs", "lib/x.js"]) expect(isPluginPath(p)).toBe(true);
    for (const p of ["x", "@s/x", "omopetl-widget-x", "x/sub"]) expect(isPluginPath(p)).toBe(false);
  });

  it("tries the prefixed name first, keeping a scope, and a prefixed name alone", () => {
    expect(pluginPackageCandidates("x", "omopetl-widget-")).toEqual(["omopetl-widget-x", "x"]);
    expect(pluginPackageCandidates("omopetl-widget-x", "omopetl-widget-")).toEqual(["omopetl-widget-x"]);
    expect(pluginPackageCandidates("@s/x", "omopetl-widget-")).toEqual(["@s/omopetl-widget-x", "@s/x"]);
    expect(pluginPackageCandidates("@s/omopetl-widget-x", "omopetl-widget-")).toEqual(["@s/omopetl-widget-x"]);
  });
});

describe("loading plugin modules", () => {
  let root: string;
  let project: string;
  beforeAll(() => {
    // realpath: require.resolve answers with real paths (macOS /var -> /private/var).
    root = realpathSync(mkdtempSync(path.join(tmpdir(), "omopetl-plugins-")));
    // Packages live in the root's node_modules; the project is a folder below it, so resolution must walk up.
    project = path.join(root, "project");
    mkdirSync(project);
    pkg(root, "omopetl-widget-cjs", { main: "main.cjs" }, { "main.cjs": "module.exports = { widget: { id: 'cjs' } };\n" });
    pkg(root, "omopetl-widget-esm", { type: "module", exports: { ".": { import: "./esm.js" } } }, { "esm.js": "export const widget = { id: 'esm' };\n" });
    pkg(root, "omopetl-widget-nested", { type: "module", exports: [{ node: { import: "./n.js" } }] }, { "n.js": "export default { id: 'nested' };\n" });
    pkg(root, "@s/omopetl-widget-scoped", { type: "module", exports: { import: "./s.js" } }, { "s.js": "export default () => ({ id: 'scoped' });\n" });
    pkg(root, "plain", { type: "module", exports: "./p.js" }, { "p.js": "export default { id: 'plain' };\n" });
    pkg(root, "omopetl-widget-lost", { type: "module", exports: { import: "./missing.js" } }, {});
    pkg(root, "omopetl-widget-throws", { type: "module", exports: { import: "./t.js" } }, { "t.js": "throw new Error('boom at import\\nsecond line');\n" });
    writeFileSync(path.join(project, "local.mjs"), "export const widget = { id: 'local' };\n");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("resolves CommonJS and ESM-only entries from a directory below node_modules", () => {
    expect(resolvePackageEntry("omopetl-widget-cjs", project)).toBe(path.join(root, "node_modules", "omopetl-widget-cjs", "main.cjs"));
    expect(resolvePackageEntry("omopetl-widget-esm", project)).toBe(path.join(root, "node_modules", "omopetl-widget-esm", "esm.js"));
    expect(resolvePackageEntry("omopetl-widget-nested", project)).toBe(path.join(root, "node_modules", "omopetl-widget-nested", "n.js"));
    expect(resolvePackageEntry("omopetl-widget-lost", project)).toBeUndefined();
    expect(resolvePackageEntry("nowhere", project)).toBeUndefined();
  });

  it("imports by path or by package, saying where the module came from", async () => {
    const local = await importPluginModule("./local.mjs", project, options);
    expect(local.source).toBe(path.join(project, "local.mjs"));
    expect(await pickPluginExport(local.module, { name: "widget" })).toEqual({ id: "local" });

    const esm = await importPluginModule("esm", project, options);
    expect(esm.source).toBe('package "omopetl-widget-esm"');
    expect(esm.file).toBe(path.join(root, "node_modules", "omopetl-widget-esm", "esm.js"));

    const scoped = await importPluginModule("@s/scoped", project, options);
    expect(scoped.source).toBe('package "@s/omopetl-widget-scoped"');
    expect(await pickPluginExport(scoped.module, { name: "widget" })).toEqual({ id: "scoped" });

    // The name as written, when no prefixed package exists.
    expect((await importPluginModule("plain", project, options)).source).toBe('package "plain"');
  });

  it("reports what it looked for through the caller's errors", async () => {
    expect(await reported(importPluginModule("./nope.js", project, options))).toEqual({
      kind: "path",
      file: path.join(project, "nope.js"),
      detail: `no file at ${path.join(project, "nope.js")}`,
    });
    expect(await reported(importPluginModule("@s/gone", project, options))).toEqual({
      kind: "package",
      candidates: ["@s/omopetl-widget-gone", "@s/gone"],
      detail: `no package "@s/omopetl-widget-gone" or "@s/gone" can be imported from ${project}`,
    });
    // A package whose entry file is missing counts as not importable.
    expect(await reported(importPluginModule("lost", project, options))).toMatchObject({ kind: "package", candidates: ["omopetl-widget-lost", "lost"] });
    expect(await reported(importPluginModule("throws", project, options))).toEqual({
      file: path.join(root, "node_modules", "omopetl-widget-throws", "t.js"),
      message: "boom at import\nsecond line",
    });
  });

  it("picks the export: named, CommonJS property, default, or what a factory returns", async () => {
    const cjs = await importPluginModule("cjs", project, options);
    expect(await pickPluginExport(cjs.module, { name: "widget" })).toEqual({ id: "cjs" });
    const nested = await importPluginModule("nested", project, options);
    expect(await pickPluginExport(nested.module, { name: "widget" })).toEqual({ id: "nested" });

    // A default export that is itself the plugin keeps its own field of that name.
    const self = { default: { widget: "its own field", kind: "widget" } };
    expect(await pickPluginExport(self, { name: "widget" })).toBe("its own field");
    expect(await pickPluginExport(self, { name: "widget", isPlugin: (d) => "kind" in d })).toEqual(self.default);
    // The named export wins over the default; async factories are awaited.
    expect(await pickPluginExport({ widget: async () => ({ id: "made" }), default: { id: "def" } }, { name: "widget" })).toEqual({ id: "made" });
    expect(await pickPluginExport({}, { name: "widget" })).toBeUndefined();
  });

  it("lists every candidate export in order of preference", () => {
    const def = { widget: 2 };
    expect(pluginExportCandidates({ widget: 1, default: def }, "widget")).toEqual([1, def, 2]);
    expect(pluginExportCandidates({ default: 3 }, "widget")).toEqual([3]);
    expect(pluginExportCandidates({}, "widget")).toEqual([]);
  });
});
