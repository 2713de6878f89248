/**
 * Window frames: `ROWS|RANGE BETWEEN .. AND ..` and the short form, parsed into the `frame` of a window node, and
 * validated (INVALID_WINDOW_FRAME) so every engine computes the same rows.
 */
import { describe, expect, it } from "vitest";
import { analyzeExpression, parseExpression } from "../../src/core/expr/index.js";
import { oneIssue, ok, scopeWithUntyped, show } from "./helpers.js";

const W = { allowWindows: true, allowAggregates: true };

/** The frame part of `show` for an expression that must check cleanly. */
const frameOf = (text: string): string => {
  const s = show(ok(text, W));
  const m = /\] (rows|range) (\S+)\)$/.exec(s);
  return m ? `${m[1]} ${m[2]}` : "none";
};

describe("frames parse into the window node", () => {
  it.each([
    ["sum(p.id) OVER (PARTITION BY p.gender ORDER BY p.birth_date ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)", "rows 1-preceding..current_row"],
    ["max(p.id) over (order by p.id rows unbounded preceding)", "rows unbounded_preceding..current_row"],
    ["count(*) over (order by p.id rows 3 preceding)", "rows 3-preceding..current_row"],
    ["count(*) over (order by p.id rows current row)", "rows current_row..current_row"],
    ["last_value(p.id) over (order by p.birth_date rows between current row and unbounded following)", "rows current_row..unbounded_following"],
    ["sum(p.id) over (order by p.id rows between 3 preceding and 1 preceding)", "rows 3-preceding..1-preceding"],
    ["sum(p.id) over (order by p.id rows between 1 following and 3 following)", "rows 1-following..3-following"],
    ["sum(p.id) over (order by p.id rows between 0 preceding and 0 following)", "rows 0-preceding..0-following"],
    ["sum(p.id) over (order by p.id range between 2 preceding and 2 following)", "range 2-preceding..2-following"],
    ["sum(p.id) over (order by p.id range between current row and 2 following)", "range current_row..2-following"],
    ["count(*) over (order by p.birth_date desc range between 30 preceding and current row)", "range 30-preceding..current_row"],
    ["avg(p.weight) over (order by p.weight range between 1 preceding and 1 following)", "range 1-preceding..1-following"],
    ["count(*) over (order by p.death_datetime range 7 preceding)", "range 7-preceding..current_row"],
    // RANGE without offsets needs no particular ORDER BY type, and the whole partition needs no ORDER BY at all
    ["first_value(p.id) over (order by p.gender, p.id range between unbounded preceding and current row)", "range unbounded_preceding..current_row"],
    ["sum(p.id) over (partition by p.gender rows between unbounded preceding and unbounded following)", "rows unbounded_preceding..unbounded_following"],
    ["SUM(p.id) OVER (ORDER BY p.id Rows Between Unbounded Preceding And Current Row)", "rows unbounded_preceding..current_row"],
  ])("%s", (text, frame) => {
    expect(frameOf(text)).toBe(frame);
  });

  it("a window without a frame has none (plans without frames are unchanged)", () => {
    const e = ok("sum(p.id) over (order by p.id)", W);
    expect(e.k === "window" && "frame" in e).toBe(false);
    expect(frameOf("first_value(p.id) over (order by p.id)")).toBe("none");
  });

  it("the frame is carried in the typed AST", () => {
    const e = ok("sum(p.id) over (order by p.id rows between 2 preceding and 1 following)", W);
    expect(e.k === "window" ? e.frame : undefined).toEqual({ unit: "rows", start: { kind: "preceding", offset: 2 }, end: { kind: "following", offset: 1 } });
  });
});

/** The EXPR_SYNTAX issue of `text`, with the text it points at. */
function syntax(text: string): { message: string; hint?: string; offset: number; at: string } {
  const r = parseExpression(text);
  expect(r.ast).toBeUndefined();
  expect(r.issues).toHaveLength(1);
  const i = r.issues[0]!;
  expect(i.code).toBe("EXPR_SYNTAX");
  return { message: i.message, hint: i.hint, offset: i.offset, at: text.slice(i.offset, i.offset + i.length) };
}

