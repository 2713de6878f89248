/**
 * No source file under src/providers grows past ~400 lines (issue 15: the generator and the provider API in rooms,
 * so a change to one concern does not collide with another). The limit is 450 to leave room for a doc comment; a
 * file past it is split along a seam a reader would name (see ARCHITECTURE.md, "The generator's rooms").
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PROVIDERS = fileURLToPath(new URL("../../src/providers", import.meta.url));
const MAX_LINES = 450;

/** Every .ts file under `dir`, relative to it. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const lineCount = (file: string): number => readFileSync(file, "utf8").split("\n").length;

describe("src/providers file sizes", () => {
  it(`no file under src/providers is over ${MAX_LINES} lines`, () => {
    const files = sourceFiles(PROVIDERS);
    // the walk must see the nested folders (base/, api/, conformance/suite/...), or the check proves nothing
    expect(files).toContain(path.join("conformance", "suite", "suite-context.ts"));
    expect(files).toContain(path.join("base", "base-generator.ts"));
    const over = files.map((f) => ({ file: f, lines: lineCount(path.join(PROVIDERS, f)) })).filter((f) => f.lines > MAX_LINES);
    expect(over, "split these files along a seam a reader would name (one concept per file)").toEqual([]);
  });
});
