import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PlanStep, TableDef } from "../../core/model/plan.js";
import type { Connection, LedgerColumn, LedgerQuery, LedgerValue, LedgerValues, Provider, RenderContext } from "../provider-api.js";
import { catalogSqlOf, executeRenderedStep, ledgerSqlOf } from "../provider-api.js";
import { ID_MAP } from "./plan-builders.js";
import { dumpTable } from "./table-dump.js";

/** Logical schemas the conformance tests use. */
export const CONFORMANCE_SCHEMAS = ["source", "staging", "cdm", "vocab"] as const;

/** What one conformance test needs to reach the engine. */
export interface HarnessOptions {
  provider: Provider;
  connect: () => Promise<Connection>;
  /** Start of every physical schema name; a unique tag and the logical name follow. */
  schemaPrefix: string;
  /** A folder the database server can read; each test writes its files in a new folder inside it. */
  fileDir?: string;
  /** Quotes an identifier in the suite's own checking queries. */
  quoteIdentifier?: (name: string) => string;
}

/** A short tag unique to this process and call, safe in identifiers. */
export function uniqueTag(): string {
  return `${process.pid.toString(36)}${randomBytes(3).toString("hex")}`;
}

/** ANSI SQL quoting: double quotes, inner ones doubled. */
export function ansiQuote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The diagnostic code of an omopetl error (duck-typed: the provider may use another copy of omopetl). */
export function errorCode(e: unknown): string | undefined {
  const d = typeof e === "object" && e !== null ? (e as { diagnostic?: { code?: unknown } }).diagnostic : undefined;
  return typeof d?.code === "string" ? d.code : undefined;
}

/** The error `p` rejects with. @throws when it resolves (the caller expected a failure). */
export async function failure(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return e;
  }
  throw new Error("expected a failure, but it succeeded");
}

/**
 * One test's view of the engine: a fresh connection, uniquely named physical schemas (dropped when the test ends),
 * a folder for data files, and helpers to run steps and read tables back.
 */
export class ConformanceHarness {
  private readonly dropSchemas = new Set<string>();

  private constructor(
    readonly provider: Provider,
    readonly conn: Connection,
    /** Logical -> physical schema names of this test. */
    readonly schemas: Readonly<Record<string, string>>,
    /** Where this test writes its data files (readable by the database server). */
    readonly dir: string,
    private readonly quote: (name: string) => string,
  ) {
    for (const s of Object.values(schemas)) this.dropSchemas.add(s);
  }

