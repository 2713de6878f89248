import { PROVIDER_API_VERSION, type Provider } from "../provider-api.js";
import { checkTargetOptions, DuckDbTargetSchema } from "../target-options.js";
import { connectDuckDb } from "./duckdb-connection.js";
import { DUCKDB_CAPABILITIES, DuckDbGenerator } from "./duckdb-generator.js";

export { DuckDbGenerator, DUCKDB_CAPABILITIES } from "./duckdb-generator.js";
export { DuckDbTargetSchema, connectDuckDb, isDuckDbConflict } from "./duckdb-connection.js";
export type { DuckDbTarget } from "./duckdb-connection.js";

/** The built-in DuckDB provider (DuckDB >= 1.5 through @duckdb/node-api, loaded on connect). */
export const duckdbProvider: Provider = {
  name: "duckdb",
  apiVersion: PROVIDER_API_VERSION,
  dialect: "duckdb",
  capabilities: DUCKDB_CAPABILITIES,
  generator: new DuckDbGenerator(),
  checkTarget: (options) => checkTargetOptions(DuckDbTargetSchema, options),
  connect: connectDuckDb,
};
