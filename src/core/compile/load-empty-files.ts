import { statSync } from "node:fs";
import { globSync } from "tinyglobby";

const URI = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The local files of one `files:` entry (a path or a glob, expanded and sorted) that are 0 bytes long, read at
 * compile time so that an empty file (src/core/load/empty-file.ts) is a located error before anything
 * runs. Remote URIs and files that are not there (yet) are skipped: the engine checks the same when the plan runs
 * (src/providers/base/load-empty-file.ts).
 */
export function emptyLocalFiles(file: string): string[] {
  if (URI.test(file) && !file.startsWith("file://")) return [];
  const p = file.replace(/^file:\/\//, "");
  const matches = /[*?[\]{}]/.test(p) ? globSync(p, { absolute: true }).sort() : [p];
  return matches.filter((m) => {
    try {
      const st = statSync(m);
      return st.isFile() && st.size === 0;
    } catch {
      return false;
    }
  });
}
