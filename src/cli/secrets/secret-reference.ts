import { secretReferenceInvalid } from "./secret-errors.js";

/**
 * Secret references in option values: `${scheme:reference}` anywhere in a string (`postgres://etl:${env:PW}@db/omop`),
 * `$${` for a literal `${`.
 */

/** One `${scheme:ref}` in a string. */
export interface SecretReference {
  scheme: string;
  ref: string;
  /** The reference as written, e.g. `${env:PGPASSWORD}`: what messages show instead of the value. */
  text: string;
}

/** A string split into literal text and references. */
export type SecretTemplate = ReadonlyArray<string | SecretReference>;

const SCHEME = /^[a-z][a-z0-9_-]*$/;

/** Splits `value` into literal parts and references. @throws SECRET_REFERENCE_INVALID on a malformed `${...}`. */
export function parseSecretTemplate(value: string, where: string): SecretTemplate {
  const parts: Array<string | SecretReference> = [];
  let literal = "";
  let i = 0;
  while (i < value.length) {
    if (value.startsWith("$${", i)) {
      literal += "${";
      i += 3;
      continue;
    }
    if (!value.startsWith("${", i)) {
      literal += value[i];
      i++;
      continue;
    }
    const end = value.indexOf("}", i + 2);
    if (end < 0) throw secretReferenceInvalid(where, `"${value.slice(i, i + 20)}..." has no closing }`);
    const body = value.slice(i + 2, end);
    const colon = body.indexOf(":");
    const text = value.slice(i, end + 1);
    if (colon < 0) throw secretReferenceInvalid(where, `${text} names no scheme${/^[A-Za-z_][A-Za-z0-9_]*$/.test(body) ? ` (an environment variable is \${env:${body}})` : ""}`);
    const scheme = body.slice(0, colon);
    const ref = body.slice(colon + 1);
    if (!SCHEME.test(scheme)) throw secretReferenceInvalid(where, `${text}: "${scheme}" is not a scheme (lower-case letters, digits, - and _)`);
    if (ref === "") throw secretReferenceInvalid(where, `${text} names nothing after "${scheme}:"`);
    if (literal) parts.push(literal);
    literal = "";
    parts.push({ scheme, ref, text });
    i = end + 1;
  }
  if (literal || parts.length === 0) parts.push(literal);
  return parts;
}

/** True when the template has at least one reference. */
export function hasReferences(template: SecretTemplate): boolean {
  return template.some((p) => typeof p !== "string");
}

/** The template's text with its references as written (what a description may show): `$${` stays escaped. */
export function templateText(template: SecretTemplate): string {
  return template.map((p) => (typeof p === "string" ? p.split("${").join("$${") : p.text)).join("");
}

/** Every string of a JSON-like value with where it is (`targets.x.url`, `targets.x.ssl.ca`, `targets.x.hosts[0]`). */
export function* stringsOf(value: unknown, where: string): Generator<{ where: string; value: string }> {
  if (typeof value === "string") yield { where, value };
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* stringsOf(v, `${where}[${i}]`);
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) yield* stringsOf(v, `${where}.${k}`);
}

/** `value` with every string replaced by `f(string, where)` (arrays and plain objects copied). */
export async function mapStrings(value: unknown, where: string, f: (s: string, where: string) => Promise<string>): Promise<unknown> {
  if (typeof value === "string") return f(value, where);
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => mapStrings(v, `${where}[${i}]`, f)));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await mapStrings(v, `${where}.${k}`, f);
    return out;
  }
  return value;
}