describe("frame syntax errors point at the offending text", () => {
  const pre = "sum(p.id) over (order by p.id ";
  it.each([
    [`${pre}rows between 1.5 preceding and current row)`, "frame offset 1.5 is not a non-negative integer", "1.5", 43],
    [`${pre}rows between 2e3 preceding and current row)`, "frame offset 2e3 is not a non-negative integer", "2e3", 43],
    [`${pre}rows between -1 preceding and current row)`, 'expected UNBOUNDED PRECEDING, n PRECEDING, CURRENT ROW, n FOLLOWING or UNBOUNDED FOLLOWING, found "-"', "-", 43],
    [`${pre}rows between p.id preceding and current row)`, 'expected UNBOUNDED PRECEDING, n PRECEDING, CURRENT ROW, n FOLLOWING or UNBOUNDED FOLLOWING, found "p"', "p", 43],
    [`${pre}rows between 1 preceding current row)`, 'expected AND, found "current"', "current", 55],
    [`${pre}rows between unbounded and current row)`, "expected PRECEDING or FOLLOWING after UNBOUNDED, found keyword AND", "and", 53],
    [`${pre}rows between current and 1 following)`, "expected ROW, found keyword AND", "and", 51],
    [`${pre}rows 2 behind)`, 'expected PRECEDING or FOLLOWING after 2, found "behind"', "behind", 37],
    [`${pre}rows)`, 'expected UNBOUNDED PRECEDING, n PRECEDING, CURRENT ROW, n FOLLOWING or UNBOUNDED FOLLOWING, found ")"', ")", 34],
    [`${pre}rows between 1 preceding and current row exclude ties)`, "EXCLUDE is not supported in window frames", "exclude", 71],
    ["sum(p.id) over (rows 1 preceding order by p.id)", 'expected ")", found "order"', "order", 33],
  ])("%s", (text, message, at, offset) => {
    const s = syntax(text);
    expect([s.message, s.at, s.offset]).toEqual([message, at, offset]);
  });

  it("a negative offset gets a hint", () => {
    expect(syntax("sum(p.id) over (order by p.id rows -1 preceding)").hint).toBe("A frame offset is a non-negative integer literal, e.g. 3 PRECEDING.");
  });
});

