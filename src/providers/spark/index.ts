/**
 * The Spark provider (issue 17): Spark SQL on Delta Lake through a Spark Thrift server or a Databricks SQL
 * warehouse; a built-in provider (registry.ts) named `spark`.
 */
import { PROVIDER_API_VERSION, type Provider } from "../provider-api.js";
import { checkTargetOptions } from "../target-options.js";
import { connectSpark } from "./spark-connection.js";
import { classifySparkError } from "./spark-errors.js";
import { SPARK_CAPABILITIES, SparkGenerator } from "./spark-generator.js";
import { SparkTargetSchema } from "./spark-target.js";

export { connectSpark } from "./spark-connection.js";
export { classifySparkError, cleanSparkMessage, isDeltaConflict, SparkSqlError } from "./spark-errors.js";
export { SparkGenerator, SPARK_CAPABILITIES } from "./spark-generator.js";
export { SparkTargetSchema, type SparkTarget } from "./spark-target.js";
export { convertSparkValue, sparkRows } from "./spark-values.js";

/** The Spark provider (the npm package hive-driver, an optional dependency, loaded on connect). */
export const sparkProvider: Provider = {
  name: "spark",
  apiVersion: PROVIDER_API_VERSION,
  dialect: "spark",
  capabilities: SPARK_CAPABILITIES,
  generator: new SparkGenerator(),
  checkTarget: (options) => checkTargetOptions(SparkTargetSchema, options),
  connect: connectSpark,
  classifyError: classifySparkError,
};
