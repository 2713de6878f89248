/**
 * omopetl-provider-sqlite: an omopetl provider for SQLite, the engine OHDSI's Eunomia ships its test CDMs in.
 *
 * ```yaml
 * # omopetl.config.yaml
 * providers: [omopetl-provider-sqlite]
 * targets:
 *   local: { provider: sqlite, path: ./omop.sqlite }
 * ```
 *
 * Written against omopetl's public API only: `omopetl/provider` (the generator base class, errors and helpers) and
 * `omopetl/provider/conformance` (its tests). docs/writing-a-provider.md in omopetl walks through it.
 */
import { PROVIDER_API_VERSION } from "omopetl/provider";
import { SQLITE_CAPABILITIES } from "./sqlite-capabilities.js";
import { SqliteGenerator } from "./sqlite-generator.js";
import { checkSqliteTarget } from "./target-options.js";

export { SqliteGenerator } from "./sqlite-generator.js";
export { SQLITE_CAPABILITIES } from "./sqlite-capabilities.js";

/** The provider omopetl imports. */
export const provider = {
  name: "sqlite",
  apiVersion: PROVIDER_API_VERSION,
  dialect: "sqlite",
  capabilities: SQLITE_CAPABILITIES,
  generator: new SqliteGenerator(),
  /** An unknown option or a bad path, reported at its line in omopetl.config.yaml before anything runs. */
  checkTarget(options) {
    return checkSqliteTarget(options);
  },
  /** Imported here, lazily: commands that only generate SQL never load better-sqlite3. */
  async connect(target) {
    const { connectSqlite } = await import("./sqlite-connection.js");
    return connectSqlite(target);
  },
};

export default provider;
