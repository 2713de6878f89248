/**
 * The options of a spark target, as a strict zod schema: an unknown key or a value out of range is a located
 * configuration error. One dialect, two connection methods (as dbt-spark has): `thrift` reaches a Spark Thrift server
 * (HiveServer2's TCLIService over TCP, npm hive-driver), `databricks` a Databricks SQL warehouse (the same service
 * over HTTPS with a bearer token, npm @databricks/sql).
 *
 * Options that only one method reads have no default in the schema, so that one given to the other method is
 * reported instead of silently ignored; {@link resolveSparkTarget} fills in the method's defaults.
 */
import { z } from "zod";
import { PortSchema, TARGET_COMMON_OPTIONS, TimeoutSecondsSchema } from "../target-options.js";

/** The connection methods of a spark target. */
export const SPARK_METHODS = ["thrift", "databricks"] as const;
export type SparkMethod = (typeof SPARK_METHODS)[number];

/** The catalog a Spark Thrift server's tables live in (Spark's session catalog, Delta's DeltaCatalog locally). */
export const SPARK_SESSION_CATALOG = "spark_catalog";

/** Options of each method, with what the other method would make of them. */
const THRIFT_ONLY = ["auth", "user", "password"] as const;
const DATABRICKS_ONLY = ["httpPath", "token", "schema", "caCertFile"] as const;

/** A catalog or schema name as Spark and Unity Catalog take it unquoted in a session's namespace. */
const NamespaceNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "letters, digits and _, not starting with a digit");

const SparkTargetObject = z.strictObject({
  ...TARGET_COMMON_OPTIONS,
  /** "thrift" (default): a Spark Thrift server. "databricks": a Databricks SQL warehouse (host, httpPath, token). */
  method: z.enum(SPARK_METHODS).default("thrift"),
  /** thrift: the Thrift server's address (default 127.0.0.1). databricks: the workspace host, required. */
  host: z.string().min(1).optional(),
  /** thrift: default 10000. databricks: HTTPS port, default 443. */
  port: PortSchema.optional(),
  /**
   * thrift only: the server's hive.server2.authentication: "plain" (default; SASL PLAIN: NONE or LDAP on the server;
   * the local server accepts any user) or "nosasl" (NOSASL on the server).
   */
  auth: z.enum(["plain", "nosasl"]).optional(),
  /** thrift only: PLAIN's user (default "omopetl"). */
  user: z.string().min(1).optional(),
  /** thrift only: PLAIN's password (default "omopetl"; the local server ignores it). */
  password: z.string().optional(),
  /** databricks only, required: the SQL warehouse's HTTP path ("/sql/1.0/warehouses/<id>", its Connection details). */
  httpPath: z.string().regex(/^\//, 'an HTTP path starts with "/" (e.g. /sql/1.0/warehouses/1234567890abcdef)').optional(),
  /** databricks only, required: a personal access token; write it as a secret reference (`${env:DATABRICKS_TOKEN}`). */
  token: z.string().min(1).optional(),
  /**
   * The session's catalog: two-part names (`schema`.`table`, what omopetl renders) resolve in it. thrift: only
   * "spark_catalog" (the default). databricks: a Unity Catalog catalog (`main`: tables are then main.<schema>.<table>);
   * default: the warehouse's default catalog.
   */
  catalog: NamespaceNameSchema.optional(),
  /** databricks only: the session's current schema (unqualified names); CDM tables go where `schemas:` maps them. */
  schema: NamespaceNameSchema.optional(),
  /**
   * databricks only: a PEM file of CA certificates trusted besides Node's built-in roots (a TLS-inspecting proxy, an
   * on-premises CA). Relative to the working directory. The server's certificate is always verified.
   */
  caCertFile: z.string().min(1).optional(),
  /** Most sessions open at once (concurrent steps); on thrift each is a TCP connection of its own. */
  poolSize: z.number().int().min(1).max(64).default(4),
  /** Milliseconds before the first retry (doubling after each). */
  retryDelayMs: z.number().int().min(0).max(600_000).default(500),
  /** Seconds to wait for the connection and the session to open. */
  connectTimeoutSeconds: TimeoutSecondsSchema.default(30),
});

/** Options of a spark target as written (checked; method defaults not yet filled in: {@link resolveSparkTarget}). */
export const SparkTargetSchema = SparkTargetObject.superRefine((t, ctx) => {
  const wrongMethod = t.method === "databricks" ? THRIFT_ONLY : DATABRICKS_ONLY;
  for (const key of wrongMethod) {
    if (t[key] === undefined) continue;
    ctx.addIssue({
      code: "custom",
      path: [key],
      message: `"${key}" is an option of method ${t.method === "databricks" ? "thrift" : "databricks"} only, and this target's method is ${t.method}`,
    });
  }
  if (t.method === "databricks") {
    if (t.host === undefined) ctx.addIssue({ code: "custom", path: ["host"], message: "method databricks needs the workspace host, e.g. adb-1234567890123456.7.azuredatabricks.net" });
    else if (/^[a-z]+:\/\/|\//i.test(t.host)) ctx.addIssue({ code: "custom", path: ["host"], message: "a host name only, without https:// or a path (the path is httpPath)" });
    if (t.httpPath === undefined) ctx.addIssue({ code: "custom", path: ["httpPath"], message: "method databricks needs the SQL warehouse's HTTP path (its Connection details), e.g. /sql/1.0/warehouses/1234567890abcdef" });
    if (t.token === undefined) ctx.addIssue({ code: "custom", path: ["token"], message: "method databricks needs a personal access token, written as a secret reference such as ${env:DATABRICKS_TOKEN}" });
  } else if (t.catalog !== undefined && t.catalog !== SPARK_SESSION_CATALOG) {
    ctx.addIssue({
      code: "custom",
      path: ["catalog"],
      message: `a Spark Thrift server target reads catalog "${SPARK_SESSION_CATALOG}" only (other catalogs of a Thrift server are not supported yet); Unity Catalog names need method databricks`,
    });
  }
});
/** A spark target's options as checked by {@link SparkTargetSchema}. */
export type SparkTargetOptions = z.infer<typeof SparkTargetSchema>;

/** A thrift target with its defaults filled in. */
export type SparkTarget = SparkTargetOptions & {
  method: "thrift";
  host: string;
  port: number;
  auth: "plain" | "nosasl";
  user: string;
  password: string;
  catalog: string;
};

/** A databricks target with its defaults filled in. */
export type DatabricksTarget = SparkTargetOptions & {
  method: "databricks";
  host: string;
  port: number;
  httpPath: string;
  token: string;
};

/** The options with the defaults of their method: the thrift defaults reach the server `scripts/services.sh up spark` starts. */
export function resolveSparkTarget(t: SparkTargetOptions): SparkTarget | DatabricksTarget {
  if (t.method === "databricks") {
    // The schema's refinement made these present; checked again so a caller skipping it fails here, not on the wire.
    if (t.host === undefined || t.httpPath === undefined || t.token === undefined) throw new Error("a databricks target needs host, httpPath and token");
    return { ...t, method: "databricks", host: t.host, port: t.port ?? 443, httpPath: t.httpPath, token: t.token };
  }
  return {
    ...t,
    method: "thrift",
    host: t.host ?? "127.0.0.1",
    port: t.port ?? 10000,
    auth: t.auth ?? "plain",
    user: t.user ?? "omopetl",
    password: t.password ?? "omopetl",
    catalog: t.catalog ?? SPARK_SESSION_CATALOG,
  };
}
