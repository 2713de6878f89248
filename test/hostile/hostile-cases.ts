import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fixturesDir, repoRoot, specDir } from "../helpers/paths.js";

/**
 * The hostile-input corpus: each case prepares files in a fresh copy of a small valid workflow (the `basic` compile
 * fixture, or a one-step DuckDB load for `run` cases) and names the command line to run. Inputs are generated here,
 * at test time (a 50 MB line is not kept in the repository).
 */
export interface HostileCase {
  name: string;
  /**
   * "basic": test/fixtures/compile/basic (validates clean); "load": a one-step CSV load run on DuckDB; "load-pg": the
   * same load on the PostgreSQL test server (target "pg", schemas of its own).
   */
  base?: "basic" | "load" | "load-pg";
  /** Writes the case's files into `dir` and returns the CLI arguments (without the spec dir). */
  setup: (dir: string) => string[];
  /** False: no `-p source_dir=...` (a compiled plan takes no parameters). */
  params?: false;
  /** The diagnostic code the output must contain; undefined when the input is accepted. */
  code?: string;
  /** True when the code must come with file:line:col. */
  located?: boolean;
  /** The exit code, when it is known exactly. */
  exit?: number;
  /** Text the output must contain (e.g. an escaped control character). */
  contains?: string;
}

const PERSON = readFileSync(path.join(fixturesDir, "compile/basic/dml/person.yaml"), "utf8");

/** The basic fixture's person.yaml with `month_of_birth` mapped to `expr` (written as given: quote it yourself). */
function personWith(expr: string): string {
  return PERSON.replace(/^ {2}month_of_birth: .*$/m, () => `  month_of_birth: ${expr}`);
}

/** The basic fixture's person.yaml with an extra line at the end of `columns:`. */
function personPlus(line: string): string {
  return PERSON.trimEnd() + "\n" + line + "\n";
}

const VALIDATE = ["validate", "workflow.yaml"];
const PERSON_FILE = "dml/person.yaml";

/** A case that replaces dml/person.yaml of the basic fixture with `content` and validates. */
function dml(name: string, content: string | Buffer | (() => string | Buffer), code: string | undefined, extra: Partial<HostileCase> = {}): HostileCase {
  return {
    name,
    setup: (dir) => {
      writeFileSync(path.join(dir, PERSON_FILE), typeof content === "function" ? content() : content);
      return VALIDATE;
    },
    code,
    located: code !== undefined,
    ...(code === undefined ? { exit: 0 } : { exit: 1 }),
    ...extra,
  };
}

/** A case whose workflow.yaml is `content`. */
function workflow(name: string, content: string | Buffer | (() => string | Buffer), code: string, extra: Partial<HostileCase> = {}): HostileCase {
  return {
    name,
    setup: (dir) => {
      writeFileSync(path.join(dir, "workflow.yaml"), typeof content === "function" ? content() : content);
      return VALIDATE;
    },
    code,
    located: true,
    exit: 1,
    ...extra,
  };
}

const nested = (open: string, inner: string, close: string, n: number) => open.repeat(n) + inner + close.repeat(n);
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

/** Deterministic pseudo-random bytes (a linear congruential generator): the same corpus on every run. */
function randomBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function mkfifo(p: string): void {
  execFileSync("mkfifo", [p]);
}

