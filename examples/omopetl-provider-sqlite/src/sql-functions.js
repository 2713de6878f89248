/**
 * Functions the SQLite connection registers (better-sqlite3's `db.function`), so that the SQL the generator writes
 * computes what docs/semantics.md promises. SQLite's own functions differ where the catalogue is PostgreSQL's:
 * `upper` maps ASCII only, `CAST('abc' AS REAL)` is 0, `sqrt(-1)` and `x / 0` are NULL, there is no date type, no
 * `regexp_replace`, `left`, `lpad` or `split_part`. Each function here is small, pure and deterministic, and the
 * generator names them explicitly (`omopetl_*`), so nothing SQLite already defines changes meaning.
 *
 * Dates are ISO text: a date is `YYYY-MM-DD`, a timestamp `YYYY-MM-DD HH:MM:SS[.ffffff]` (fraction without
 * trailing zeros), which sort and compare correctly as text and read back as the Connection contract wants.
 */
import { createHash } from "node:crypto";
import { isDateFormatProblem, parseDateFormat } from "omopetl/provider";

/** Thrown by every function here: the statement fails with `message` (better-sqlite3 rethrows it). */
function fail(message) {
  throw new Error(message);
}

const regexCache = new Map();
/** A POSIX ERE (the generator's patterns use only what JavaScript reads alike), compiled once. */
function regex(pattern, flags = "u") {
  const key = `${flags}/${pattern}`;
  let r = regexCache.get(key);
  if (r === undefined) {
    r = new RegExp(pattern, flags);
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(key, r);
  }
  return r;
}

const chars = (s) => [...s];

// ---- numbers ----------------------------------------------------------------------------------------------------

const INT4_MIN = -2147483648n;
const INT4_MAX = 2147483647n;
const INT8_MIN = -9223372036854775808n;
const INT8_MAX = 9223372036854775807n;

/** An integer result checked against 32 bits (SQLite's integers are 64-bit: 2147483647 + 1 would not fail). */
function int4(x) {
  if (x === null) return null;
  if (typeof x !== "bigint" || x < INT4_MIN || x > INT4_MAX) fail("integer out of range");
  return x;
}

/** A 64-bit integer result: SQLite turns an overflowing integer operation into a REAL, which must fail instead. */
function int8(x) {
  if (x === null) return null;
  if (typeof x !== "bigint" || x < INT8_MIN || x > INT8_MAX) fail("bigint out of range");
  return x;
}

/** A double rounded to an integer type half away from zero (SQLite's CAST truncates). */
function floatToInt(x, bits) {
  if (x === null) return null;
  const n = typeof x === "bigint" ? x : BigInt(Math.sign(x) * Math.round(Math.abs(Number(x))));
  return bits === 32 ? int4(n) : int8(n);
}

const FLOAT_TEXT = /^ *[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)? *$/;
const SPECIAL_FLOATS = { nan: NaN, infinity: Infinity, "+infinity": Infinity, "-infinity": -Infinity, inf: Infinity, "+inf": Infinity, "-inf": -Infinity };

/** Text to a double as PostgreSQL's float8in reads it (SQLite's CAST reads 'abc' as 0). */
function textToFloat(s) {
  if (s === null) return null;
  const t = String(s);
  const special = SPECIAL_FLOATS[t.trim().toLowerCase()];
  if (special !== undefined) return special;
  if (!FLOAT_TEXT.test(t)) fail(`invalid input syntax for type double precision: "${t}"`);
  const v = Number(t.trim());
  if (!Number.isFinite(v) || (v === 0 && /[1-9]/.test(t.replace(/[eE].*$/, "")))) fail(`"${t.trim()}" is out of range for type double precision`);
  return v;
}

/** For text matching the load grammar's float pattern: a finite double that does not underflow to 0. */
function floatInRange(s) {
  if (s === null) return null;
  const v = Number(String(s).trim());
  return Number.isFinite(v) && (v !== 0 || !/[1-9]/.test(String(s).replace(/[eE].*$/, ""))) ? 1 : 0;
}

/**
 * A double as PostgreSQL prints it (float8out with extra_float_digits 1): the shortest digits that read back as
 * the same double, an exponent from 1e15 and below 1e-4 written `e+15` / `e-05`, no trailing `.0`.
 */
