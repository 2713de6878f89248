/**
 * Every relative link in the documentation the npm package ships (docs/*.md, the example provider's README) points
 * at a file that is in the package, as `npm pack --dry-run` lists it: a reader of the installed package (or of its
 * page on npm) never follows a link to a file that is not there, such as a test fixture.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/paths.js";

/** The files `npm pack` would publish, relative to the repository root. */
function packedFiles(): Set<string> {
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`npm pack --dry-run failed: ${r.stderr}`);
  const [pack] = JSON.parse(r.stdout) as [{ files: { path: string }[] }];
  return new Set(pack.files.map((f) => f.path));
}

/** Relative link targets of a markdown file (web links, anchors within the page and mail addresses left out). */
export function relativeLinks(markdown: string): string[] {
  const out: string[] = [];
  // Fenced code blocks hold examples, not links.
  const text = markdown.replace(/```[\s\S]*?```/g, "");
  for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
    out.push(target.split("#")[0]!);
  }
  return out;
}

describe("documentation links", () => {
  const files = packedFiles();
  const docs = [...files].filter((f) => (f.startsWith("docs/") && f.endsWith(".md")) || f === "examples/omopetl-provider-sqlite/README.md");

  it("ship the provider guide, the semantics catalogue and the example provider", () => {
    expect(docs).toEqual(expect.arrayContaining(["docs/writing-a-provider.md", "docs/semantics.md", "examples/omopetl-provider-sqlite/README.md"]));
    expect([...files]).toEqual(expect.arrayContaining(["examples/omopetl-provider-sqlite/src/sqlite-generator.js", "examples/omopetl-provider-sqlite/package.json"]));
    // the example's installed dependencies are not published with omopetl
    expect([...files].filter((f) => f.includes("node_modules"))).toEqual([]);
  });

  it("resolve to files in the npm package", () => {
    const broken: string[] = [];
    for (const doc of docs) {
      for (const target of relativeLinks(readFileSync(path.join(repoRoot, doc), "utf8"))) {
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(doc), target));
        const isDir = [...files].some((f) => f.startsWith(`${resolved.replace(/\/$/, "")}/`));
        if (!files.has(resolved) && !isDir) broken.push(`${doc}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("are found by the link scanner, which skips web links, anchors and code blocks", () => {
    const md = "[a](x.md) [b](https://e.org/y) [c](#top) [d](../z.ts#L3)\n```\n[e](not-a-link.md)\n```\n";
    expect(relativeLinks(md)).toEqual(["x.md", "../z.ts"]);
  });
});
