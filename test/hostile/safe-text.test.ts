import { describe, expect, it } from "vitest";
import { closest } from "../../src/core/diagnostics/did-you-mean.js";
import { codeFrame } from "../../src/core/diagnostics/format.js";
import { boundMessage, escapeControl, escapeJsonText } from "../../src/core/diagnostics/safe-text.js";
import { decodeUtf8 } from "../../src/core/files/read-text-file.js";

/** The pieces behind bounded, inert output and strict decoding, at the edges the CLI corpus cannot pin exactly. */
describe("safe text", () => {
  it("escapes C0 (but tab and newline), DEL, C1 and bidi controls", () => {
    expect(escapeControl("a\x1b[2Jb\x07c\x7f\x9b\u202e\td\ne")).toBe("a\\x1B[2Jb\\x07c\\x7F\\x9B\\u202E\td\ne");
    expect(escapeControl("x\ny\tz", { newlines: true })).toBe("x\\ny\\tz");
  });

  it("cuts long words with a count and the whole message at 1000 characters", () => {
    const m = boundMessage(`"${"x".repeat(5000)}" is not a column`);
    expect(m).toBe(`"${"x".repeat(199)}…(4802 more characters) is not a column`);
    const long = boundMessage("word ".repeat(1000));
    expect(long.length).toBeLessThan(1100);
    expect(long).toMatch(/…\(4000 more characters\)$/);
  });

  it("escapes in JSON text only what JSON.stringify leaves raw, keeping the same value", () => {
    const json = JSON.stringify({ e: "a\x1b\x7f\x85\u2028b" });
    const safe = escapeJsonText(json);
    expect(safe).not.toMatch(/[\x7f-\x9f\u2028]/);
    expect(JSON.parse(safe)).toEqual(JSON.parse(json));
  });
});

describe("code frames", () => {
  it("keeps the caret under the column when the line is cut around it", () => {
    const line = "a".repeat(5000) + "ERR" + "b".repeat(5000);
    const frame = codeFrame(`first\n${line}\nlast`, 2, 5001, 2, 5004).split("\n");
    const src = frame[1]!;
    const caret = frame[2]!;
    expect(src.length).toBeLessThan(260);
    expect(src).toContain("…(4920 characters) ");
    expect(src).toMatch(/…\(4923 more characters\)$/);
    expect(src.slice(caret.indexOf("^"), caret.indexOf("^") + 3)).toBe("ERR");
    expect(caret).toMatch(/\| +\^\^\^$/);
  });

  it("keeps the caret under the column after escaped control characters", () => {
    const frame = codeFrame("x: \x1b\x07 oops", 1, 7, 1, 11).split("\n");
    expect(frame[0]).toBe("> 1 | x: \\x1B\\x07 oops");
    expect(frame[0]!.slice(frame[1]!.indexOf("^"), frame[1]!.lastIndexOf("^") + 1)).toBe("oops");
  });
});

describe("strict UTF-8", () => {
  it("drops a UTF-8 byte-order mark", () => {
    expect(decodeUtf8(Buffer.from("\ufeffkind: load\n", "utf8"), "f.yaml")).toEqual({ ok: true, text: "kind: load\n" });
  });

  it("locates the first invalid byte in characters, after multibyte ones", () => {
    const r = decodeUtf8(Buffer.concat([Buffer.from("a: 1\nb: éé", "utf8"), Buffer.from([0xff]), Buffer.from("\n")]), "f.yaml");
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.diagnostic.code, r.diagnostic.location?.line, r.diagnostic.location?.column]).toEqual(["INVALID_ENCODING", 2, 6]);
  });

  it("refuses UTF-16 and NUL bytes", () => {
    for (const bytes of [Buffer.from([0xff, 0xfe, 0x61, 0]), Buffer.from([0xfe, 0xff, 0, 0x61]), Buffer.from("a\0b")]) {
      const r = decodeUtf8(bytes, "f.yaml");
      expect(r.ok ? "ok" : r.diagnostic.code).toBe("INVALID_ENCODING");
    }
  });
});

describe("did-you-mean bounds", () => {
  it("suggests as before for ordinary names, nothing for absurdly long ones", () => {
    expect(closest("gender_concept", ["gender_concept_id", "race_concept_id"])).toBe("gender_concept_id");
    expect(closest("year_of_brith", ["year_of_birth", "month_of_birth"])).toBe("year_of_birth");
    expect(closest("x".repeat(129), ["x".repeat(128)])).toBeUndefined();
  });
});
