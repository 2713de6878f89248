import { ERR } from "./semantics-types.js";
import type { SemanticsEntry } from "./semantics-types.js";

/** Date and datetime functions (month ends, leap days, differences, formats): entries of the semantics catalogue, in the order of docs/semantics.md. */
export const DATE_SEMANTICS: readonly SemanticsEntry[] = [
  // ---- dates -------------------------------------------------------------------------------------------------
  {
    construct: "date_add",
    functions: ["date_add"],
    promise: "Adds days, months or years; a day past the end of the target month becomes its last day (Jan 31 + 1 month = Feb 29 in a leap year); keeps the time of a datetime.",
    cases: [
      { dml: "date_add(DATE '2020-01-31', 1, 'month')", expected: "2020-02-29" },
      { dml: "date_add(DATE '2021-01-31', 1, 'month')", expected: "2021-02-28" },
      { dml: "date_add(DATE '2020-02-29', -1, 'year')", expected: "2019-02-28" },
      { dml: "date_add(DATE '2020-01-31', 10, 'day')", expected: "2020-02-10" },
      { dml: "date_add(TIMESTAMP '2020-01-31 10:00:00', 1, 'month')", expected: "2020-02-29 10:00:00" },
      { dml: "date_add(TIMESTAMP '2020-01-31 10:00:00', -31, 'day')", expected: "2019-12-31 10:00:00" },
    ],
  },
  {
    construct: "date_diff",
    functions: ["date_diff"],
    promise:
      "Whole units from a to b: days ignore the time of day; months and years count only complete ones (an age: 2000-02-29 to 2001-02-28 is 0 years), comparing the time of day too; negative when b is before a.",
    cases: [
      { dml: "date_diff('day', DATE '2020-01-01', DATE '2020-03-01')", expected: 60 },
      { dml: "date_diff('day', TIMESTAMP '2020-01-01 23:00:00', TIMESTAMP '2020-01-02 01:00:00')", expected: 1 },
      { dml: "date_diff('day', DATE '2020-03-01', DATE '2020-01-01')", expected: -60 },
      { dml: "date_diff('month', DATE '2020-01-31', DATE '2020-02-29')", expected: 0 },
      { dml: "date_diff('month', DATE '2020-01-31', DATE '2020-03-01')", expected: 1 },
      { dml: "date_diff('month', DATE '2020-03-15', DATE '2020-01-20')", expected: -1 },
      { dml: "date_diff('month', DATE '2020-01-15', DATE '2020-01-31')", expected: 0 },
      { dml: "date_diff('month', TIMESTAMP '2020-01-15 10:00:00', TIMESTAMP '2020-02-15 09:59:59')", expected: 0 },
      { dml: "date_diff('month', TIMESTAMP '2020-01-15 10:00:00', TIMESTAMP '2020-02-15 10:00:00')", expected: 1 },
      { dml: "date_diff('month', DATE '2020-01-15', TIMESTAMP '2020-02-15 00:00:00')", expected: 1 },
      { dml: "date_diff('year', DATE '2000-02-29', DATE '2001-02-28')", expected: 0 },
      { dml: "date_diff('year', DATE '2000-02-29', DATE '2004-02-29')", expected: 4 },
      { dml: "datediff('year', DATE '2010-06-01', DATE '2000-06-02')", expected: -9 },
    ],
  },
  {
    construct: "date_part / EXTRACT",
    functions: ["date_part"],
    promise: "An integer field; seconds are truncated; the time fields of a date are 0.",
    cases: [
      { dml: "date_part('year', DATE '2020-05-06')", expected: 2020 },
      { dml: "EXTRACT(MONTH FROM DATE '2020-05-06')", expected: 5 },
      { dml: "date_part('second', TIMESTAMP '2020-01-01 10:00:05.7')", expected: 5 },
      { dml: "date_part('hour', DATE '2020-01-01')", expected: 0 },
    ],
  },
  {
    construct: "date_trunc",
    functions: ["date_trunc"],
    promise: "Truncates to the unit; a date stays a date.",
    cases: [
      { dml: "date_trunc('month', DATE '2020-05-06')", expected: "2020-05-01" },
      { dml: "date_trunc('year', DATE '2020-05-06')", expected: "2020-01-01" },
      { dml: "date_trunc('hour', TIMESTAMP '2020-05-06 10:30:00')", expected: "2020-05-06 10:00:00" },
      { dml: "date_trunc('month', TIMESTAMP '2020-05-06 10:30:00')", expected: "2020-05-01 00:00:00" },
    ],
  },
  {
    construct: "current_date",
    functions: ["current_date"],
    promise: "Today's date in the session's time zone (the one non-deterministic function: avoid it in ETL logic).",
    cases: [{ dml: "current_date > DATE '2020-01-01'", expected: true }],
  },
  {
    construct: "make_date",
    functions: ["make_date"],
    promise: "A date from year, month and day; a day that does not exist is an error.",
    cases: [
      { dml: "make_date(2020, 2, 29)", expected: "2020-02-29" },
      { dml: "make_date(2021, 2, 29)", expected: ERR },
    ],
  },
  {
    construct: "to_date / to_timestamp",
    functions: ["to_date", "to_timestamp"],
    promise:
      "Parse text with a strftime format, the grammar of load date formats (`%Y` 4 digits, `%y` 2 digits with 69-99 -> 19xx and 00-68 -> 20xx, `%m %d %H %M %S` 1 or 2 digits between non-digits and 2 next to a digit, `%f` 1 to 6 digits, literal separators); text that does not match the whole format, or is not a day of the calendar or a time of the clock, is an error; timestamps have no time zone.",
    cases: [
      { dml: "to_date('20200131', '%Y%m%d')", expected: "2020-01-31" },
      { dml: "to_date('31/01/2020', '%d/%m/%Y')", expected: "2020-01-31" },
      { dml: "to_date(concat('1/5/2020'), '%m/%d/%Y')", expected: "2020-01-05" },
      { dml: "to_timestamp('20200308 023000', '%Y%m%d %H%M%S')", expected: "2020-03-08 02:30:00", note: "a DST gap elsewhere: no time zone here" },
      { dml: "to_date(concat('690105'), '%y%m%d')", expected: "1969-01-05", note: "PostgreSQL's YY alone read 2069" },
      { dml: "to_date(concat('680105'), '%y%m%d')", expected: "2068-01-05" },
      { dml: "to_date(concat('20200230'), '%Y%m%d')", expected: ERR, note: "no such day" },
      { dml: "to_date(concat('2020-01-05junk'), '%Y-%m-%d')", expected: ERR, note: "PostgreSQL's to_date alone read 2020-01-05" },
      { dml: "to_date(concat('20-1-5'), '%Y-%m-%d')", expected: ERR, note: "both engines read the year 20" },
      { dml: "to_date(concat('2020015'), '%Y%m%d')", expected: ERR, note: "compact fields are read at full width" },
      { dml: "to_timestamp(concat('2020-01-05 24:00'), '%Y-%m-%d %H:%M')", expected: ERR },
    ],
  },
];