function floatText(x) {
  if (x === null) return null;
  const v = Number(x);
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const [mant, expPart] = v.toExponential().split("e");
  const exp = Number(expPart);
  if (exp < -4 || exp >= 15) return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  // Positional: JavaScript already writes these without an exponent and without a trailing ".0".
  return String(v);
}

/**
 * round(x, n) half away from zero on the decimal digits of x (as PostgreSQL's numeric round: 2.675 to 2 places is
 * 2.68, which binary arithmetic would make 2.67); n may be negative.
 */
function round(x, n = 0) {
  if (x === null || n === null) return null;
  if (typeof x === "bigint") {
    const digits = Number(n);
    if (digits >= 0) return x;
    const p = 10n ** BigInt(-digits);
    const half = p / 2n;
    const a = x < 0n ? -x : x;
    const r = ((a + half) / p) * p;
    return x < 0n ? -r : r;
  }
  const v = Number(x);
  if (!Number.isFinite(v)) return v;
  const digits = Number(n);
  const [mant, expPart] = Math.abs(v).toExponential().split("e");
  const exp = Number(expPart);
  // The value as an integer of decimal digits and a power of ten.
  const ds = mant.replace(".", "");
  const scale = ds.length - 1 - exp; // value = int(ds) * 10^-scale
  if (scale <= digits) return v;
  const drop = scale - digits;
  let int = BigInt(ds);
  const p = 10n ** BigInt(drop);
  int = (int + p / 2n) / p;
  const out = Number(`${int}e${-digits}`);
  return v < 0 ? -out : out;
}

function sqrt(x) {
  if (x === null) return null;
  if (Number(x) < 0) fail("cannot take square root of a negative number");
  return Math.sqrt(Number(x));
}

function power(a, b) {
  if (a === null || b === null) return null;
  const x = Number(a);
  const y = Number(b);
  if (x === 0 && y < 0) fail("zero raised to a negative power is undefined");
  if (x < 0 && !Number.isInteger(y)) fail("a negative number raised to a non-integer power yields a complex result");
  return Math.pow(x, y);
}

// ---- text -------------------------------------------------------------------------------------------------------

