import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";

/** YAML that does not parse. */
export function yamlSyntax(location: SourceLocation, detail: string): Diagnostic {
  return { code: "YAML_SYNTAX", severity: "error", location, message: `invalid YAML: ${detail}`, hint: "Fix the YAML syntax at this position (indentation, quoting, a missing ':')." };
}

/** The same key twice in one mapping: YAML parsers silently keep one, we refuse. */
export function yamlDuplicateKey(location: SourceLocation, key: string): Diagnostic {
  return { code: "DUPLICATE_KEY", severity: "error", location, message: `"${key}" is defined twice in the same mapping.`, hint: "Remove or rename one of the two entries." };
}
