/**
 * The same plan must mean the same thing on every engine: surrogate ids come out identical. (What each function and
 * operator computes is the semantics catalogue, docs/semantics.md, run on every engine by the conformance suite.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Expr, OrderItem } from "../../src/core/expr/ast.js";
import type { BaseSqlGenerator } from "../../src/providers/base/base-generator.js";
import * as b from "./helpers/plan-builders.js";
import type { Engine } from "./helpers/engines.js";
import { openEngine, runStep } from "./helpers/engines.js";

const { lit, col } = b;

describe("surrogate ids", () => {
  const keys = ["a", "B", "b", "Z", "_", "é", "e", "10", "9", " a", "a ", "😀", "ä", "z", "ß", "A-1", "a-1", "'q'", '"dq"'];
  const engines: Engine[] = [];
  beforeAll(async () => {
    engines.push(await openEngine("duckdb", "ids"), await openEngine("postgres", "ids"));
  });
  afterAll(async () => {
    for (const e of engines) await e.dispose();
  });

  it("are assigned identically on every engine, in UTF-8 byte order of the keys", async () => {
    const src = b.tableDef("source", "keys", [b.column("k", b.varchar())]);
    const target = b.tableDef("staging", "keyed", [b.column("id", b.INT, true), b.column("k", b.varchar())]);
    const maps: unknown[] = [];
    for (const engine of engines) {
      const ctx = b.context([src, target], engine.schemas);
      const gen = engine.provider.generator as BaseSqlGenerator;
      const values = keys.map((k) => `(${gen.stringLiteral(k)})`).join(", ");
      const setup = b.step("keys", {
        kind: "sql",
        statements: {
          default: ["CREATE SCHEMA IF NOT EXISTS ${schemas.source}", "CREATE TABLE ${schemas.source}.keys (k VARCHAR)", `INSERT INTO \${schemas.source}.keys VALUES ${values}, (NULL)`],
        },
        transactional: true,
      });
      await runStep(engine, setup, ctx);
      const id = b.idFor("id", "keyed", col("s", "k"));
      const sel = b.select({ table: b.ref("source", "keys"), alias: "s" }, { id: id.value, k: col("s", "k") }, { joins: [id.join], ids: [id.id], where: b.isNull(col("s", "k"), true) });
      await runStep(engine, b.transformStep("keyed", b.ref("staging", "keyed"), "merge", target.columns, [sel], { key: ["id"] }), ctx);
      maps.push(await engine.conn.query(`SELECT id, k FROM "${engine.schemas["staging"]}".keyed ORDER BY id`));
    }
    const expected = [...keys].sort((p, q) => Buffer.compare(Buffer.from(p), Buffer.from(q))).map((k, i) => ({ id: i + 1, k }));
    expect(maps[0]).toEqual(expected);
    expect(maps[1]).toEqual(expected);
  });
});