/** Byte order of UTF-8 (SQLite's BINARY collation); JavaScript's < compares UTF-16 units, which differs above U+FFFF. */
function compareValues(a, b) {
  if (typeof a === "string" && typeof b === "string") return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
  const x = typeof a === "bigint" || typeof a === "number" ? a : Number(a);
  const y = typeof b === "bigint" || typeof b === "number" ? b : Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function extreme(sign) {
  return (...args) => {
    let best = null;
    for (const a of args) if (a !== null && (best === null || sign * compareValues(a, best) > 0)) best = a;
    return best;
  };
}

/** Per character, so that a final capital sigma lowers to σ as PostgreSQL does (JavaScript's whole-string rule gives ς). */
const lower = (s) => (s === null ? null : chars(String(s)).map((c) => c.toLowerCase()).join(""));
const upper = (s) => (s === null ? null : chars(String(s)).map((c) => c.toUpperCase()).join(""));

function left(s, n) {
  if (s === null || n === null) return null;
  const c = chars(String(s));
  const k = Number(n);
  return (k >= 0 ? c.slice(0, k) : c.slice(0, Math.max(0, c.length + k))).join("");
}

function right(s, n) {
  if (s === null || n === null) return null;
  const c = chars(String(s));
  const k = Number(n);
  return (k >= 0 ? c.slice(Math.max(0, c.length - k)) : c.slice(Math.min(c.length, -k))).join("");
}

/** PostgreSQL's substr: positions before 1 count toward the length; a negative length is an error. */
function substr(s, start, len) {
  if (s === null || start === null || len === null) return null;
  const c = chars(String(s));
  const from = Number(start);
  if (len === undefined) return c.slice(Math.max(from, 1) - 1).join("");
  const n = Number(len);
  if (n < 0) fail("negative substring length not allowed");
  const end = from + n; // exclusive, 1-based
  return c.slice(Math.max(from, 1) - 1, Math.max(end - 1, 0)).join("");
}

function pad(side) {
  return (s, n, fill = " ") => {
    if (s === null || n === null || fill === null) return null;
    const c = chars(String(s));
    const k = Number(n);
    if (k <= 0) return "";
    if (c.length >= k) return c.slice(0, k).join("");
    const f = chars(String(fill));
    if (f.length === 0) return c.join("");
    const padding = [];
    while (padding.length < k - c.length) padding.push(f[padding.length % f.length]);
    return side === "l" ? padding.join("") + c.join("") : c.join("") + padding.join("");
  };
}

/** PostgreSQL 14's split_part: 1-based, negative n counts from the end, n = 0 is an error, '' past the last field. */
function splitPart(s, d, n) {
  if (s === null || d === null || n === null) return null;
  const k = Number(n);
  if (k === 0) fail("field position must not be zero");
  const str = String(s);
  const fields = d === "" ? [str] : str.split(String(d));
  const i = k > 0 ? k - 1 : fields.length + k;
  return i >= 0 && i < fields.length ? fields[i] : "";
}

const md5 = (s) => (s === null ? null : createHash("md5").update(String(s), "utf8").digest("hex"));

/** PostgreSQL's regexp_replace: the first match, or every match with the flag g; \1 in the replacement is group 1. */
function regexpReplace(s, pattern, replacement, flags = "") {
  if (s === null || pattern === null || replacement === null) return null;
  const global = String(flags).includes("g");
  const insensitive = String(flags).includes("i");
  const r = regex(String(pattern), `u${global ? "g" : ""}${insensitive ? "i" : ""}`);
  r.lastIndex = 0;
  const repl = String(replacement).replace(/\$/g, "$$$$").replace(/\\(\d)/g, "$$$1").replace(/\\&/g, "$$&");
  return String(s).replace(r, repl);
}

/** `x` wholly matches `pattern` (the generator anchors it): 1, 0 or NULL. */
function regexpFull(x, pattern) {
  if (x === null || pattern === null) return null;
  return regex(String(pattern)).test(String(x)) ? 1 : 0;
}

/**
 * A pattern of omopetl's one regex flavour (src/core/expr/regex-flavour.ts) as a JavaScript regex: flag `s` so `.`
 * takes a line break; `\-` outside brackets (allowed by the flavour, refused by the `u` flag) becomes `-`.
 */
function flavourRegex(pattern, global) {
  let out = "";
  let inBracket = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (!inBracket && c === "\\") {
      const n = pattern[++i];
      out += n === "-" ? "-" : `\\${n}`;
    } else if (!inBracket && c === "[") {
      inBracket = true;
      out += c;
      if (pattern[i + 1] === "^") out += pattern[++i];
      if (pattern[i + 1] === "]") out += `\\${pattern[++i]}`;
    } else {
      if (inBracket && c === "]") inBracket = false;
      // Inside brackets the flavour has no escapes: characters JavaScript would read specially are escaped.
      out += inBracket && (c === "[" || c === "\\") ? `\\${c}` : c;
    }
  }
  return regex(out, global ? "gsu" : "su");
}

/** regexp_matches: the flavour's pattern found anywhere in `x`. */
function regexpSearch(x, pattern) {
  if (x === null || pattern === null) return null;
  const r = flavourRegex(String(pattern), false);
  return r.test(String(x)) ? 1 : 0;
}

/** regexp_replace: every match replaced; `\1`..`\9` are groups, `\\\\` a backslash, anything else literal. */
function regexpReplaceAll(x, pattern, replacement) {
  if (x === null || pattern === null || replacement === null) return null;
  const r = flavourRegex(String(pattern), true);
  r.lastIndex = 0;
  const rep = String(replacement);
  return String(x).replace(r, (...m) => {
    let out = "";
    for (let i = 0; i < rep.length; i++) {
      if (rep[i] === "\\" && /[1-9]/.test(rep[i + 1] ?? "")) out += m[Number(rep[++i])] ?? "";
      else if (rep[i] === "\\" && rep[i + 1] === "\\") out += rep[++i];
      else out += rep[i];
    }
    return out;
  });
}

