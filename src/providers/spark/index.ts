/**
 * The Spark provider (issue 17), first stage: the connection to a Spark Thrift server with Delta Lake. Not a
 * registered provider yet: its SQL generator comes next.
 */
export { connectSpark } from "./spark-connection.js";
export { classifySparkError, cleanSparkMessage, isDeltaConflict, SparkSqlError } from "./spark-errors.js";
export { SparkTargetSchema, type SparkTarget } from "./spark-target.js";
export { convertSparkValue, sparkRows } from "./spark-values.js";
