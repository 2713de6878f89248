/**
 * The options of a sqlite target: every target's (`provider`, `schemas`, `indexes`, `retries`) and `path`. Checked
 * without zod: the example depends on nothing of omopetl's but its API.
 */
import { TARGET_COMMON_OPTIONS } from "omopetl/provider";

const OPTIONS = [...Object.keys(TARGET_COMMON_OPTIONS), "path"];

/**
 * Problems of a target's options (Provider.checkTarget), which omopetl reports at their line in the configuration
 * file before anything runs; none when they are valid.
 */
export function checkSqliteTarget(options) {
  const issues = [];
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) issues.push({ path: [key], message: `"${key}" is not an option of a sqlite target.`, hint: `Its options are: ${OPTIONS.join(", ")}.`, unknownKey: true });
  }
  if (options.path !== undefined && (typeof options.path !== "string" || options.path === "")) {
    issues.push({ path: ["path"], message: 'path is a database file, or ":memory:"' });
  }
  return issues;
}
