import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/compile/canonical-json.js";

/** The reference: sort a copy's keys, drop undefined members, JSON.stringify. */
function reference(v: unknown, indent: number): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : x && typeof x === "object"
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
              .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
          )
        : x;
  return JSON.stringify(sort(v), null, indent);
}

describe("canonicalJson", () => {
  const value = { b: [1, { z: 'q"\n', a: null, u: undefined }, [], {}], a: { y: true, x: 1.5 }, e: [], f: {}, g: "é\u0001" };
  it("equals sorted JSON.stringify, compact and indented", () => {
    for (const indent of [0, 2]) expect(canonicalJson(value, indent)).toBe(reference(value, indent));
  });
  it("does not depend on the order keys were inserted", () => {
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
  });
});
