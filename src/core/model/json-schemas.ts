import { z } from "zod";
import { canonicalJson } from "../compile/canonical-json.js";
import { DdlDmlSchema, LoadDmlSchema, LoadTablesDmlSchema, SqlDmlSchema, TransformDmlSchema } from "./dml-schema.js";
import { EraDmlSchema, ObservationPeriodDmlSchema } from "./derivation-dml-schema.js";
import { CompiledWorkflowPlanSchema } from "./plan.js";
import { WorkflowSchema } from "./workflow-schema.js";

const BASE = "https://omopetl.dev/schemas/";

/**
 * The JSON Schemas published in `schemas/` (for editors: yaml-language-server, VS Code), generated from the zod
 * schemas so they cannot drift (a test compares them with the committed files).
 */
export function jsonSchemas(): Record<string, string> {
  const gen = (schema: z.ZodType, id: string, title: string, io: "input" | "output") =>
    canonicalJson({ ...z.toJSONSchema(schema, { io, unrepresentable: "any" }), $id: `${BASE}${id}`, title }, 2) + "\n";
  const dml = z.union([LoadDmlSchema, LoadTablesDmlSchema, TransformDmlSchema, SqlDmlSchema, DdlDmlSchema, EraDmlSchema, ObservationPeriodDmlSchema]);
  return {
    "compiled-workflow-plan.schema.json": gen(CompiledWorkflowPlanSchema, "compiled-workflow-plan.schema.json", "omopetl CompiledWorkflowPlan", "output"),
    "workflow.schema.json": gen(WorkflowSchema, "workflow.schema.json", "omopetl workflow", "input"),
    "dml.schema.json": gen(dml, "dml.schema.json", "omopetl DML (load | transform | sql | ddl | era | observation_period)", "input"),
  };
}
