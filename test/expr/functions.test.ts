import { describe, expect, it } from "vitest";
import { FUNCTIONS, analyzeExpression, lookupFunction } from "../../src/core/expr/index.js";
import { fails, oneIssue, ok, scope, show } from "./helpers.js";

const ALL = { allowAggregates: true, allowWindows: true };

/** A valid call of every catalogue function with its result type. */
const VALID: [string, string][] = [
  ["lower(p.gender)", "string"],
  ["upper(p.gender)", "string"],
  ["trim(p.gender)", "string"],
  ["ltrim(p.gender)", "string"],
  ["rtrim(p.gender)", "string"],
  ["md5(p.gender)", "string"],
  ["length(p.gender)", "integer"],
  ["substr(p.gender, 2)", "string"],
  ["substring(p.gender, 1, 3)", "string"],
  ["replace(p.gender, 'M', 'm')", "string"],
  ["concat(p.gender, p.id, p.birth_date)", "string"],
  ["concat_ws('-', p.gender, p.id)", "string"],
  ["left(p.gender, 1)", "string"],
  ["right(p.gender, 1)", "string"],
  ["lpad(p.gender, 5, '0')", "string"],
  ["rpad(p.gender, 5)", "string"],
  ["strpos(p.gender, 'M')", "integer"],
  ["split_part(p.gender, '|', 2)", "string"],
  ["abs(p.big_id)", "bigint"],
  ["round(p.weight, 1)", "float"],
  ["round(p.id)", "integer"],
  ["floor(p.weight)", "float"],
  ["ceil(p.weight)", "float"],
  ["ceiling(p.id)", "integer"],
  ["greatest(p.id, p.weight, 3)", "float"],
  ["least(p.birth_date, '2020-01-01')", "date"],
  ["mod(p.big_id, 7)", "bigint"],
  ["power(p.id, 2)", "float"],
  ["sqrt(p.weight)", "float"],
  ["coalesce(p.gender_concept_id, 0)", "integer"],
  ["nullif(p.gender, '')", "string"],
  ["date_add(p.birth_date, 1, 'MONTH')", "date"],
  ["date_diff('year', p.birth_date, p.death_datetime)", "integer"],
  ["date_part('month', p.birth_date)", "integer"],
  ["date_trunc('month', p.death_datetime)", "datetime"],
  ["current_date", "date"],
  ["make_date(1980, 1, p.id)", "date"],
  ["to_date(p.gender, '%Y%m%d')", "date"],
  ["TRY_CAST(p.gender AS integer)", "integer"],
  ["regexp_matches(p.gender, '^[MF]$')", "boolean"],
  ["regexp_replace(p.gender, '([0-9]+)-([0-9]+)', '\\2\\1')", "string"],
  ["regexp_extract(p.gender, '_([0-9]{4})_', 1)", "string"],
  ["translate(p.gender, '-/', '')", "string"],
  ["parse_date(p.gender, '%Y%m%d', '%d/%m/%Y')", "date"],
  ["parse_datetime(p.gender, '%Y-%m-%d %H:%M')", "datetime"],
  ["to_timestamp(p.gender, '%Y-%m-%d %H:%M:%S')", "datetime"],
  ["count(p.id)", "bigint"],
  ["sum(p.id)", "bigint"],
  ["sum(p.weight)", "float"],
  ["min(p.birth_date)", "date"],
  ["max(p.gender)", "string"],
  ["avg(p.id)", "float"],
  ["row_number() over (order by p.id)", "bigint"],
  ["rank() over (order by p.id)", "bigint"],
  ["dense_rank() over (order by p.id)", "bigint"],
  ["lag(p.birth_date) over (order by p.id)", "date"],
  ["lead(p.gender, 2) over (partition by p.id order by p.birth_date)", "string"],
  ["first_value(p.weight) over (partition by p.id order by p.birth_date)", "float"],
  ["last_value(p.id) over (partition by p.gender order by p.birth_date)", "integer"],
];

