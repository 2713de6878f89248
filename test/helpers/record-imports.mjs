// Registered with `node --import`: records every module URL the process resolves, one per line, into
// $OMOPETL_IMPORT_LOG, so a test can prove what the CLI loads on start-up.
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(`
import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(process.env.OMOPETL_IMPORT_LOG)}, r.url + "\\n");
  return r;
}`),
);