export const HOSTILE_CASES: HostileCase[] = [
  // --- the baseline: the corpus's base inputs are valid -----------------------------------------------------------
  { name: "baseline: the basic fixture validates", setup: () => VALIDATE, exit: 0 },
  { name: "baseline: the load workflow runs", base: "load", setup: () => ["run", "workflow.yaml"], exit: 0 },

  // --- expression depth -----------------------------------------------------------------------------------------
  dml("expr: 10,000 nested parentheses", personWith(nested("(", "1", ")", 10_000)), "EXPR_TOO_DEEP"),
  dml("expr: 201 nested parentheses", personWith(nested("(", "1", ")", 201)), "EXPR_TOO_DEEP"),
  dml("expr: 200 nested parentheses are accepted", personWith(`CAST(${nested("(", "1", ")", 198)} AS integer)`), undefined),
  dml("expr: a chain of 100,000 additions", personWith(Array(100_000).fill("1").join(" + ")), "EXPR_TOO_DEEP"),
  dml("expr: 300 ORs", personWith(`CASE WHEN ${Array(300).fill("p.gender = 'x'").join(" OR ")} THEN 1 ELSE 2 END`), "EXPR_TOO_DEEP"),
  dml("expr: 10,000 NOTs", personWith(`CASE WHEN ${"NOT ".repeat(10_000)}true THEN 1 ELSE 2 END`), "EXPR_TOO_DEEP"),
  dml("expr: 10,000 unary minus", personWith(`"${"- ".repeat(10_000)}1"`), "EXPR_TOO_DEEP"),
  dml("expr: 5,000 nested function calls", personWith(nested("coalesce(", "1", ", 2)", 5_000)), "EXPR_TOO_DEEP"),
  dml("expr: 1,000 nested CASE", personWith(nested("CASE WHEN true THEN ", "1", " ELSE 2 END", 1_000)), "EXPR_TOO_DEEP"),
  dml("expr: 3,000 nested CASTs", personWith(nested("CAST(", "1", " AS integer)", 3_000)), "EXPR_TOO_DEEP"),
  dml("expr: 100,000 values in IN (...)", personWith(`CASE WHEN p.gender IN (${Array(100_000).fill("'x'").join(",")}) THEN 1 ELSE 2 END`), undefined),

  // --- numbers --------------------------------------------------------------------------------------------------
  dml("number: 1e999 in an expression", personWith("1e999"), "EXPR_SYNTAX", { contains: "out of range" }),
  dml("number: 1e-999 in an expression", personWith("1e-999 + 1"), "EXPR_SYNTAX", { contains: "out of range" }),
  dml("number: 99999999999999999999 in an expression", personWith(`"99999999999999999999 + 1"`), "EXPR_SYNTAX"),
  dml("number: YAML 99999999999999999999", personWith("99999999999999999999"), "NUMBER_OUT_OF_RANGE"),
  dml("number: 10,000-digit number", personWith("9".repeat(10_000)), "EXPR_SYNTAX"),
  dml("number: 1.0e999 (a string to YAML, an expression)", personWith("1.0e999"), "EXPR_SYNTAX"),
  dml("number: YAML .inf", personWith(".inf"), "NUMBER_OUT_OF_RANGE"),
  dml("number: YAML -.inf", personWith("-.inf"), "NUMBER_OUT_OF_RANGE"),
  dml("number: YAML .nan", personWith(".nan"), "NUMBER_OUT_OF_RANGE"),
  dml("number: YAML 9007199254740993", personWith("9007199254740993"), "NUMBER_OUT_OF_RANGE", { contains: "9007199254740993" }),

  // --- YAML structure ---------------------------------------------------------------------------------------------
  dml("yaml: undefined alias", PERSON.replace("kind: transform", "kind: *kind"), "YAML_ALIAS"),
  dml("yaml: undefined alias as a key", personPlus("  *col : p.id"), "YAML_ALIAS"),
  dml("yaml: alias before its anchor", personPlus("  care_site_id: *v\n  provider_id: &v 1"), "YAML_ALIAS"),
  dml(
    "yaml: billion laughs",
    () => {
      let s = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
      for (let i = 1; i < 9; i++) s += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
      return s + PERSON;
    },
    "YAML_ALIAS",
  ),
  dml("yaml: 10,000 nested flow sequences", "kind: " + nested("[", "", "]", 10_000), "YAML_TOO_DEEP"),
  dml("yaml: 101 nested flow sequences", "kind: " + nested("[", "", "]", 101), "YAML_TOO_DEEP"),
  dml("yaml: 5,000 nested flow mappings", "kind: " + nested("{a: ", "1", "}", 5_000), "YAML_TOO_DEEP"),
  dml(
    "yaml: 150 levels of block indentation",
    () => "kind: transform\nx:\n" + Array.from({ length: 150 }, (_, i) => `${" ".repeat(i + 1)}- \n`).join(""),
    "YAML_TOO_DEEP",
  ),
  dml("yaml: truncated in the middle of a quoted string", () => PERSON.slice(0, PERSON.indexOf("'M'") + 2), "YAML_SYNTAX"),
  dml("yaml: truncated in a flow sequence", "kind: transform\nkey: [person_id, ", "YAML_SYNTAX"),
  dml("yaml: truncated after a key", () => PERSON.slice(0, PERSON.indexOf("columns:") + 3), undefined, { code: undefined, exit: 1, located: false }),
  dml("yaml: empty file", "", undefined, { exit: 1 }),
  dml("yaml: only a comment", "# nothing here\n", undefined, { exit: 1 }),
  dml("yaml: only a document marker", "---\n", undefined, { exit: 1 }),
  dml("yaml: two documents", () => PERSON + "---\n" + PERSON, "YAML_SYNTAX"),
  dml("yaml: tab indentation", () => PERSON.replace("\n  year_of_birth", "\n\tyear_of_birth"), "YAML_SYNTAX"),
  dml("yaml: 1,000 duplicate keys", () => personPlus(Array(1000).fill("  person_source_value: p.id").join("\n")), "DUPLICATE_KEY"),
  dml("yaml: a sequence as a key", personPlus("  ? [a, b]\n  : p.id"), undefined, { exit: 1 }),
  dml("yaml: an unknown tag", PERSON.replace("kind: transform", "kind: !python/object transform"), undefined, { exit: undefined }),
  dml("yaml: a js/function tag", PERSON.replace("kind: transform", "kind: !!js/function 'function(){}'"), undefined, { exit: 1 }),
  dml("yaml: a binary scalar", PERSON.replace("kind: transform", "kind: !!binary aGVsbG8="), undefined, { exit: 1 }),
  dml("yaml: a merge key", personPlus("  <<: {person_source_value: p.id}"), undefined, { exit: undefined }),
  dml("yaml: CRLF line endings", () => PERSON.replace(/\n/g, "\r\n"), undefined),
  dml("yaml: CR-only line endings", () => PERSON.replace(/\n/g, "\r"), undefined, { exit: undefined }),
  dml("yaml: a scalar document", "just a string\n", undefined, { exit: 1 }),
  dml("yaml: a sequence document", "- 1\n- 2\n", undefined, { exit: 1 }),

  // --- encodings --------------------------------------------------------------------------------------------------
  dml("encoding: UTF-8 byte-order mark is accepted", () => bytes([0xef, 0xbb, 0xbf], PERSON), undefined),
  workflow("encoding: UTF-8 BOM on the workflow is accepted", () => bytes([0xef, 0xbb, 0xbf], readFileSync(path.join(fixturesDir, "compile/basic/workflow.yaml"), "utf8")), "", { code: undefined, exit: 0, located: false }),
  dml("encoding: UTF-16LE with BOM", () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(PERSON, "utf16le")]), "INVALID_ENCODING"),
  dml("encoding: UTF-16BE with BOM", () => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(PERSON, "utf16le").swap16()]), "INVALID_ENCODING"),
  dml("encoding: UTF-16LE without BOM", () => Buffer.from(PERSON, "utf16le"), "INVALID_ENCODING"),
  dml("encoding: a Latin-1 byte", () => bytes("# caf", [0xe9], "\n", PERSON), "INVALID_ENCODING", { contains: "1:6" }),
  dml("encoding: UTF-8 then Latin-1 on line 5 (mixed)", () => { const lines = PERSON.split("\n"); return bytes(lines.slice(0, 4).join("\n") + "\n# é then ", [0xe9], "\n", lines.slice(4).join("\n")); }, "INVALID_ENCODING", { contains: "5:" }),
  dml("encoding: an overlong UTF-8 sequence", () => bytes(PERSON, "# ", [0xc0, 0xaf], "\n"), "INVALID_ENCODING"),
  dml("encoding: a UTF-8-encoded surrogate", () => bytes(PERSON, "# ", [0xed, 0xa0, 0x80], "\n"), "INVALID_ENCODING"),
  dml("encoding: a multibyte sequence cut at the end", () => bytes(PERSON, "# ", [0xe2, 0x82]), "INVALID_ENCODING"),
  dml("encoding: a NUL byte in the middle", () => bytes(PERSON.slice(0, 40), [0], PERSON.slice(40)), "INVALID_ENCODING"),
  dml("encoding: 100,000 NUL bytes", () => Buffer.alloc(100_000), "INVALID_ENCODING"),
  dml("encoding: 1 MB of random bytes", () => randomBytes(1 << 20, 42), "INVALID_ENCODING"),
  dml("encoding: random bytes after valid YAML", () => Buffer.concat([Buffer.from(PERSON), randomBytes(4096, 7)]), "INVALID_ENCODING"),

  // --- control characters reach the terminal escaped ----------------------------------------------------------
  dml("control: ESC and BEL in an unknown column name", personPlus('  "\\e]0;pwned\\a\\e[2Jcol": p.id'), "INVALID_VALUE", { contains: "\\x1B" }),
  dml("control: ESC inside an expression", personWith('"p.\\e[31mgender"'), "EXPR_SYNTAX", { contains: "\\u001b" }),
  dml("control: a C1 CSI in a column name", personPlus('  "x\\u009b2Jy": p.id'), "INVALID_VALUE", { contains: "\\x9B" }),
  dml("control: a bidi override in a column name", personPlus('  "abc\\u202edcba": p.id'), "INVALID_VALUE", { contains: "\\u202E" }),
  dml("control: a NUL escape in a target", PERSON.replace("target: cdm.person", 'target: "cdm.per\\0son"'), "INVALID_VALUE"),
  dml("control: a raw ESC byte in a plain scalar", () => PERSON.replace("target: cdm.person", "target: cdm.\x1b[2Jperson"), undefined, { exit: 1 }),
  dml("control: emoji and zero-width characters in names", personPlus("  \"gen\u200bder\": p.\u{1F600}"), undefined, { exit: 1 }),

  // --- sizes: bounded output and time ---------------------------------------------------------------------------
  dml("size: a 2 MB column name", () => personPlus(`  ${"x".repeat(2_000_000)}: p.id`), "UNKNOWN_COLUMN", { contains: "more characters" }),
  dml("size: a 10 MB reference in an expression", () => personWith(`p.${"y".repeat(10_000_000)}`), "UNKNOWN_COLUMN", { contains: "more characters" }),
  dml("size: a 2 MB string literal", () => personWith(`"'${"z".repeat(2_000_000)}'"`), undefined, { exit: 1 }),
  dml("size: a 1 MB line with the error at its end", () => personWith(`"CASE ${"WHEN p.gender = 'x' THEN 1 ".repeat(30_000)}ELSE nope END"`), "UNKNOWN_COLUMN"),
  dml("size: a 50 MB line", () => personWith("1" + " ".repeat(50 * 1024 * 1024)), "FILE_UNREADABLE", { located: true, contains: "bytes" }),
  dml("size: 10,000 unknown columns", () => personPlus(Array.from({ length: 10_000 }, (_, i) => `  unknown_${i}: p.id`).join("\n")), "UNKNOWN_COLUMN", { contains: "more (not shown)" }),
  dml("size: 30,000 unknown fields", () => PERSON + Array.from({ length: 30_000 }, (_, i) => `field_${i}: 1`).join("\n"), "UNKNOWN_FIELD", { contains: "more (not shown)" }),
  workflow(
    "size: 100,000 steps",
    () => readFileSync(path.join(fixturesDir, "compile/basic/workflow.yaml"), "utf8") + Array.from({ length: 100_000 }, (_, i) => `  - { name: s${i}, dml: dml/person.yaml }`).join("\n") + "\n",
    "TOO_MANY_STEPS",
  ),
  workflow(
    "size: 5,000 merge steps into one table (a 5,000-long dependency chain)",
    () => readFileSync(path.join(fixturesDir, "compile/basic/workflow.yaml"), "utf8") + Array.from({ length: 5_000 }, (_, i) => `  - { name: s${i}, dml: dml/person.yaml }`).join("\n") + "\n",
    "",
    { code: undefined, exit: 0, located: false },
  ),
  workflow("size: 10,000 missing DML files", () => readFileSync(path.join(fixturesDir, "compile/basic/workflow.yaml"), "utf8") + Array.from({ length: 10_000 }, (_, i) => `  - dml: dml/missing_${i}.yaml`).join("\n") + "\n", "FILE_NOT_FOUND"),

  // --- special files ------------------------------------------------------------------------------------------
  { name: "file: the workflow is a directory", setup: (d) => (mkdirSync(path.join(d, "wf.yaml")), ["validate", "wf.yaml"]), code: "FILE_UNREADABLE", exit: 1 },
  { name: "file: the workflow is /dev/zero", setup: () => ["validate", "/dev/zero"], code: "FILE_UNREADABLE", exit: 1 },
  { name: "file: the workflow is /dev/null", setup: () => ["validate", "/dev/null"], code: "FILE_UNREADABLE", exit: 1 },
  { name: "file: the workflow is /dev/urandom", setup: () => ["validate", "/dev/urandom"], code: "FILE_UNREADABLE", exit: 1 },
  { name: "file: the workflow is a FIFO", setup: (d) => (mkfifo(path.join(d, "fifo.yaml")), ["validate", "fifo.yaml"]), code: "FILE_UNREADABLE", exit: 1 },
  { name: "file: the workflow is a symlink loop", setup: (d) => (symlinkSync("b.yaml", path.join(d, "a.yaml")), symlinkSync("a.yaml", path.join(d, "b.yaml")), ["validate", "a.yaml"]), code: "FILE_UNREADABLE", exit: 1 },
  { name: "file: the workflow is a symlink to itself", setup: (d) => (symlinkSync("self.yaml", path.join(d, "self.yaml")), ["validate", "self.yaml"]), code: "FILE_UNREADABLE", exit: 1 },
  { name: "file: the workflow does not exist", setup: () => ["validate", "nope.yaml"], code: "FILE_NOT_FOUND", exit: 1 },
  { name: "file: a workflow name with ESC", setup: () => ["validate", "\x1b[2Jnope.yaml"], code: "FILE_NOT_FOUND", exit: 1, contains: "\\x1B" },
  { name: "file: a DML file is a FIFO", setup: (d) => (mkfifo(path.join(d, "dml/stage_visits.yaml.fifo")), writeFileSync(path.join(d, "workflow.yaml"), readFileSync(path.join(d, "workflow.yaml"), "utf8").replace("dml/stage_visits.yaml", "dml/stage_visits.yaml.fifo")), VALIDATE), code: "FILE_UNREADABLE", located: true, exit: 1 },
  { name: "file: a DML file is a symlink to /dev/zero", setup: (d) => (symlinkSync("/dev/zero", path.join(d, "dml/zero.yaml")), writeFileSync(path.join(d, "workflow.yaml"), readFileSync(path.join(d, "workflow.yaml"), "utf8") + "  - dml: dml/zero.yaml\n"), VALIDATE), code: "FILE_UNREADABLE", located: true, exit: 1 },
  { name: "file: a DML file is a directory", setup: (d) => (mkdirSync(path.join(d, "dml/dir.yaml")), writeFileSync(path.join(d, "workflow.yaml"), readFileSync(path.join(d, "workflow.yaml"), "utf8") + "  - dml: dml/dir.yaml\n"), VALIDATE), code: "FILE_UNREADABLE", located: true, exit: 1 },
  { name: "file: a DML glob over a FIFO and a symlink loop", setup: (d) => (mkfifo(path.join(d, "dml/load/fifo.yaml")), symlinkSync("loop2.yaml", path.join(d, "dml/load/loop1.yaml")), symlinkSync("loop1.yaml", path.join(d, "dml/load/loop2.yaml")), VALIDATE), exit: 0 },
  { name: "file: a DML glob over a directory symlink loop", setup: (d) => (symlinkSync(".", path.join(d, "dml/load/again")), VALIDATE), exit: 0 },
  { name: "file: --config is a FIFO", setup: (d) => (mkfifo(path.join(d, "cfg.yaml")), ["validate", "workflow.yaml", "--config", "cfg.yaml"]), code: "FILE_UNREADABLE", exit: 2 },
  { name: "file: --config is /dev/zero", setup: () => ["validate", "workflow.yaml", "--config", "/dev/zero"], code: "FILE_UNREADABLE", exit: 2 },
  { name: "file: --config is a directory", setup: (d) => (mkdirSync(path.join(d, "cfgdir")), ["validate", "workflow.yaml", "--config", "cfgdir"]), code: "FILE_UNREADABLE", exit: 2 },
  { name: "file: --config nested 10,000 deep", setup: (d) => (writeFileSync(path.join(d, "deep.yaml"), "targets: " + nested("[", "", "]", 10_000)), ["validate", "workflow.yaml", "--config", "deep.yaml"]), code: "CONFIG_INVALID", exit: 2 },
  { name: "config: a found configuration in Latin-1", setup: (d) => (writeFileSync(path.join(d, "omopetl.config.yaml"), bytes("params:\n  site: caf", [0xe9], "\n")), VALIDATE), code: "INVALID_ENCODING", located: true, exit: 2 },
  { name: "config: a found configuration nested 10,000 deep", setup: (d) => (writeFileSync(path.join(d, "omopetl.config.yaml"), "targets: " + nested("{a: ", "1", "}", 10_000)), VALIDATE), code: "CONFIG_INVALID", exit: 2 },
  { name: "config: a 2 MB unknown key with ESC", setup: (d) => (writeFileSync(path.join(d, "omopetl.config.yaml"), `"\\e[2J${"k".repeat(2_000_000)}": 1\n`), VALIDATE), code: "CONFIG_INVALID", located: true, exit: 2, contains: "more characters" },
  { name: "config: ESC in a target's URL", setup: (d) => (writeFileSync(path.join(d, "omopetl.config.yaml"), 'targets:\n  pg: { provider: postgres, url: "postgres://u@h\\e]0;x\\a:1/db" }\n'), ["run", "workflow.yaml", "--target", "pg"]), exit: 2 },
  { name: "file: a plan that is /dev/zero", params: false, setup: (d) => (symlinkSync("/dev/zero", path.join(d, "plan.json")), ["run", "plan.json"]), code: "FILE_UNREADABLE", exit: 2 },
  { name: "file: a truncated plan", params: false, setup: (d) => (writeFileSync(path.join(d, "plan.json"), '{"version": 1, "steps": ['), ["run", "plan.json"]), code: "PLAN_INVALID", exit: 2 },
  { name: "file: a plan nested 100,000 deep", params: false, setup: (d) => (writeFileSync(path.join(d, "plan.json"), nested("[", "", "]", 100_000)), ["run", "plan.json"]), code: "PLAN_INVALID", exit: 2 },
  { name: "file: a plan with invalid UTF-8", params: false, setup: (d) => (writeFileSync(path.join(d, "plan.json"), bytes('{"name": "', [0xff, 0xfe], '"}')), ["run", "plan.json"]), code: "INVALID_ENCODING", exit: 2 },

  // --- output paths, checked before anything runs -----------------------------------------------------------------
  { name: "output: compile -o names a directory", setup: (d) => (mkdirSync(path.join(d, "out")), ["compile", "workflow.yaml", "-o", "out"]), code: "OUTPUT_PATH", exit: 2 },
  { name: "output: compile -o under a file", setup: () => ["compile", "workflow.yaml", "-o", "workflow.yaml/plan.json"], code: "OUTPUT_PATH", exit: 2 },
  { name: "output: compile -o is a device", setup: () => ["compile", "workflow.yaml", "-o", "/dev/full"], code: "OUTPUT_PATH", exit: 2 },
  { name: "output: compile -o is a FIFO", setup: (d) => (mkfifo(path.join(d, "plan-fifo")), ["compile", "workflow.yaml", "-o", "plan-fifo"]), code: "OUTPUT_PATH", exit: 2 },
  { name: "output: compile --sql-dir is a file", setup: () => ["compile", "workflow.yaml", "--dialect", "duckdb", "--sql-dir", "workflow.yaml"], code: "OUTPUT_PATH", exit: 2 },
  { name: "output: compile --sql-dir under a file", setup: () => ["compile", "workflow.yaml", "--dialect", "duckdb", "--sql-dir", "workflow.yaml/sql"], code: "OUTPUT_PATH", exit: 2 },
  { name: "output: compile -o in a missing folder is created", setup: () => ["compile", "workflow.yaml", "-o", "new/folder/plan.json"], exit: 0 },
  { name: "output: run --metrics-out names a directory", base: "load", setup: (d) => (mkdirSync(path.join(d, "metrics")), ["run", "workflow.yaml", "--metrics-out", "metrics"]), code: "OUTPUT_PATH", exit: 2 },
  { name: "output: run --metrics-out under a file", base: "load", setup: () => ["run", "workflow.yaml", "--metrics-out", "data.csv/m.json"], code: "OUTPUT_PATH", exit: 2 },
  { name: "output: run --metrics-out is /dev/zero", base: "load", setup: () => ["run", "workflow.yaml", "--metrics-out", "/dev/zero"], code: "OUTPUT_PATH", exit: 2 },
  { name: "output: the DuckDB file is a directory", base: "load", setup: (d) => (mkdirSync(path.join(d, "omop.duckdb")), ["run", "workflow.yaml"]), code: "OUTPUT_PATH", exit: 2 },
  { name: "output: the DuckDB file's folder is a file", base: "load", setup: (d) => (writeFileSync(path.join(d, "omopetl.config.yaml"), "targets:\n  t: { provider: duckdb, path: ./data.csv/omop.duckdb }\n"), ["run", "workflow.yaml", "--target", "t"]), code: "OUTPUT_PATH", exit: 2 },

  // --- arguments and engine errors ---------------------------------------------------------------------------
  { name: "argument: an unknown --param with ESC", setup: () => ["validate", "workflow.yaml", "-p", "\x1b]0;x\x07=1"], code: "UNKNOWN_PARAM", exit: 1, contains: "\\x1B" },
  { name: "argument: a 100 KB --param value", setup: () => ["validate", "workflow.yaml", "-p", `unknown=${"v".repeat(100_000)}`], code: "UNKNOWN_PARAM", exit: 1 },
  { name: "engine: ESC and BEL from a data file in a DuckDB error", base: "load", setup: (d) => (writeFileSync(path.join(d, "data.csv"), "id,name\n1,a\n\x1b]0;pwned\x07\x1b[2J,b\n"), ["run", "workflow.yaml"]), exit: 1, contains: "\\x1B]0;pwned\\x07" },
  { name: "engine: a 1 MB bad value in a DuckDB error", base: "load", setup: (d) => (writeFileSync(path.join(d, "data.csv"), `id,name\n${"9".repeat(1_000_000)}x,b\n`), ["run", "workflow.yaml"]), exit: 1 },
  // The same hostile data on PostgreSQL: the same error (or the same escaping) as on DuckDB.
  { name: "baseline: the load workflow runs on PostgreSQL", base: "load-pg", setup: () => ["run", "workflow.yaml", "--target", "pg"], exit: 0 },
  { name: "engine: ESC and BEL from a data file in a PostgreSQL error", base: "load-pg", setup: (d) => (writeFileSync(path.join(d, "data.csv"), "id,name\n1,a\n\x1b]0;pwned\x07\x1b[2J,b\n"), ["run", "workflow.yaml", "--target", "pg"]), exit: 1, contains: "\\x1B]0;pwned\\x07" },
  { name: "file: a load reads a FIFO, on PostgreSQL", base: "load-pg", setup: (d) => (rmSync(path.join(d, "data.csv")), mkfifo(path.join(d, "data.csv")), ["run", "workflow.yaml", "--target", "pg"]), code: "FILE_UNREADABLE", exit: 2 },
  { name: "file: a load reads /dev/zero, on PostgreSQL", base: "load-pg", setup: (d) => (rmSync(path.join(d, "data.csv")), symlinkSync("/dev/zero", path.join(d, "data.csv")), ["run", "workflow.yaml", "--target", "pg"]), code: "FILE_UNREADABLE", exit: 2 },
  { name: "output: --metrics-out names a directory, on PostgreSQL", base: "load-pg", setup: (d) => (mkdirSync(path.join(d, "metrics")), ["run", "workflow.yaml", "--target", "pg", "--metrics-out", "metrics"]), code: "OUTPUT_PATH", exit: 2 },
  {
    name: "engine: DEL and ESC from a data file in JSON log lines",
    base: "load",
    setup: (d) => (writeFileSync(path.join(d, "data.csv"), "id,name\n1,a\n\x7f\x1b[2J,b\n"), ["run", "workflow.yaml", "--log-format", "json"]),
    exit: 1,
    contains: "\\u007f\\u001b[2J",
  },
  {
    name: "engine: status shows a failed run's error escaped",
    base: "load",
    setup: (d) => {
      writeFileSync(path.join(d, "data.csv"), "id,name\n\x1b]0;pwned\x07,b\n");
      const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, "bin/omopetl.js"), ...args, "--spec-dir", specDir], { cwd: d, timeout: 10_000, encoding: "utf8" });
      cli("run", "workflow.yaml");
      const runs = JSON.parse(cli("status", "--json").stdout) as { runs: { runId: string }[] };
      return ["status", runs.runs[0]!.runId];
    },
    exit: 0,
    contains: "\\x1B]0;pwned\\x07",
  },
  {
    name: "engine: status --json of a failed run",
    base: "load",
    setup: (d) => {
      writeFileSync(path.join(d, "data.csv"), "id,name\n\x1b]0;pwned\x07\x7f,b\n");
      spawnSync(process.execPath, [path.join(repoRoot, "bin/omopetl.js"), "run", "workflow.yaml", "--spec-dir", specDir], { cwd: d, timeout: 10_000 });
      return ["status", "--json"];
    },
    exit: 0,
  },
  { name: "file: a load reads a FIFO", base: "load", setup: (d) => (rmSync(path.join(d, "data.csv")), mkfifo(path.join(d, "data.csv")), ["run", "workflow.yaml"]), code: "FILE_UNREADABLE", exit: 2 },
  { name: "file: a load reads /dev/zero", base: "load", setup: (d) => (rmSync(path.join(d, "data.csv")), symlinkSync("/dev/zero", path.join(d, "data.csv")), ["run", "workflow.yaml"]), code: "FILE_UNREADABLE", exit: 2 },
  workflow(
    "size: 3,000 steps each depending on a misspelt step (did-you-mean over 3,000 names)",
    () => readFileSync(path.join(fixturesDir, "compile/basic/workflow.yaml"), "utf8") + Array.from({ length: 3_000 }, (_, i) => `  - { name: step_${i}, dml: dml/person.yaml, depends_on: [stepp_${i}] }`).join("\n") + "\n",
    "UNKNOWN_STEP",
    { contains: "Did you mean" },
  ),
];
