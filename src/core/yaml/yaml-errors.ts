import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";

/** YAML that does not parse. */
export function yamlSyntax(location: SourceLocation, detail: string): Diagnostic {
  return { code: "YAML_SYNTAX", severity: "error", location, message: `invalid YAML: ${detail}`, hint: "Fix the YAML syntax at this position (indentation, quoting, a missing ':')." };
}

/** The same key twice in one mapping: YAML parsers silently keep one, we refuse. */
export function yamlDuplicateKey(location: SourceLocation, key: string): Diagnostic {
  return { code: "DUPLICATE_KEY", severity: "error", location, message: `"${key}" is defined twice in the same mapping.`, hint: "Remove or rename one of the two entries." };
}

/** YAML nested deeper than MAX_YAML_DEPTH: no omopetl file needs it, and the parsers recurse over it. */
export function yamlTooDeep(location: SourceLocation, limit: number): Diagnostic {
  return { code: "YAML_TOO_DEEP", severity: "error", location, message: `the YAML nests more than ${limit} levels deep.`, hint: "No workflow, DML or configuration file needs this depth; flatten it." };
}

/** An alias (`*x`) without its anchor (`&x`) before it, or aliases that expand to an enormous document. */
export function yamlAlias(location: SourceLocation, detail: string): Diagnostic {
  return { code: "YAML_ALIAS", severity: "error", location, message: detail, hint: "Define the anchor (&name) before its alias (*name), or write the value out." };
}

/** A YAML number that a double cannot hold exactly (1e999 is infinite; 9007199254740993 loses its last digit). */
export function yamlNumber(location: SourceLocation, shown: string, why: string): Diagnostic {
  return { code: "NUMBER_OUT_OF_RANGE", severity: "error", location, message: `the number ${shown} ${why}.`, hint: "Quote it to keep it as text, or write a number that fits a double (integers below 2^53)." };
}
