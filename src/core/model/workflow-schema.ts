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
  type: z.enum(["string", "path", "integer", "number", "boolean"]).default("string").describe("The value's type (default string); a path given on the command line resolves against the working directory."),
  description: z.string().optional().describe("What the parameter is, shown by omopetl and editors."),
  default: z.union([z.string(), z.number(), z.boolean()]).optional().describe("The value when neither --param nor the configuration gives one; without it the parameter is required."),
  /** A regular expression the whole value must match (checked at compile time); allows `${raw:params.x}` in sql. */
  pattern: z.string().min(1).optional().describe("A regular expression the whole value must match (checked at compile time); allows ${raw:params.x} in sql."),
  /** The only values allowed; allows `${raw:params.x}` in sql. */
  enum: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional().describe("The only values allowed; allows ${raw:params.x} in sql."),
});
export type ParamDecl = z.infer<typeof ParamDeclSchema>;

export const WorkflowStepSchema = z.strictObject({
  /** A DML file or a glob of DML files, relative to the workflow file. */
  dml: z.string().min(1).describe("A DML file or a glob of DML files, relative to the workflow file; each file is one step."),
  /** Step name; defaults to the file stem. Not allowed with a glob that matches several files. */
  name: Identifier.optional().describe("The step's name; default the file stem. Not allowed with a glob matching several files."),
  depends_on: z.array(Identifier).optional().describe("Steps that must finish first, besides those the step's reads and writes already order."),
  retries: z.number().int().min(0).max(100).optional().describe("Retries of a transient failure (a lost connection, a serialization conflict)."),
  timeout_seconds: TimeoutSeconds.optional().describe("The step is cancelled after this many seconds."),
});
export type WorkflowStep = z.infer<typeof WorkflowStepSchema>;

/** The workflow file: which DML files make up the ETL, with parameters and logical schemas. */
export const WorkflowSchema = z.strictObject({
  name: Identifier.or(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "must be a name (letters, digits, _ . -)")).describe("The workflow's name (letters, digits, _ . -), recorded with every run."),
  description: z.string().optional().describe("What the ETL does, for readers."),
  cdm_version: z.enum(["5.3", "5.4"]).describe("The OMOP CDM version whose specification the steps are checked against."),
  params: z.record(Identifier, ParamDeclSchema).optional().describe("Parameters, name -> { type, default, ... }, used as ${params.name} in DML files."),
  /** Logical schema -> default physical schema. source, staging, cdm and vocab always exist. */
  schemas: z.record(Identifier, Identifier).optional().describe("Logical schema -> default physical schema (source, staging, cdm and vocab always exist); targets may map them again."),
  /** Tables that exist before the workflow runs (read, never written by a step), as `schema.table`. */
  external: z.array(z.string()).optional().describe("Tables that exist before the workflow runs (read, never written by a step), as schema.table."),
  defaults: z
    .strictObject({
      retries: z.number().int().min(0).max(100).optional().describe("Retries of a transient failure, for every step that sets none."),
      timeout_seconds: TimeoutSeconds.optional().describe("The timeout of every step that sets none, in seconds."),
    })
    .optional()
    .describe("Defaults of every step: retries, timeout_seconds."),
  steps: z.array(WorkflowStepSchema).min(1).describe("The DML files of the ETL, each a step: { dml, name?, depends_on?, retries?, timeout_seconds? }; run in the order their reads and writes give."),
});
export type Workflow = z.infer<typeof WorkflowSchema>;