/** regexp_extract: group `n` of the first match, NULL without one. */
function regexpExtract(x, pattern, n) {
  if (x === null || pattern === null) return null;
  const m = flavourRegex(String(pattern), false).exec(String(x));
  return m ? (m[Number(n)] ?? null) : null;
}

/** translate: each character of `from` becomes the one at its position in `to`, or goes. */
function translate(s, from, to) {
  if (s === null || from === null || to === null) return null;
  const f = chars(String(from));
  const t = chars(String(to));
  return chars(String(s))
    .map((c) => {
      const i = f.indexOf(c);
      return i < 0 ? c : (t[i] ?? "");
    })
    .join("");
}

/** LIKE as PostgreSQL's: case-sensitive, `%` and `_` over characters, backslash escapes. */
function like(s, pattern) {
  if (s === null || pattern === null) return null;
  let re = "^";
  const p = chars(String(pattern));
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") {
      i++;
      if (i >= p.length) fail("LIKE pattern must not end with escape character");
      re += p[i].replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
    } else if (c === "%") re += "[\\s\\S]*";
    else if (c === "_") re += "[\\s\\S]";
    else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  }
  return regex(`${re}$`).test(String(s)) ? 1 : 0;
}

const chr = (n) => (n === null ? null : String.fromCodePoint(Number(n)));

// ---- dates ------------------------------------------------------------------------------------------------------

const pad2 = (n) => String(n).padStart(2, "0");
const pad4 = (n) => String(n).padStart(4, "0");
const isLeap = (y) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y, m) => [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];

/** A point in time as fields; `fraction` is microseconds. */
function parts(y, m, d, hh = 0, mi = 0, ss = 0, us = 0) {
  return { y, m, d, hh, mi, ss, us };
}

const dateText = (p) => `${pad4(p.y)}-${pad2(p.m)}-${pad2(p.d)}`;
function timestampText(p) {
  const frac = p.us ? `.${String(p.us).padStart(6, "0").replace(/0+$/, "")}` : "";
  return `${dateText(p)} ${pad2(p.hh)}:${pad2(p.mi)}:${pad2(p.ss)}${frac}`;
}

/** omopetl's ISO grammar of casts and loads: 2-digit fields, a time optional, a Z allowed, nothing around. */
const ISO = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?Z?)?$/;

/** Text (a date or a timestamp) to fields; `type` names the target in the error. */
function parse(s, type) {
  const m = ISO.exec(String(s));
  if (!m) fail(`invalid input syntax for type ${type}: "${s}"`);
  const p = parts(+m[1], +m[2], +m[3], m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0, m[7] ? Number(m[7].padEnd(6, "0")) : 0);
  checkFields(p, s);
  return p;
}

function checkFields(p, s) {
  if (p.y < 1 || p.m < 1 || p.m > 12 || p.d < 1 || p.d > daysIn(p.y, p.m) || p.hh > 23 || p.mi > 59 || p.ss > 59) {
    fail(`date/time field value out of range: "${s}"`);
  }
}

const toDate = (s) => (s === null ? null : dateText(parse(s, "date")));
const toTimestamp = (s) => (s === null ? null : timestampText(parse(s, "timestamp")));

/** Days since 1970-01-01 of a (proleptic Gregorian) date. */
const epochDay = (p) => Math.floor(Date.UTC(p.y, p.m - 1, p.d) / 86400000) + (p.y < 100 ? yearFix(p.y) : 0);
/** Date.UTC reads years 0-99 as 1900-1999. */
function yearFix(y) {
  const d = new Date(0);
  d.setUTCFullYear(y, 0, 1);
  return Math.round((d.getTime() - Date.UTC(y + 1900, 0, 1)) / 86400000);
}
function fromEpochDay(n) {
  const d = new Date(n * 86400000);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() };
}

/** d + n units (day, month, year); a day past the end of the month becomes its last day; `kind` date|timestamp. */
function dateAdd(s, n, unit, kind) {
  if (s === null || n === null) return null;
  const p = parse(s, kind);
  const k = Number(n);
  if (unit === "day") {
    const q = fromEpochDay(epochDay(p) + k);
    Object.assign(p, q);
  } else {
    const months = unit === "month" ? k : k * 12;
    const total = p.y * 12 + (p.m - 1) + months;
    p.y = Math.floor(total / 12);
    p.m = (total % 12) + 1;
    p.d = Math.min(p.d, daysIn(p.y, p.m));
  }
  if (p.y < 1 || p.y > 9999) fail(`${kind} out of range`);
  return kind === "date" ? dateText(p) : timestampText(p);
}

