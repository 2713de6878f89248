/**
 * Text orders by bytes on PostgreSQL even when the database's collation follows a locale. The test server's
 * databases use C.UTF-8 (byte order), which hid the difference: on an en-US (ICU) database PostgreSQL said
 * 'B' < 'a' is false, min('a', 'B') = 'a' and greatest('B', 'a') = 'B', where DuckDB compares bytes. Here the whole
 * semantics catalogue (docs/semantics.md) runs on such a database: every promised value must come out as on DuckDB.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { withHarness, type ConformanceHarness } from "../../src/providers/conformance/conformance-harness.js";
import { defineSemanticsTests } from "../../src/providers/conformance/semantics-suite.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { icuDatabaseUrl, NO_ICU_ON_PGLITE } from "../helpers/icu-database.js";
import { ON_PGLITE } from "../helpers/postgres-server.js";

let url: string;
const connect = () => postgresProvider.connect!({ provider: "postgres", url, retries: 0 });
const harnessIt = (name: string, test: (h: ConformanceHarness) => Promise<void>) =>
  it(name, () => withHarness({ provider: postgresProvider, connect, schemaPrefix: "icu" }, test));

if (ON_PGLITE) {
  it.skip(`PGlite: ${NO_ICU_ON_PGLITE}`, () => undefined);
} else {
  describe("PostgreSQL with an ICU en-US database collation", () => {
    beforeAll(async () => {
      url = await icuDatabaseUrl();
    });

    it("orders text by the locale by itself (so the cases below can fail)", async () => {
      const conn = await connect();
      try {
        const [row] = await conn.query(`SELECT 'B' < 'a' AS lt, min(x) AS lo, greatest('B', 'a') AS hi FROM (VALUES ('a'), ('B')) AS v(x)`);
        expect(row).toEqual({ lt: false, lo: "a", hi: "B" });
      } finally {
        await conn.close();
      }
    });

    describe("semantics catalogue: every promised value, as on DuckDB", () => {
      defineSemanticsTests(harnessIt, expect);
    });
  });
}
