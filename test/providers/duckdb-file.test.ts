import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { connectDuckDb } from "../../src/providers/duckdb/duckdb-connection.js";

describe("DuckDB database files", () => {
  it("a file named like a schema it holds is not ambiguous, and data survives reopening", async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "omopetl-ddb-")), "synthea.duckdb");
    let conn = await connectDuckDb({ provider: "duckdb", path: file });
    await conn.execute("CREATE SCHEMA IF NOT EXISTS synthea");
    await conn.execute("CREATE TABLE synthea.patients (id INTEGER)");
    await conn.transaction(async (tx) => {
      await tx.execute("INSERT INTO synthea.patients VALUES (1), (2)");
    });
    await conn.session(async (s) => {
      await s.execute("INSERT INTO synthea.patients VALUES (3)");
    });
    await conn.close();
    conn = await connectDuckDb({ provider: "duckdb", path: file });
    expect(await conn.query("SELECT count(*) AS n FROM synthea.patients")).toEqual([{ n: "3" }]);
    await conn.close();
  });
});
