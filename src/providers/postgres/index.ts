import { PROVIDER_API_VERSION, type Provider } from "../provider-api.js";
import { checkTargetOptions, PostgresTargetSchema } from "../target-options.js";
import { connectPostgres } from "./postgres-connection.js";
import { POSTGRES_CAPABILITIES, PostgresGenerator } from "./postgres-generator.js";

export { PostgresGenerator, POSTGRES_CAPABILITIES } from "./postgres-generator.js";
export { PostgresTargetSchema, connectPostgres, isTransientPostgresError } from "./postgres-connection.js";
export type { PostgresTarget } from "./postgres-connection.js";

/** The built-in PostgreSQL provider (PostgreSQL >= 15 through pg, loaded on connect). */
export const postgresProvider: Provider = {
  name: "postgres",
  apiVersion: PROVIDER_API_VERSION,
  dialect: "postgres",
  capabilities: POSTGRES_CAPABILITIES,
  generator: new PostgresGenerator(),
  checkTarget: (options) => checkTargetOptions(PostgresTargetSchema, options),
  connect: connectPostgres,
};
