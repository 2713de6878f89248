import { describe, expect, it } from "vitest";
import { isDateFormatProblem, parseDateFormat, twoDigitYear } from "../../src/core/load/date-format.js";

/** The date format grammar (src/core/load/date-format.ts): the regex each format becomes and what it refuses. */
describe("date format grammar", () => {
  const parsed = (f: string, kind: "date" | "datetime" = "date") => {
    const p = parseDateFormat(f, kind);
    if (isDateFormatProblem(p)) throw new Error(p.message);
    return p;
  };
  const reads = (f: string, v: string) => new RegExp(`^${parsed(f).regex}$`).test(v);

  it("compact fields are fixed width and cut at their offsets; fields between non-digits read 1 or 2 digits", () => {
    expect(parsed("%Y%m%d").regex).toBe("([0-9]{4})([0-9]{2})([0-9]{2})");
    expect(parsed("%Y%m%d").parts.map((p) => [p.fixed, p.offset])).toEqual([[true, 0], [true, 4], [true, 6]]);
    expect(parsed("%m/%d/%Y").regex).toBe("([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})");
    // After a variable field, offsets are unknown: the regex group is used.
    expect(parsed("%m/%d/%Y").parts.map((p) => p.offset)).toEqual([0, undefined, undefined]);
    expect(reads("%Y%m%d", "20200105")).toBe(true);
    expect(reads("%Y%m%d", "2020015")).toBe(false);
    expect(reads("%m/%d/%Y", "1/5/2020")).toBe(true);
    expect(reads("%m/%d/%Y", "1/5/20")).toBe(false);
    expect(reads("%Y-%m-%d", "2020-01-05junk")).toBe(false);
  });

  it("formats of fixed-width fields have a regex for values that need no calendar arithmetic", () => {
    const sure = new RegExp(`^${parsed("%Y%m%d %H%M").sureRegex}$`);
    expect(["20200128 2359", "20201228 0000"].map((v) => sure.test(v))).toEqual([true, true]);
    // The 29th to the 31st, and values that are no time, take the full check (or fail it).
    expect(["20200229 1200", "20200131 1200", "20201301 1200", "20200101 2400"].map((v) => sure.test(v))).toEqual([false, false, false, false]);
    expect(parsed("%m/%d/%Y").sureRegex).toBeUndefined();
  });

  it("literal text is escaped; %% is a percent sign", () => {
    expect(parsed("%Y.%m.%d (x)").regex).toBe("([0-9]{4})\\.([0-9]{1,2})\\.([0-9]{1,2}) \\(x\\)");
    expect(reads("%Y%%%m%%%d", "2020%01%05")).toBe(true);
    expect(reads("%Y.%m.%d", "2020x01x05")).toBe(false);
  });

  it("refuses what it cannot read one way, each with the offset of the cause", () => {
    const problem = (f: string, kind: "date" | "datetime" = "date") => {
      const p = parseDateFormat(f, kind);
      return isDateFormatProblem(p) ? [p.offset, p.message] : undefined;
    };
    expect(problem("")).toEqual([0, "is empty"]);
    expect(problem("%Y-%m-%e")).toEqual([6, 'has "%e", which is not a supported directive']);
    expect(problem("%Y-%m")).toEqual([0, "has no day (%d)"]);
    expect(problem("%y%Y%m%d")).toEqual([2, "sets the year twice (%y and %Y)"]);
    expect(problem("%Y%m%d %H:%S", "datetime")).toEqual([10, "reads the second without the minute"]);
    expect(problem("%Y%m%d%")).toEqual([6, 'ends with a lone "%"']);
    expect(problem("%Y%m%d %H:%M:%S.%f", "datetime")).toBeUndefined();
  });

  it("two-digit years: 69-99 are 19xx, 00-68 are 20xx", () => {
    expect([0, 68, 69, 99].map(twoDigitYear)).toEqual([2000, 2068, 1969, 1999]);
  });
});