/** Whole units from a to b, as a BigInt (the catalogue's age-like months and years; days ignore the time of day). */
function dateDiff(unit, a, b) {
  if (a === null || b === null) return null;
  const pa = parse(a, "timestamp");
  const pb = parse(b, "timestamp");
  if (unit === "day") return BigInt(epochDay(pb) - epochDay(pa));
  const ma = pa.y * 12 + pa.m;
  const mb = pb.y * 12 + pb.m;
  const clock = (p) => ((p.d * 24 + p.hh) * 60 + p.mi) * 60e6 + p.ss * 1e6 + p.us;
  let diff = mb - ma;
  if (mb > ma && clock(pb) < clock(pa)) diff -= 1;
  else if (mb < ma && clock(pb) > clock(pa)) diff += 1;
  return BigInt(unit === "month" ? diff : Math.trunc(diff / 12));
}

/** Integers are returned as BigInt: better-sqlite3 would store a JavaScript number as a REAL. */
function datePart(part, s) {
  if (s === null) return null;
  return BigInt(datePartNumber(part, parse(s, "timestamp")));
}

function datePartNumber(part, p) {
  switch (part) {
    case "year":
      return p.y;
    case "month":
      return p.m;
    case "day":
      return p.d;
    case "hour":
      return p.hh;
    case "minute":
      return p.mi;
    case "second":
      return p.ss;
    default:
      return fail(`unit "${part}" not recognized`);
  }
}

function dateTrunc(part, s, kind) {
  if (s === null) return null;
  const p = parse(s, kind);
  const order = ["year", "month", "day", "hour", "minute", "second"];
  const i = order.indexOf(part);
  if (i < 0) fail(`unit "${part}" not recognized`);
  if (i < 1) p.m = 1;
  if (i < 2) p.d = 1;
  if (i < 3) p.hh = 0;
  if (i < 4) p.mi = 0;
  if (i < 5) p.ss = 0;
  p.us = 0;
  return kind === "date" ? dateText(p) : timestampText(p);
}

function makeDate(y, m, d) {
  if (y === null || m === null || d === null) return null;
  const p = parts(Number(y), Number(m), Number(d));
  if (p.y < 1 || p.m < 1 || p.m > 12 || p.d < 1 || p.d > daysIn(p.y, p.m)) fail(`date field value out of range: ${y}-${pad2(m)}-${pad2(d)}`);
  return dateText(p);
}

const formatCache = new Map();
/**
 * A strftime format as a whole-text regular expression and the directive of each group: omopetl's date format
 * grammar (the same regex the other engines' SQL uses, so a value is read the same way everywhere).
 */
function compileFormat(format, kind) {
  const key = `${kind} ${format}`;
  let c = formatCache.get(key);
  if (c) return c;
  const parsed = parseDateFormat(format, kind === "date" ? "date" : "datetime");
  if (isDateFormatProblem(parsed)) fail(`the date format "${format}" ${parsed.message}`);
  c = { re: new RegExp(`^${parsed.regex}$`), fields: parsed.parts.map((p) => p.directive) };
  formatCache.set(key, c);
  return c;
}

/** Text parsed with a strftime format as a whole (trailing text is an error); `kind` date|timestamp. */
function strptime(s, format, kind) {
  if (s === null || format === null) return null;
  const { re, fields } = compileFormat(String(format), kind);
  const m = re.exec(String(s));
  if (!m) fail(`invalid value "${s}" for format "${format}"`);
  const p = parts(1, 1, 1);
  fields.forEach((f, i) => {
    const v = m[i + 1];
    if (f === "Y") p.y = +v;
    else if (f === "y") p.y = +v < 69 ? 2000 + +v : 1900 + +v;
    else if (f === "m") p.m = +v;
    else if (f === "d") p.d = +v;
    else if (f === "H") p.hh = +v;
    else if (f === "M") p.mi = +v;
    else if (f === "S") p.ss = +v;
    else if (f === "f") p.us = Number(v.padEnd(6, "0"));
  });
  checkFields(p, s);
  return kind === "date" ? dateText(p) : timestampText(p);
}

