import { z } from "zod";

/** Longest timeout in seconds: Node's timers overflow past 2^31-1 ms (24.8 days), so 24 days is the cap. */
export const MAX_TIMER_SECONDS = 24 * 24 * 3600;
const TimeoutSeconds = z
  .number()
  .positive()
  .max(MAX_TIMER_SECONDS, `at most ${MAX_TIMER_SECONDS} seconds (24 days: Node's timers cannot wait longer)`);

const Identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an identifier (letters, digits, _)");

/** A typed workflow parameter. `path` values given on the command line resolve against the working directory. */
export const ParamDeclSchema = z.strictObject({
  type: z.enum(["string", "path", "integer", "number", "boolean"]).default("string"),
  description: z.string().optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  /** A regular expression the whole value must match (checked at compile time); allows `${raw:params.x}` in sql. */
  pattern: z.string().min(1).optional(),
  /** The only values allowed; allows `${raw:params.x}` in sql. */
  enum: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional(),
});
export type ParamDecl = z.infer<typeof ParamDeclSchema>;

export const WorkflowStepSchema = z.strictObject({
  /** A DML file or a glob of DML files, relative to the workflow file. */
  dml: z.string().min(1),
  /** Step name; defaults to the file stem. Not allowed with a glob that matches several files. */
  name: Identifier.optional(),
  depends_on: z.array(Identifier).optional(),
  retries: z.number().int().min(0).max(100).optional(),
  timeout_seconds: TimeoutSeconds.optional(),
});
export type WorkflowStep = z.infer<typeof WorkflowStepSchema>;

/** The workflow file: which DML files make up the ETL, with parameters and logical schemas. */
export const WorkflowSchema = z.strictObject({
  name: Identifier.or(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "must be a name (letters, digits, _ . -)")),
  description: z.string().optional(),
  cdm_version: z.enum(["5.3", "5.4"]),
  params: z.record(Identifier, ParamDeclSchema).optional(),
  /** Logical schema -> default physical schema. source, staging, cdm and vocab always exist. */
  schemas: z.record(Identifier, Identifier).optional(),
  /** Tables that exist before the workflow runs (read, never written by a step), as `schema.table`. */
  external: z.array(z.string()).optional(),
  defaults: z
    .strictObject({ retries: z.number().int().min(0).max(100).optional(), timeout_seconds: TimeoutSeconds.optional() })
    .optional(),
  steps: z.array(WorkflowStepSchema).min(1),
});
export type Workflow = z.infer<typeof WorkflowSchema>;