describe("INVALID_WINDOW_FRAME", () => {
  /** [text, message, the text the issue points at] */
  it.each([
    [
      "row_number() over (order by p.id rows between 1 preceding and current row)",
      "row_number() ignores window frames, so it cannot have a ROWS clause.",
      "rows between 1 preceding and current row",
    ],
    ["lag(p.id) over (order by p.id range unbounded preceding)", "lag() ignores window frames, so it cannot have a RANGE clause.", "range unbounded preceding"],
    ["rank() over (order by p.id rows current row)", "rank() ignores window frames, so it cannot have a ROWS clause.", "rows current row"],
    [
      "sum(p.id) over (order by p.id rows between current row and 1 preceding)",
      "the frame starts after it ends: CURRENT ROW comes after 1 PRECEDING.",
      "rows between current row and 1 preceding",
    ],
    [
      "sum(p.id) over (order by p.id rows between 1 preceding and 3 preceding)",
      "the frame starts after it ends: 1 PRECEDING comes after 3 PRECEDING.",
      "rows between 1 preceding and 3 preceding",
    ],
    [
      "sum(p.id) over (order by p.id rows between 3 following and 1 following)",
      "the frame starts after it ends: 3 FOLLOWING comes after 1 FOLLOWING.",
      "rows between 3 following and 1 following",
    ],
    [
      "sum(p.id) over (order by p.id rows between 1 following and current row)",
      "the frame starts after it ends: 1 FOLLOWING comes after CURRENT ROW.",
      "rows between 1 following and current row",
    ],
    [
      "sum(p.id) over (order by p.id rows 2 following)",
      "ROWS 2 FOLLOWING means ROWS BETWEEN 2 FOLLOWING AND CURRENT ROW, which starts after it ends.",
      "rows 2 following",
    ],
    [
      "sum(p.id) over (order by p.id rows between unbounded following and unbounded following)",
      "a frame cannot start at UNBOUNDED FOLLOWING.",
      "unbounded following",
    ],
    ["sum(p.id) over (order by p.id range unbounded following)", "a frame cannot start at UNBOUNDED FOLLOWING.", "unbounded following"],
    [
      "sum(p.id) over (order by p.id rows between current row and unbounded preceding)",
      "a frame cannot end at UNBOUNDED PRECEDING.",
      "unbounded preceding",
    ],
    [
      "sum(p.id) over (partition by p.gender rows between 1 preceding and current row)",
      "a ROWS frame other than the whole partition needs ORDER BY: without it the rows have no order.",
      "rows between 1 preceding and current row",
    ],
    [
      "last_value(p.id) over (range between current row and unbounded following)",
      "a RANGE frame other than the whole partition needs ORDER BY: without it the rows have no order.",
      "range between current row and unbounded following",
    ],
    [
      "sum(p.id) over (order by p.id, p.weight range between 1 preceding and current row)",
      "RANGE with an offset (1 PRECEDING) needs exactly one ORDER BY expression, got 2.",
      "1 preceding",
    ],
    [
      "sum(p.id) over (order by p.gender range between 1 preceding and current row)",
      "RANGE with an offset needs an ORDER BY of a number, date or datetime, got string.",
      "p.gender",
    ],
    ["count(*) over (order by p.active desc range 1 preceding)", "RANGE with an offset needs an ORDER BY of a number, date or datetime, got boolean.", "p.active"],
  ])("%s", (text, message, at) => {
    const i = oneIssue(text, W);
    expect([i.code, i.message, i.at]).toEqual(["INVALID_WINDOW_FRAME", message, at]);
    expect(i.offset).toBe(text.indexOf(at, text.indexOf(" over ")));
  });

  it("the cannot-end-at case points at the end bound, not an equal start bound", () => {
    const text = "sum(p.id) over (order by p.id rows between unbounded preceding and unbounded preceding)";
    const i = oneIssue(text, W);
    expect([i.message, i.offset, i.at]).toEqual(["a frame cannot end at UNBOUNDED PRECEDING.", text.lastIndexOf("unbounded preceding"), "unbounded preceding"]);
  });

  it("hints say how to fix", () => {
    expect(oneIssue("sum(p.id) over (order by p.id rows 2 following)", W).hint).toBe("Write ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING.");
    expect(oneIssue("sum(p.id) over (order by p.id rows between current row and 1 preceding)", W).hint).toBe("Write the earlier bound first.");
    expect(oneIssue("dense_rank() over (order by p.id rows 1 preceding)", W).hint).toBe("Remove the frame: ranking functions, lag and lead do not use one.");
    const untyped = oneIssue("sum(u.x) over (order by u.y range 1 preceding)", W, scopeWithUntyped);
    expect([untyped.message, untyped.at, untyped.hint]).toEqual([
      "RANGE with an offset needs an ORDER BY of a number, date or datetime, got any.",
      "u.y",
      "State its type, e.g. CAST(u.y AS date).",
    ]);
  });

  it("an ORDER BY that failed to check is not judged again by the frame", () => {
    const i = oneIssue("sum(p.id) over (order by p.nope range 1 preceding)", W);
    expect(i.code).toBe("UNKNOWN_COLUMN");
  });

  it("a frame on a scalar call is reported once, as the OVER it cannot have", () => {
    const i = oneIssue("lower(p.gender) over (order by p.id rows 1 preceding)", W);
    expect([i.code, i.at]).toEqual(["EXPR_SYNTAX", "over (order by p.id rows 1 preceding)"]);
  });

  it("every frame problem of an expression is reported, in order", () => {
    const text = "row_number() over (order by p.id rows 1 preceding) + sum(p.id) over (partition by p.id rows 1 preceding)";
    const r = analyzeExpression(text, scopeWithUntyped, W);
    expect(r.expr).toBeUndefined();
    expect(r.issues.map((i) => [i.code, text.slice(i.offset, i.offset + i.length)])).toEqual([
      ["INVALID_WINDOW_FRAME", "rows 1 preceding"],
      ["INVALID_WINDOW_FRAME", "rows 1 preceding"],
    ]);
    expect(r.issues[1]!.offset).toBe(text.lastIndexOf("rows 1 preceding"));
  });
});
