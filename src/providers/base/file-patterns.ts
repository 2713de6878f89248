/** Helpers for the file names of load steps: URI schemes and glob patterns. */

/** The URI scheme of `file` ("s3" for s3://bucket/x), or undefined for a plain path. */
export function uriScheme(file: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(file);
  return m ? m[1]!.toLowerCase() : undefined;
}

/** A file:// URI as a plain local path (percent-decoded); anything else unchanged. */
export function localPath(file: string): string {
  if (uriScheme(file) !== "file") return file;
  const rest = file.slice("file://".length);
  // file:///abs/path (empty host) or file://localhost/abs/path
  const path = rest.startsWith("/") ? rest : rest.replace(/^localhost(?=\/)/i, "");
  return decodeURIComponent(path);
}

const GLOB_CHARS = /[*?[]/;

/** True when `path` has glob characters (`*`, `?`, `[`). */
export function hasGlob(path: string): boolean {
  return GLOB_CHARS.test(path);
}

/** Splits a path into its directory and last segment ("/a/b/*.csv" -> "/a/b", "*.csv"). */
export function splitDirectory(path: string): { dir: string; base: string } {
  const i = path.lastIndexOf("/");
  if (i < 0) return { dir: ".", base: path };
  return { dir: i === 0 ? "/" : path.slice(0, i), base: path.slice(i + 1) };
}

/**
 * A POSIX regular expression (also valid in JavaScript) matching exactly the names `pattern` matches:
 * `*` any run of characters, `?` one character, `[abc]`/`[!abc]`/`[a-z]` a class. Dot files are matched too.
 * @returns undefined when the pattern is malformed (unclosed class).
 */
export function globToRegex(pattern: string): string | undefined {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else if (ch === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) return undefined;
      let body = pattern.slice(i + 1, close);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      re += `[${negated ? "^" : ""}${body.replace(/[\\\]]/g, (c) => `\\${c}`)}]`;
      i = close;
    } else re += ch.replace(/[.+^${}()|\\]/g, (c) => `\\${c}`);
  }
  return `${re}$`;
}
