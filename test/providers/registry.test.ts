/**
 * Provider resolution: built-ins by name; third-party providers from a project's node_modules (plain, scoped,
 * ESM-only, CommonJS) or a path; clear errors for missing, invalid and duplicate providers.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import { DUCKDB_CAPABILITIES } from "../../src/providers/duckdb/index.js";
import { BUILTIN_PROVIDERS, loadProviderRegistry, packageCandidates, resolveProvider, validateProvider } from "../../src/providers/registry.js";
import { readableTempDir, removeDir } from "./helpers/engines.js";

const caps = JSON.stringify(DUCKDB_CAPABILITIES);
const body = (name: string): string =>
  `{ name: ${JSON.stringify(name)}, apiVersion: 1, dialect: ${JSON.stringify(name)}, capabilities: ${caps},
     generator: { renderStep: () => ({ statements: ["SELECT 1"], transactional: false }), renderDdl: () => [] } }`;

async function pkg(root: string, name: string, files: Record<string, string>, manifest: Record<string, unknown>): Promise<void> {
  const dir = join(root, "node_modules", name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", ...manifest }));
  for (const [f, content] of Object.entries(files)) await writeFile(join(dir, f), content);
}

const code = (e: unknown): string | undefined => (e instanceof OmopetlError ? e.diagnostic.code : undefined);

describe("provider registry", () => {
  let project: string;
  beforeAll(async () => {
    project = await readableTempDir();
    // ESM-only: only an "import" condition, invisible to require.resolve
    await pkg(project, "omopetl-provider-fake", { "index.js": `export default ${body("fake")};` }, { type: "module", exports: { ".": { import: "./index.js" } } });
    // CommonJS, scoped, exporting { provider }
    await pkg(project, "@acme/omopetl-provider-acme", { "main.cjs": `module.exports = { provider: ${body("acme")} };` }, { main: "main.cjs" });
    await pkg(project, "omopetl-provider-bad", { "index.mjs": `export default { name: "Bad Name", apiVersion: 7, capabilities: {}, generator: {} };` }, { exports: "./index.mjs" });
    await pkg(project, "omopetl-provider-dup", { "index.mjs": `export const provider = ${body("duckdb")};` }, { exports: "./index.mjs" });
    await pkg(project, "omopetl-provider-throws", { "index.mjs": `throw new Error("boom at import");` }, { exports: "./index.mjs" });
    await mkdir(join(project, "providers"), { recursive: true });
    // a factory function exported as `provider`
    await writeFile(join(project, "providers", "local.mjs"), `export async function provider() { return ${body("local")}; }`);
  });
  afterAll(async () => {
    if (project) await removeDir(project);
  });

  it("knows the built-in providers by name", async () => {
    expect(BUILTIN_PROVIDERS.map((p) => p.name)).toEqual(["duckdb", "postgres", "spark"]);
    expect((await resolveProvider("duckdb", { projectDir: project })).dialect).toBe("duckdb");
    expect((await resolveProvider("postgres", { projectDir: project })).dialect).toBe("postgres");
  });

  it("resolves configured packages by conventional name, scope, full name and path", async () => {
    const configured = ["fake", "@acme/acme", "./providers/local.mjs"];
    const registry = await loadProviderRegistry({ projectDir: project, configured });
    expect(registry.names()).toEqual(["acme", "duckdb", "fake", "local", "postgres", "spark"]);
    expect(registry.require("fake").generator.renderStep({} as never, {} as never).statements).toEqual(["SELECT 1"]);
    expect((await resolveProvider("acme", { projectDir: project, configured: ["@acme/omopetl-provider-acme"] })).name).toBe("acme");
    expect((await resolveProvider("fake", { projectDir: project, configured: ["omopetl-provider-fake"] })).name).toBe("fake");
  });

  it("tries omopetl-provider-<name> before the name as written", () => {
    expect(packageCandidates("snowflake")).toEqual(["omopetl-provider-snowflake", "snowflake"]);
    expect(packageCandidates("omopetl-provider-x")).toEqual(["omopetl-provider-x"]);
    expect(packageCandidates("@co/x")).toEqual(["@co/omopetl-provider-x", "@co/x"]);
  });

  it("reports an unknown name with the closest one", async () => {
    const e = await resolveProvider("duckbd", { projectDir: project }).catch((x: unknown) => x);
    expect(code(e)).toBe("PROVIDER_NOT_FOUND");
    expect((e as Error).message).toMatch(/Did you mean "duckdb"\?/);
  });

  it("reports a configured package that is not installed, and a missing path", async () => {
    const e = await loadProviderRegistry({ projectDir: project, configured: ["missing"] }).catch((x: unknown) => x);
    expect(code(e)).toBe("PROVIDER_NOT_FOUND");
    expect((e as OmopetlError).diagnostic.hint).toMatch(/npm install omopetl-provider-missing/);
    const p = await loadProviderRegistry({ projectDir: project, configured: ["./nope.js"] }).catch((x: unknown) => x);
    expect(code(p)).toBe("PROVIDER_NOT_FOUND");
  });

  it("lists every problem of an invalid export", async () => {
    const e = await loadProviderRegistry({ projectDir: project, configured: ["bad"] }).catch((x: unknown) => x);
    expect(code(e)).toBe("PROVIDER_INVALID");
    const msg = (e as Error).message;
    expect(msg).toMatch(/"name" must be a lower-case name/);
    expect(msg).toMatch(/"apiVersion" is 7; this omopetl implements provider API version 2 \(and still loads version 1\)/);
    expect(msg).toMatch(/capabilities\.merge, capabilities\.onConflict, .* must each be a boolean/);
    expect(msg).toMatch(/generator\.renderStep must be a function/);
    expect(() => validateProvider(undefined, "x")).toThrow(/not a provider object/);
  });

  it("reports a module that fails to import", async () => {
    const e = await loadProviderRegistry({ projectDir: project, configured: ["throws"] }).catch((x: unknown) => x);
    expect(code(e)).toBe("PROVIDER_INVALID");
    expect((e as Error).message).toMatch(/boom at import/);
  });

  it("rejects two providers with one name", async () => {
    const e = await loadProviderRegistry({ projectDir: project, configured: ["dup"] }).catch((x: unknown) => x);
    expect(code(e)).toBe("PROVIDER_DUPLICATE");
    expect((e as Error).message).toMatch(/built-in provider "duckdb" and package "omopetl-provider-dup"/);
    const twice = await loadProviderRegistry({ projectDir: project, configured: ["fake", "omopetl-provider-fake"] }).catch((x: unknown) => x);
    expect(code(twice)).toBe("PROVIDER_DUPLICATE");
  });
});
