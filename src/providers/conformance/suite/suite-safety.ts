/** The conformance suite's safety: hostile identifiers and strings, identifier length limits. */
import * as b from "../plan-builders.js";
import type { SuiteContext } from "./suite-context.js";

/** Registers the safety tests (a section of defineConformanceSuite). */
export function defineSafetyTests(suite: SuiteContext): void {
  const { provider, caps, describe, expect, it, setUp, loadPatients, expectCode } = suite;
  describe("safety", () => {
    const plain = suite.options.plainIdentifiers === true;
    it(`${plain ? "refuses hostile identifiers (INVALID_IDENTIFIER)" : "quotes hostile identifiers"} and escapes hostile strings so nothing breaks out`, async (h) => {
      const hostile = { schema: `${h.schemas["source"]}_we"ird; --ü`, table: `ta"ble; DROP TABLE canary; --`, column: `co"l$omopetl$'); DROP TABLE canary; -- ✓` };
      if (plain) {
        // Each hostile name alone is refused while rendering, before anything runs.
        const names = [
          { schema: hostile.schema, table: "t", column: "c" },
          { schema: `${h.schemas["source"]}_t`, table: hostile.table, column: "c" },
          { schema: `${h.schemas["source"]}_t`, table: "t", column: hostile.column },
        ];
        for (const n of names) {
          const d = b.tableDef("odd", n.table, [b.column(n.column, b.varchar())]);
          await expectCode(() => provider.generator.renderStep(b.loadStep("load_hostile", b.ref("odd", n.table), [`${h.dir}/x.csv`], d.columns), h.context([d], { odd: n.schema })), "INVALID_IDENTIFIER");
        }
      }
      const hostileSchema = plain ? `${h.schemas["source"]}_odd` : hostile.schema;
      const table = plain ? "ta_ble" : hostile.table;
      const colName = plain ? "co_l" : hostile.column;
      await h.createSchema("staging");
      await h.createTable("staging", "canary", [{ name: "x", type: "INTEGER" }]);
      const def = b.tableDef("odd", table, [b.column(colName, b.varchar()), b.column("n", b.INT)]);
      const out = b.tableDef("odd", `${table}_out`, [b.column(colName, b.varchar()), b.column("n", b.INT)]);
      const ctx = h.context([def, out], { odd: hostileSchema });
      const values = [`'); DROP TABLE canary; --`, `back\\slash\\'quote`, `new\nline`, "ünï©ødé ✓ 𝄞", `"dq"`, "$omopetl$ dollar", "$$ $1 %s ? :x"];
      const csv = `"${colName.replace(/"/g, '""')}",n\n${values.map((v, i) => `"${v.replace(/"/g, '""')}",${i}`).join("\n")}\n`;
      const file = await h.writeFile("hostile.csv", csv);
      expect(await h.run(b.loadStep("load_hostile", b.ref("odd", table), [file], def.columns), ctx)).toBe(values.length);
      const alias = `a"l --`;
      const suffix = `'; DROP TABLE canary; -- \\ ü`;
      const sel = b.select(
        { table: b.ref("odd", table), alias },
        { [colName]: b.bin("||", b.col(alias, colName), b.lit(suffix)), n: b.col(alias, "n", "integer") },
        { where: b.bin("<>", b.col(alias, colName), b.lit(`it's -- not; "this"`)) },
      );
      const mode = caps.merge ? "merge" : "replace";
      const step = b.transformStep("hostile", b.ref("odd", `${table}_out`), mode, out.columns, [sel], { key: ["n"] });
      await h.run(step, ctx);
      await h.run(step, ctx);
      const rows = await h.rows("odd", `${table}_out`, { orderBy: [{ column: "n" }] }, ctx.schemas);
      expect(rows.map((r) => r[colName])).toEqual(values.map((v) => `${v}${suffix}`));
      // nothing was dropped: the canary and the hostile source table are still there
      expect(await h.count("staging", "canary")).toBe(0);
      expect(await h.count("odd", table, ctx.schemas)).toBe(values.length);
    });

    it(`accepts identifiers of up to ${caps.maxIdentifierLength} bytes, keeping them distinct, and refuses longer ones`, async (h) => {
      const max = caps.maxIdentifierLength;
      const name = (last: string): string => `${"t".repeat(max - 1)}${last}`;
      const target = (n: string) => b.tableDef("staging", n, [b.column("id", b.varchar())]);
      const ctx = await setUp(h);
      await loadPatients(h, ctx);
      const copy = (n: string, where?: ReturnType<typeof b.eq>) =>
        b.transformStep(`copy_${n.slice(-1)}`, b.ref("staging", n), "replace", target(n).columns, [
          b.select({ table: b.ref("source", "patients"), alias: "p" }, { id: b.col("p", "id") }, where ? { where } : {}),
        ]);
      const lctx = h.context([...ctx.tables, target(name("a")), target(name("b"))]);
      expect(await h.run(copy(name("a")), lctx)).toBe(4);
      expect(await h.run(copy(name("b"), b.eq(b.col("p", "id"), b.lit("p1"))), lctx)).toBe(1);
      // had the engine shortened the names, both steps would have written one table
      expect(await h.count("staging", name("a"))).toBe(4);
      expect(await h.count("staging", name("b"))).toBe(1);
      const tooLong = `${name("a")}x`;
      await expectCode(() => provider.generator.renderStep(copy(tooLong), h.context([...ctx.tables, target(tooLong)])), "INVALID_IDENTIFIER");
    });
  });
}