  static async open(o: HarnessOptions): Promise<ConformanceHarness> {
    const tag = uniqueTag();
    const schemas: Record<string, string> = {};
    for (const l of CONFORMANCE_SCHEMAS) schemas[l] = `${o.schemaPrefix}_${tag}_${l}`;
    // Database servers read load files as their own OS user: the folder and files must be world-readable.
    const dir = await mkdtemp(join(o.fileDir ?? tmpdir(), "omopetl-conformance-"));
    await chmod(dir, 0o755);
    let conn: Connection;
    try {
      conn = await o.connect();
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    const gen = o.provider.generator as unknown as { ident?: unknown };
    const quote = o.quoteIdentifier ?? (typeof gen.ident === "function" ? (n: string) => (gen.ident as (x: string) => string).call(gen, n) : ansiQuote);
    return new ConformanceHarness(o.provider, conn, schemas, dir, quote);
  }

  /** An identifier quoted for the suite's own SQL. */
  ident(name: string): string {
    return this.quote(name);
  }

  /** `schema.table` of a logical schema, quoted. */
  table(logical: string, name: string, schemas: Readonly<Record<string, string>> = this.schemas): string {
    const physical = schemas[logical];
    if (physical === undefined) throw new Error(`no physical schema for "${logical}"`);
    return `${this.ident(physical)}.${this.ident(name)}`;
  }

  /** A render context over `tables`; `extra` adds logical schemas (dropped with the others when the test ends). */
  context(tables: readonly TableDef[], extra: Record<string, string> = {}): RenderContext {
    for (const s of Object.values(extra)) this.dropSchemas.add(s);
    return { tables: [...tables], schemas: { ...this.schemas, ...extra }, idMap: ID_MAP };
  }

  /** Renders and runs one step as an orchestrator would; returns the step's row count. */
  async run(step: PlanStep, ctx: RenderContext): Promise<number | undefined> {
    const rendered = this.provider.generator.renderStep(step, ctx);
    return (await executeRenderedStep(this.conn, step.name, rendered, this.provider.capabilities.transactions)).rowCount;
  }

  /** Runs DDL statements (renderDdl's output) in one transaction. */
  async ddl(statements: string[], name = "ddl"): Promise<void> {
    await executeRenderedStep(this.conn, name, { statements, transactional: true }, this.provider.capabilities.transactions);
  }

  /** Runs SQL of your own (the suite itself uses only the generator's hooks: {@link rows}, {@link insert}...). */
  query(sql: string): Promise<Record<string, unknown>[]> {
    return this.conn.query(sql);
  }

  /** Executes SQL of your own (see {@link query}). */
  async execute(sql: string): Promise<void> {
    await this.conn.execute(sql);
  }

  /** The physical schema of a logical one. */
  private physical(logical: string, schemas: Readonly<Record<string, string>> = this.schemas): string {
    const physical = schemas[logical];
    if (physical === undefined) throw new Error(`no physical schema for "${logical}"`);
    return physical;
  }

  /** A table's rows, read with the generator's `ledgerSql.select` (columns, where, order, limit as it takes them). */
  rows(logical: string, name: string, query: LedgerQuery = {}, schemas?: Readonly<Record<string, string>>): Promise<Record<string, unknown>[]> {
    return this.conn.query(ledgerSqlOf(this.provider.generator).select({ schema: this.physical(logical, schemas), name }, query));
  }

  /** A table's row count: the generator's `renderCount`, or its rows counted. */
  async count(logical: string, name: string, schemas: Readonly<Record<string, string>> = this.schemas): Promise<number> {
    const gen = this.provider.generator;
    if (!gen.renderCount) return (await this.rows(logical, name, {}, schemas)).length;
    const [row] = await this.conn.query(gen.renderCount({ schema: logical, name }, { tables: [], schemas, idMap: ID_MAP }));
    return Number(row?.["n"]);
  }

  /** Inserts rows with the generator's `ledgerSql.insert` (dates as 'YYYY-MM-DD' text, which every engine casts). */
  async insert(logical: string, name: string, columns: readonly string[], rows: readonly (readonly LedgerValue[])[], schemas?: Readonly<Record<string, string>>): Promise<void> {
    await this.conn.execute(ledgerSqlOf(this.provider.generator).insert({ schema: this.physical(logical, schemas), name }, columns, rows));
  }

  /** Updates rows with the generator's `ledgerSql.update`. */
  async update(logical: string, name: string, set: LedgerValues, where: LedgerValues): Promise<void> {
    await this.conn.execute(ledgerSqlOf(this.provider.generator).update({ schema: this.physical(logical), name }, set, where));
  }

  /** Deletes rows with the generator's `ledgerSql.delete`. */
  async deleteRows(logical: string, name: string, where: LedgerValues): Promise<void> {
    await this.conn.execute(ledgerSqlOf(this.provider.generator).delete({ schema: this.physical(logical), name }, where));
  }

  /** Creates a logical schema's physical schema with the generator's `catalogSql.createSchema`. */
  async createSchema(logical: string): Promise<void> {
    await this.conn.execute(catalogSqlOf(this.provider.generator).createSchema(this.physical(logical)));
  }

  /** Creates a table with the generator's `ledgerSql.createTable`. */
  async createTable(logical: string, name: string, columns: readonly LedgerColumn[], primaryKey: readonly string[] = []): Promise<void> {
    await this.conn.execute(ledgerSqlOf(this.provider.generator).createTable({ schema: this.physical(logical), name }, columns, primaryKey));
  }

  /** The contents of a table as comparable text. */
  dump(logical: string, name: string, schemas?: Readonly<Record<string, string>>): Promise<string> {
    return dumpTable(this.conn, this.provider.generator, this.physical(logical, schemas), name);
  }

  /** Writes a data file the server can read; returns its absolute path. */
  async writeFile(name: string, content: string): Promise<string> {
    const path = join(this.dir, name);
    await writeFile(path, content, "utf8");
    await chmod(path, 0o644);
    return path;
  }

  /** Drops the test's schemas, closes the connection, removes the files. @returns the first cleanup error. */
  async dispose(): Promise<unknown> {
    let error: unknown;
    for (const s of this.dropSchemas) {
      try {
        await this.conn.execute(catalogSqlOf(this.provider.generator).dropSchema(s));
      } catch (e) {
        error ??= e;
      }
    }
    try {
      await this.conn.close();
    } catch (e) {
      error ??= e;
    }
    await rm(this.dir, { recursive: true, force: true });
    return error;
  }
}

/** Runs `test` with a fresh harness and always cleans up; a cleanup failure fails a test that passed. */
export async function withHarness(o: HarnessOptions, test: (h: ConformanceHarness) => Promise<void>): Promise<void> {
  const h = await ConformanceHarness.open(o);
  let failed = false;
  try {
    await test(h);
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    const cleanup = await h.dispose();
    if (cleanup !== undefined && !failed) throw cleanup;
  }
}
