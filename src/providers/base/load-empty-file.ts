import type { LoadBody } from "../../core/model/plan.js";
import { emptyFileText } from "../../core/load/empty-file.js";

/**
 * LOAD_EMPTY_FILE's message as SQL text (the same text on every engine, see src/core/load/empty-file.ts), for the
 * 0-byte file named by the SQL text expression `file`.
 */
export function emptyFileMessage(lit: (s: string) => string, file: string, body: LoadBody): string {
  const t = emptyFileText(body.format.type === "parquet" || body.format.header);
  return `${lit("LOAD_EMPTY_FILE: ")} || ${file} || ${lit(` ${t.reason}. ${t.fix}`)}`;
}
