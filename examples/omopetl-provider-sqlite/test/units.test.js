/** The provider's own pieces that the conformance suite does not reach alone. */
import { describe, expect, it } from "vitest";
import provider from "../src/index.js";
import { quotedFields } from "../src/csv-reader.js";

describe("quotedFields (empty quoted fields are '', unquoted ones NULL)", () => {
  it("says which fields of a raw record start with a quote", () => {
    expect(quotedFields('a,"",,"x,""y"",z",\n', ",", '"')).toEqual([false, true, false, true, false]);
    expect(quotedFields('"",', ",", '"')).toEqual([true, false]);
    expect(quotedFields("a||''||", "||", "'")).toEqual([false, true, false]);
  });
});

describe("checkTarget", () => {
  it("accepts every target's options and path", () => {
    expect(provider.checkTarget({ provider: "sqlite", path: "./omop.sqlite", schemas: { cdm: "c" }, indexes: true, retries: 2 })).toEqual([]);
  });

  it("reports an unknown key and a path that is not text", () => {
    expect(provider.checkTarget({ provider: "sqlite", pth: "x", path: 3 }).map((i) => [i.path, i.message])).toEqual([
      [["pth"], '"pth" is not an option of a sqlite target.'],
      [["path"], 'path is a database file, or ":memory:"'],
    ]);
  });

  it("refuses to connect with options it does not know", async () => {
    await expect(provider.connect({ provider: "sqlite", pth: "x" })).rejects.toThrow(/"pth" is not an option of a sqlite target/);
  });
});
