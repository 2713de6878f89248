/**
 * Loads convert a file's text through the dialect's cast hooks (issue 15: "loadValue bypasses renderCast"): a generator
 * overriding `renderCast` changes what a load writes for numbers, and `isoValue` for dates, as they change casts of
 * text in a transform; `renderCast` receives the source type ("string", a file's text). Checked on DuckDB and
 * PostgreSQL, rows compared with the unmodified provider's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CastType, ValueType } from "../../src/core/expr/ast.js";
import { DuckDbGenerator } from "../../src/providers/duckdb/index.js";
import { PostgresGenerator } from "../../src/providers/postgres/index.js";
import { executeRenderedStep, type SqlGenerator } from "../../src/providers/provider-api.js";
import * as b from "./helpers/plan-builders.js";
import { openEngine, readableTempDir, removeDir, writeReadable, type Engine, type EngineName } from "./helpers/engines.js";

/** The calls a generator's cast hook received, as `to<-from`. */
type Calls = string[];

/**
 * A cast hook of a generator's own: integers read from text are multiplied by 10 (and dates, through isoValue, moved
 * one day on), so a load that bypassed the hooks would show the file's values unchanged. Records each call.
 */
function hooked(calls: Calls, cast: string, to: CastType, from: ValueType | undefined): string {
  calls.push(`${to.kind}<-${from ?? "?"}`);
  if (from === "string" && to.kind === "integer") return `(${cast} * 10)`;
  return cast;
}

class HookedDuckDb extends DuckDbGenerator {
  constructor(private readonly calls: Calls) {
    super();
  }
  protected override renderCast(arg: string, to: CastType, from?: ValueType): string {
    return hooked(this.calls, super.renderCast(arg, to, from), to, from);
  }
  protected override isoValue(text: string, kind: "date" | "datetime"): string {
    this.calls.push(`${kind}<-iso`);
    return kind === "date" ? `(${super.isoValue(text, kind)} + 1)` : super.isoValue(text, kind);
  }
}

class HookedPostgres extends PostgresGenerator {
  constructor(private readonly calls: Calls) {
    super();
  }
  protected override renderCast(arg: string, to: CastType, from?: ValueType): string {
    return hooked(this.calls, super.renderCast(arg, to, from), to, from);
  }
  protected override isoValue(text: string, kind: "date" | "datetime"): string {
    this.calls.push(`${kind}<-iso`);
    return kind === "date" ? `(${super.isoValue(text, kind)} + 1)` : super.isoValue(text, kind);
  }
}

const COLUMNS = [b.column("n", b.INT), b.column("d", b.DATE), b.column("x", b.FLOAT), b.column("s", b.varchar())];
const CSV = "n,d,x,s\n1,2020-01-31,1.5,a\n2,2020-02-28,,b\n,,-2,\n";

describe.each(["duckdb", "postgres"] as EngineName[])("%s: loads convert text through renderCast", (name) => {
  let engine: Engine;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    engine = await openEngine(name, "loadcast");
    dir = await readableTempDir();
    file = await writeReadable(dir, "values.csv", CSV);
  });
  afterAll(async () => {
    await engine?.dispose();
    if (dir) await removeDir(dir);
  });

  /** Loads the file into source.<table> with `generator`; its rows, ordered. */
  async function load(generator: SqlGenerator, table: string): Promise<unknown[]> {
    const def = b.tableDef("source", table, COLUMNS);
    const ctx = b.context([def], engine.schemas);
    const step = b.loadStep(`load_${table}`, b.ref("source", table), [file], COLUMNS);
    await executeRenderedStep(engine.conn, step.name, generator.renderStep(step, ctx));
    return engine.conn.query(`SELECT n, d, x, s FROM "${engine.schemas["source"]}"."${table}" ORDER BY s NULLS LAST`);
  }

  it("an overriding renderCast changes what the load writes, and is told the text is a string", async () => {
    const calls: Calls = [];
    const plain = await load(name === "duckdb" ? new DuckDbGenerator() : new PostgresGenerator(), "plain");
    const withHook = await load(name === "duckdb" ? new HookedDuckDb(calls) : new HookedPostgres(calls), "hooked");
    expect(plain).toEqual([
      { n: 1, d: "2020-01-31", x: 1.5, s: "a" },
      { n: 2, d: "2020-02-28", x: null, s: "b" },
      { n: null, d: null, x: -2, s: null },
    ]);
    expect(withHook).toEqual([
      { n: 10, d: "2020-02-01", x: 1.5, s: "a" },
      { n: 20, d: "2020-02-29", x: null, s: "b" },
      { n: null, d: null, x: -2, s: null },
    ]);
    // every typed column of the load went through the hook as text; varchar(n)-less text is never cast
    expect([...new Set(calls)].sort()).toEqual(expect.arrayContaining(["date<-iso", "float<-string", "integer<-string"]));
    expect(calls.filter((c) => c.startsWith("varchar"))).toEqual([]);
  });
});
