import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted and `undefined` members dropped, so equal content always gives equal bytes (and
 * equal fingerprints), whatever order objects were built in. Written directly rather than by sorting a copy and
 * calling JSON.stringify: plans of 10,000 steps are serialised several times per compile.
 */
export function canonicalJson(value: unknown, indent = 0): string {
  const out: string[] = [];
  write(value, indent > 0 ? " ".repeat(indent) : "", "", out);
  return out.join("");
}

function write(v: unknown, step: string, pad: string, out: string[]): void {
  if (v === null || typeof v !== "object") {
    out.push(v === undefined ? "null" : JSON.stringify(v));
    return;
  }
  const inner = pad + step;
  const nl = step ? "\n" : "";
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push("[]");
      return;
    }
    out.push("[", nl);
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(",", nl);
      out.push(inner);
      write(v[i] === undefined ? null : v[i], step, inner, out);
    }
    out.push(nl, pad, "]");
    return;
  }
  const keys = Object.keys(v)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  if (keys.length === 0) {
    out.push("{}");
    return;
  }
  out.push("{", nl);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out.push(",", nl);
    out.push(inner, JSON.stringify(keys[i]), step ? ": " : ":");
    write((v as Record<string, unknown>)[keys[i]!], step, inner, out);
  }
  out.push(nl, pad, "}");
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
