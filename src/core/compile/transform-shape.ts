import type { z } from "zod";
import { TransformDmlSchema } from "../model/dml-schema.js";

const options = (TransformDmlSchema as unknown as { options: [z.ZodType, z.ZodType] }).options;

/**
 * A transform is a single select or a union_all; validating against the union would report both branches' errors,
 * so pick the branch the user meant (union_all present or not) and validate against it alone.
 */
export function transformSchemaFor(value: object): z.ZodType {
  return "union_all" in value ? options[1] : options[0];
}