describe("function catalogue", () => {
  it("every function (and alias) has a valid call with the documented result type", () => {
    const covered = new Set<string>();
    for (const [text, type] of VALID) {
      const e = ok(text, ALL);
      expect(e.type, text).toBe(type);
      covered.add(e.k === "fn" || e.k === "window" ? e.name : "?");
    }
    expect([...covered].sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
  });

  it("every function documents its signature and semantics", () => {
    for (const f of FUNCTIONS) {
      expect(f.signature, f.name).toContain(f.name);
      expect(f.description.length, f.name).toBeGreaterThan(10);
      expect(f.name).toBe(f.name.toLowerCase());
    }
  });

  // try_cast is written TRY_CAST(x AS type): a call without AS is a syntax error (see "try_cast" below).
  it.each(FUNCTIONS.filter((f) => f.name !== "try_cast").map((f) => [f.name, f] as const))("%s: wrong arity is reported with the expected arity", (name, f) => {
    const count = f.minArgs > 0 ? f.minArgs - 1 : f.maxArgs + 1;
    const call = `${name}(${Array.from({ length: count }, () => "NULL").join(", ")})`;
    const over = f.kind === "window" ? " OVER (ORDER BY p.id)" : "";
    const issues = fails(call + over, ALL);
    expect(issues.map((i) => i.code)).toEqual(["WRONG_ARITY"]);
    const i = issues[0]!;
    expect(i.offset).toBe(0);
    expect(i.length).toBe(call.length);
    const plural = (n: number): string => `${n} argument${n === 1 ? "" : "s"}`;
    const expected =
      name === "count"
        ? "1 argument (or *)"
        : f.maxArgs === Infinity
          ? `at least ${plural(f.minArgs)}`
          : f.minArgs === f.maxArgs
            ? f.minArgs === 0
              ? "no arguments"
              : plural(f.minArgs)
            : `${f.minArgs} to ${plural(f.maxArgs)}`;
    expect(i.message).toBe(`${name}() takes ${expected}, got ${count}.`);
  });

  it("aliases are normalised to the canonical name", () => {
    expect(show(ok("substring(p.gender, 1)"))).toBe("(substr:string p.gender:string 1:integer)");
    expect(show(ok("CEILING(p.weight)"))).toBe("(ceil:float p.weight:float)");
    expect(show(ok("IFNULL(p.id, 0)"))).toBe("(coalesce:integer p.id:integer 0:integer)");
    expect(lookupFunction("DATEDIFF")?.name).toBe("date_diff");
  });

  it("concat CASTs non-string arguments to varchar; NULL stays", () => {
    expect(show(ok("concat('v-', p.id, NULL)"))).toBe(
      "(concat:string 'v-':string (cast:string p.id:integer varchar) null:null)",
    );
  });

  it("unit arguments are validated string literals, lower-cased in the AST", () => {
    expect(show(ok("date_add(p.birth_date, -1, 'Year')"))).toBe("(date_add:date p.birth_date:date -1:integer 'year':string)");
    const i = oneIssue("date_add(p.birth_date, 1, 'week')");
    expect([i.code, i.at, i.message]).toEqual(["TYPE_MISMATCH", "'week'", "argument 3 of date_add() must be one of 'day', 'month', 'year'."]);
    expect(oneIssue("date_part(p.gender, p.birth_date)").hint).toBe("Write the unit as a string literal.");
    const x = oneIssue("EXTRACT(yaer FROM p.birth_date)");
    expect([x.code, x.at, x.hint]).toEqual(["TYPE_MISMATCH", "yaer", 'Did you mean "year"?']);
  });

  it("argument types are checked per argument", () => {
    const i = oneIssue("substr(p.gender, '2')");
    expect([i.code, i.at, i.message]).toEqual(["TYPE_MISMATCH", "'2'", "argument 2 of substr() must be an integer, got string."]);
    expect(oneIssue("lower(p.id)").hint).toBe("Convert it with CAST(x AS varchar).");
    expect(oneIssue("abs(p.gender)").message).toBe("argument 1 of abs() must be a number, got string.");
    expect(oneIssue("mod(p.weight, 2)").at).toBe("p.weight");
    expect(oneIssue("date_diff('day', p.id, p.birth_date)").at).toBe("p.id");
    expect(oneIssue("coalesce(p.id, 'x')").message).toBe("argument 2 of coalesce() is string, incompatible with the other arguments (integer).");
    expect(oneIssue("sum(p.gender)", ALL).at).toBe("p.gender");
    expect(oneIssue("min(p.active)", ALL).at).toBe("p.active");
    expect(oneIssue("lag(p.id, 'x') over (order by p.id)", ALL).at).toBe("'x'");
  });

  it("ISO string literals are accepted as dates by the date functions", () => {
    expect(show(ok("date_diff('day', '2020-01-01', p.birth_date)"))).toBe(
      "(date_diff:integer 'day':string (cast:date '2020-01-01':string date) p.birth_date:date)",
    );
  });

  it("to_date / to_timestamp formats are literals with supported directives", () => {
    const i = oneIssue("to_date(p.gender, '%d-%b-%Y')");
    expect([i.code, i.at, i.message]).toEqual(["INVALID_DATE_FORMAT", "'%d-%b-%Y'", 'the format of to_date() "%d-%b-%Y" has "%b", which is not a supported directive.']);
    expect(oneIssue("to_date(p.gender, '%H')").at).toBe("'%H'");
    expect(oneIssue("to_date(p.gender, '%Y%m')").message).toBe('the format of to_date() "%Y%m" has no day (%d).');
    expect(oneIssue("to_timestamp(p.gender, '%Y%m%d %S')").message).toBe('the format of to_timestamp() "%Y%m%d %S" reads the second without the minute.');
    expect(ok("to_date(p.gender, '%y%m%d %H:%M')").type).toBe("date");
    expect(oneIssue("to_date(p.gender, p.gender)").message).toMatch(/must be a string literal format/);
    expect(ok("to_date(p.gender, '%Y%%%m%d')").type).toBe("date");
  });

  it("try_cast is written like CAST, reads text only, and carries its type as a literal", () => {
    expect(show(ok("try_cast(p.gender AS varchar(3))"))).toBe("(try_cast:string p.gender:string 'varchar(3)':string)");
    expect(show(ok("TRY_CAST(p.gender AS date)"))).toBe("(try_cast:date p.gender:string 'date':string)");
    const i = oneIssue("try_cast(p.id AS bigint)");
    expect([i.code, i.at, i.message]).toEqual(["TYPE_MISMATCH", "p.id", "argument 1 of try_cast() must be text, got integer."]);
    expect(i.hint).toMatch(/CAST\(x AS type\)/);
    const s = oneIssue("try_cast(p.gender, 'integer')");
    expect([s.code, s.at]).toEqual(["EXPR_SYNTAX", ","]);
    const t = oneIssue("try_cast(p.gender AS intger)");
    expect([t.code, t.at, t.hint]).toEqual(["EXPR_SYNTAX", "intger", 'Did you mean "integer"?']);
  });

  it("regexp patterns are literals of the one flavour; extract/replace refuse patterns engines match differently", () => {
    const cases: [string, string, RegExp][] = [
      ["regexp_matches(p.gender, '\\d+')", "'\\d+'", /has "\\d", which engines read differently \(at character 1\)/],
      ["regexp_matches(p.gender, '[[:digit:]]')", "'[[:digit:]]'", /POSIX class/],
      ["regexp_matches(p.gender, 'a(?=b)')", "'a(?=b)'", /"\(\?"/],
      ["regexp_matches(p.gender, 'a*?')", "'a*?'", /after a quantifier/],
      ["regexp_matches(p.gender, '(ab')", "'(ab'", /without its "\)"/],
      ["regexp_matches(p.gender, 'a{2,1}')", "'a{2,1}'", /maximum is below its minimum/],
      ["regexp_matches(p.gender, p.gender)", "p.gender", /must be a string literal pattern/],
      ["regexp_extract(p.gender, 'a|ab')", "'a|ab'", /engines choose different matches for it \(PostgreSQL the longest, DuckDB the first alternative\)/],
      ["regexp_replace(p.gender, '(ab)+', '')", "'(ab)+'", /a quantified group/],
      ["regexp_replace(p.gender, '(a)', '\\2')", "'\\2'", /refers to group \\2, but the pattern has 1 group/],
      ["regexp_replace(p.gender, 'a', '\\n')", "'\\n'", /only \\1 to \\9/],
      ["regexp_extract(p.gender, '(a)', 2)", "2", /from 0 \(the whole match\) to 1/],
      ["regexp_replace(p.gender, 'b*$', '-')", "'b*$'", /can match empty text: engines replace an empty match after a match differently/],
      ["regexp_replace(p.gender, '(x?)[0-9]{0,2}', '-')", "'(x?)[0-9]{0,2}'", /can match empty text/],
    ];
    for (const [text, at, message] of cases) {
      const i = oneIssue(text);
      expect([i.code, i.at], text).toEqual(["TYPE_MISMATCH", at]);
      expect(i.message, text).toMatch(message);
    }
    // Any pattern of the flavour may be tested; extract takes patterns that match empty text.
    expect(ok("regexp_matches(p.gender, 'a|(bc)+')").type).toBe("boolean");
    expect(ok("regexp_extract(p.gender, 'b*$')").type).toBe("string");
    expect(ok("regexp_replace(p.gender, 'x?b+$', '-')").type).toBe("string");
  });

  it("parse_date / parse_datetime check every format", () => {
    const i = oneIssue("parse_date(p.gender, '%Y%m%d', '%d/%b/%Y')");
    expect([i.code, i.at]).toEqual(["INVALID_DATE_FORMAT", "'%d/%b/%Y'"]);
    expect(oneIssue("parse_datetime(p.gender, '%Y-%m-%d %H:%M', p.gender)").at).toBe("p.gender");
  });

  it("count(*) has no arguments; only count takes *", () => {
    expect(show(ok("count(*)", ALL))).toBe("(count:bigint)");
    const i = oneIssue("sum(*)", ALL);
    expect([i.code, i.at, i.hint]).toEqual(["WRONG_ARITY", "sum(*)", "Only count(*) takes *."]);
  });

  it("DISTINCT only in aggregates, not in windows", () => {
    expect(show(ok("sum(DISTINCT p.id)", ALL))).toBe("(sum distinct:bigint p.id:integer)");
    expect(oneIssue("lower(DISTINCT p.gender)").message).toBe("DISTINCT is only allowed in aggregate calls, not in lower().");
    expect(oneIssue("count(DISTINCT p.id) OVER ()", ALL).message).toBe("DISTINCT is not supported in window calls.");
  });
});

describe("unknown functions", () => {
  it("reports UNKNOWN_FUNCTION with did-you-mean at the name", () => {
    const i = oneIssue("p.id + lowr(p.gender)");
    expect([i.code, i.offset, i.length, i.at, i.message, i.hint]).toEqual([
      "UNKNOWN_FUNCTION", 7, 4, "lowr", '"lowr" is not a known function.', 'Did you mean "lower"?',
    ]);
    expect(oneIssue("datediff2('day', p.birth_date, p.birth_date)").hint).toBe('Did you mean "datediff"?');
    expect(oneIssue("soundex(p.gender)").hint).toMatch(/function catalogue/);
    expect(oneIssue("regexp_replac(p.gender, 'x', 'y')").hint).toBe('Did you mean "regexp_replace"?');
  });

  it("still checks the arguments of an unknown function", () => {
    const issues = fails("nvl(p.gendr, 0)");
    expect(issues.map((i) => i.code)).toEqual(["UNKNOWN_FUNCTION", "UNKNOWN_COLUMN"]);
  });
});

describe("aggregate and window permission", () => {
  it("aggregates need allowAggregates", () => {
    const i = oneIssue("p.id + count(*)");
    expect([i.code, i.at, i.message]).toEqual(["AGGREGATE_NOT_ALLOWED", "count(*)", "aggregate count() is not allowed here."]);
    expect(ok("max(p.id) + 1", { allowAggregates: true }).type).toBe("integer");
  });

  it("aggregates cannot nest", () => {
    const i = oneIssue("sum(max(p.id))", { allowAggregates: true });
    expect([i.code, i.at, i.message]).toEqual(["AGGREGATE_NOT_ALLOWED", "max(p.id)", "max() cannot be nested inside another aggregate."]);
  });

  it("windows need allowWindows and OVER", () => {
    const i = oneIssue("row_number() OVER (ORDER BY p.id)");
    expect([i.code, i.offset, i.at]).toEqual(["WINDOW_NOT_ALLOWED", 0, "row_number() OVER (ORDER BY p.id)"]);
    expect(oneIssue("sum(p.id) OVER (PARTITION BY p.gender)", { allowAggregates: true }).code).toBe("WINDOW_NOT_ALLOWED");
    const n = oneIssue("row_number()", ALL);
    expect([n.code, n.message]).toEqual(["EXPR_SYNTAX", "row_number() is a window function and needs OVER (...)."]);
    const s = oneIssue("lower(p.gender) OVER ()", ALL);
    expect([s.code, s.at]).toEqual(["EXPR_SYNTAX", "OVER ()"]);
  });

  it("aggregate OVER is a window call, not an aggregate", () => {
    const e = ok("sum(p.weight) OVER (PARTITION BY p.id)", { allowWindows: true });
    expect(e.k).toBe("window");
  });

  it("windows cannot nest inside aggregates or windows; aggregates inside windows need allowAggregates", () => {
    expect(oneIssue("sum(row_number() over ()) over ()", ALL).message).toMatch(/cannot be nested/);
    expect(oneIssue("max(lag(p.id) over (order by p.id))", ALL).code).toBe("WINDOW_NOT_ALLOWED");
    expect(ok("sum(count(*)) over ()", ALL).type).toBe("bigint");
    expect(oneIssue("sum(count(*)) over ()", { allowWindows: true }).code).toBe("AGGREGATE_NOT_ALLOWED");
  });

  it("a where clause rejects both", () => {
    const r = analyzeExpression("count(*) > 1 AND row_number() over () = 1", scope, { expected: "boolean" });
    expect(r.issues.map((i) => i.code)).toEqual(["AGGREGATE_NOT_ALLOWED", "WINDOW_NOT_ALLOWED"]);
  });
});