/** parse_date / parse_datetime: the first format that reads `s` (in order), else an error naming them all. */
function strptimeAny(s, kind, ...formats) {
  if (s === null) return null;
  for (const f of formats) {
    try {
      return strptime(s, f, kind);
    } catch {
      // not this format: the next one
    }
  }
  fail(`${kind === "date" ? "parse_date" : "parse_datetime"}: "${s}" matches none of the formats tried in order, ${formats.map((f) => JSON.stringify(f)).join(", ")}`);
}

/** Today's date (UTC) as ISO text. */
const currentDate = () => new Date().toISOString().slice(0, 10);

/**
 * The functions to register: name -> [implementation, options]. `safeIntegers` where 64-bit integers must arrive
 * exactly (as BigInt); `varargs` for functions with optional arguments.
 */
export const SQL_FUNCTIONS = {
  omopetl_error: [(msg) => fail(msg === null ? "error" : String(msg)), { deterministic: false }],
  omopetl_int4: [int4, { safeIntegers: true }],
  omopetl_int8: [int8, { safeIntegers: true }],
  omopetl_float_to_int4: [(x) => floatToInt(x, 32), { safeIntegers: true }],
  omopetl_float_to_int8: [(x) => floatToInt(x, 64), { safeIntegers: true }],
  omopetl_text_to_float: [textToFloat, {}],
  omopetl_float_in_range: [floatInRange, {}],
  omopetl_float_text: [floatText, {}],
  omopetl_round: [round, { varargs: true, safeIntegers: true }],
  omopetl_sqrt: [sqrt, {}],
  omopetl_power: [power, {}],
  omopetl_greatest: [extreme(1), { varargs: true, safeIntegers: true }],
  omopetl_least: [extreme(-1), { varargs: true, safeIntegers: true }],
  omopetl_lower: [lower, {}],
  omopetl_upper: [upper, {}],
  omopetl_left: [left, {}],
  omopetl_right: [right, {}],
  omopetl_substr: [substr, { varargs: true }],
  omopetl_lpad: [pad("l"), { varargs: true }],
  omopetl_rpad: [pad("r"), { varargs: true }],
  omopetl_split_part: [splitPart, {}],
  omopetl_md5: [md5, {}],
  omopetl_regexp_replace: [regexpReplace, { varargs: true }],
  omopetl_regexp_full: [regexpFull, {}],
  omopetl_like: [like, {}],
  omopetl_chr: [chr, {}],
  omopetl_date: [toDate, {}],
  omopetl_timestamp: [toTimestamp, {}],
  omopetl_date_add: [dateAdd, {}],
  omopetl_date_diff: [dateDiff, {}],
  omopetl_date_part: [datePart, {}],
  omopetl_date_trunc: [dateTrunc, {}],
  omopetl_make_date: [makeDate, {}],
  omopetl_strptime: [strptime, {}],
  omopetl_strptime_any: [strptimeAny, { varargs: true }],
  omopetl_regexp_search: [regexpSearch, {}],
  omopetl_regexp_replace_all: [regexpReplaceAll, {}],
  omopetl_regexp_extract: [regexpExtract, {}],
  omopetl_translate: [translate, {}],
  omopetl_current_date: [currentDate, { deterministic: false }],
  // Names other omopetl SQL calls as is (load checks, header checks, messages): PostgreSQL's meaning.
  regexp_replace: [regexpReplace, { varargs: true }],
  left: [left, {}],
  right: [right, {}],
  chr: [chr, {}],
};

/** Registers {@link SQL_FUNCTIONS} on a better-sqlite3 database. */
export function registerFunctions(db) {
  for (const [name, [fn, options]] of Object.entries(SQL_FUNCTIONS)) {
    db.function(name, { deterministic: options.deterministic ?? true, varargs: options.varargs ?? false, safeIntegers: options.safeIntegers ?? false }, fn);
  }
}
