/**
 * The options of a spark target (a Spark Thrift server, HiveServer2 protocol over TCP), as a strict zod schema: an
 * unknown key or a value out of range is a located configuration error.
 */
import { z } from "zod";
import { PortSchema, TARGET_COMMON_OPTIONS, TimeoutSecondsSchema } from "../target-options.js";

/** Options of a spark target. Defaults reach the server `scripts/services.sh up spark` starts. */
export const SparkTargetSchema = z.strictObject({
  ...TARGET_COMMON_OPTIONS,
  host: z.string().min(1).default("127.0.0.1"),
  port: PortSchema.default(10000),
  /**
   * The server's hive.server2.authentication: "plain" (SASL PLAIN: NONE or LDAP on the server; the local server
   * accepts any user) or "nosasl" (NOSASL on the server).
   */
  auth: z.enum(["plain", "nosasl"]).default("plain"),
  user: z.string().min(1).default("omopetl"),
  /** PLAIN's password (the local server ignores it). */
  password: z.string().default("omopetl"),
  /** Most Thrift sessions open at once (concurrent steps); each is a TCP connection of its own. */
  poolSize: z.number().int().min(1).max(64).default(4),
  /** Milliseconds before the first retry (doubling after each). */
  retryDelayMs: z.number().int().min(0).max(600_000).default(500),
  /** Seconds to wait for the TCP connection and the session to open. */
  connectTimeoutSeconds: TimeoutSecondsSchema.default(30),
});
export type SparkTarget = z.infer<typeof SparkTargetSchema>;
