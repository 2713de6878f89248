/**
 * The connection of the sqlite provider: one better-sqlite3 database (imported only when connecting), with the
 * functions and the CSV reader the generated SQL calls registered on it.
 *
 * Schemas are attached databases. `path: ./omop.sqlite` keeps schema `cdm` in `./omop.sqlite.cdm.schema`, attached
 * as `cdm` (every such file beside the main one is attached when connecting); `path: ":memory:"` (the default)
 * attaches an in-memory database per schema, private to the connection.
 *
 * Some statements omopetl itself sends through `execute` are not SQLite (gaps of omopetl/provider: no generator hook
 * renders them yet): `CREATE SCHEMA IF NOT EXISTS x` (ATTACH), `DROP SCHEMA IF EXISTS x CASCADE` (DETACH, and the
 * file removed), `ALTER TABLE t ADD COLUMN IF NOT EXISTS c ...` (skipped when the column exists) and `DATE '...'` /
 * `TIMESTAMP '...'` literals (the run ledger's, the conformance suite's): this file interprets them.
 *
 * better-sqlite3 is synchronous and one database handle runs one statement at a time: transactions and sessions are
 * queued, so steps the orchestrator runs concurrently take turns.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { connectionFailed, invalidTargetConfig } from "omopetl/provider";
import { registerCsvReader } from "./csv-reader.js";
import { registerFunctions } from "./sql-functions.js";
import { checkSqliteTarget } from "./target-options.js";

const IDENT = String.raw`("(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)`;
const CREATE_SCHEMA = new RegExp(String.raw`^\s*CREATE\s+SCHEMA\s+IF\s+NOT\s+EXISTS\s+${IDENT}\s*;?\s*$`, "i");
const DROP_SCHEMA = new RegExp(String.raw`^\s*DROP\s+SCHEMA\s+IF\s+EXISTS\s+${IDENT}(\s+CASCADE)?\s*;?\s*$`, "i");
const ADD_COLUMN = new RegExp(String.raw`^\s*ALTER\s+TABLE\s+(?:${IDENT}\.)?${IDENT}\s+ADD\s+COLUMN\s+IF\s+NOT\s+EXISTS\s+${IDENT}\s+([\s\S]*?);?\s*$`, "i");
/** String literals, quoted identifiers, or a DATE/TIMESTAMP keyword before a string literal. */
const TYPED_LITERAL = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\b(?:DATE|TIMESTAMP)\s+(?=')/gi;

const unquote = (id) => (id.startsWith('"') ? id.slice(1, -1).replace(/""/g, '"') : id);
const quote = (id) => `"${id.replace(/"/g, '""')}"`;
/** The suffix of schema files beside the main database file. */
const SCHEMA_SUFFIX = ".schema";

/** Opens the target's database. */
export async function connectSqlite(target) {
  const issues = checkSqliteTarget(target);
  if (issues.length > 0) throw invalidTargetConfig("sqlite", issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const path = target.path === undefined || target.path === ":memory:" ? ":memory:" : resolve(String(target.path));
  let Database;
  try {
    ({ default: Database } = await import("better-sqlite3"));
  } catch (e) {
    throw connectionFailed("sqlite", `better-sqlite3 could not be loaded (npm install better-sqlite3): ${e.message}`, e);
  }
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { timeout: 30_000 });
    registerFunctions(db);
    registerCsvReader(db);
    const conn = new SqliteConnection(db, path);
    conn.attachExisting();
    return conn;
  } catch (e) {
    throw connectionFailed("sqlite", `${path}: ${e.message}`, e);
  }
}

/** A queue: one transaction or session at a time on the handle. */
class Mutex {
  tail = Promise.resolve();
  run(fn) {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export class SqliteConnection {
  dialect = "sqlite";

  constructor(db, path) {
    this.db = db;
    this.path = path;
    this.lock = new Mutex();
    /** Set while a transaction runs whose BEGIN is still to be sent (see {@link transaction}). */
    this.pendingBegin = false;
  }

  /** The file of schema `name` (":memory:" for an in-memory main database). */
  schemaFile(name) {
    return this.path === ":memory:" ? ":memory:" : `${this.path}.${encodeURIComponent(name)}${SCHEMA_SUFFIX}`;
  }

  /** Attaches every schema file of a file database. */
  attachExisting() {
    if (this.path === ":memory:") return;
    const prefix = `${basename(this.path)}.`;
    for (const f of readdirSync(dirname(this.path)).sort()) {
      if (f.startsWith(prefix) && f.endsWith(SCHEMA_SUFFIX)) this.attach(decodeURIComponent(f.slice(prefix.length, -SCHEMA_SUFFIX.length)));
    }
  }

  attached(name) {
    return this.db.prepare("SELECT 1 FROM pragma_database_list WHERE name = ?").get(name) !== undefined;
  }

  attach(name) {
    if (["main", "temp"].includes(name.toLowerCase())) return;
    if (this.attached(name)) return;
    if (this.db.inTransaction) {
      throw new Error(`schema "${name}" is not attached and SQLite cannot ATTACH inside a transaction: create it before the transaction begins`);
    }
    this.db.prepare(`ATTACH DATABASE ? AS ${quote(name)}`).run(this.schemaFile(name));
  }

  detach(name) {
    if (!this.attached(name)) return;
    this.db.exec(`DETACH DATABASE ${quote(name)}`);
    if (this.path !== ":memory:") for (const f of [this.schemaFile(name), `${this.schemaFile(name)}-journal`]) rmSync(f, { force: true });
  }

  /** Runs one statement (or several separated by semicolons); returns the changed rows of a single DML statement. */
  run(sql) {
    let m = CREATE_SCHEMA.exec(sql);
    if (m) {
      this.attach(unquote(m[1]));
      return {};
    }
    m = DROP_SCHEMA.exec(sql);
    if (m) {
      this.detach(unquote(m[1]));
      return {};
    }
    m = ADD_COLUMN.exec(sql);
    if (m) {
      const schema = m[1] ? unquote(m[1]) : "main";
      const exists = this.db.prepare("SELECT 1 FROM pragma_table_info(?, ?) WHERE lower(name) = lower(?)").get(unquote(m[2]), schema, unquote(m[3]));
      if (!exists) this.db.exec(`ALTER TABLE ${m[1] ? `${m[1]}.` : ""}${m[2]} ADD COLUMN ${m[3]} ${m[4]}`);
      return {};
    }
    if (this.pendingBegin) {
      this.db.exec("BEGIN");
      this.pendingBegin = false;
    }
    const text = forSqlite(sql);
    let stmt;
    try {
      stmt = this.db.prepare(text);
    } catch (e) {
      if (e instanceof RangeError && /more than one statement/.test(e.message)) {
        this.db.exec(text);
        return {};
      }
      // Only comments (a ddl part saying what SQLite cannot do): nothing to run.
      if (e instanceof RangeError && /contains no statements/.test(e.message)) return {};
      throw e;
    }
    if (stmt.reader) {
      stmt.all();
      return {};
    }
    return { rowCount: stmt.run().changes };
  }

  /** Rows with JSON-compatible values: BIGINT columns as text, BOOLEAN columns as booleans, other integers as numbers. */
  select(sql) {
    if (this.pendingBegin) {
      this.db.exec("BEGIN");
      this.pendingBegin = false;
    }
    const stmt = this.db.prepare(forSqlite(sql));
    if (!stmt.reader) {
      stmt.run();
      return [];
    }
    stmt.safeIntegers(true);
    const types = new Map(stmt.columns().map((c) => [c.name, (c.type ?? "").toUpperCase()]));
    return stmt.all().map((row) => {
      for (const [k, v] of Object.entries(row)) {
        const type = types.get(k) ?? "";
        if (typeof v === "bigint") {
          if (type.includes("BOOL")) row[k] = v !== 0n;
          else if (type === "BIGINT" || v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) row[k] = v.toString();
          else row[k] = Number(v);
        } else if (typeof v === "number" && type.includes("BOOL")) row[k] = v !== 0;
      }
      return row;
    });
  }

  execute(sql) {
    return this.lock.run(() => this.run(sql));
  }

  query(sql) {
    return this.lock.run(() => this.select(sql));
  }

  /**
   * One transaction. BEGIN is sent with the first statement that is not a CREATE SCHEMA (ATTACH cannot run inside a
   * transaction; the generator puts a step's CREATE SCHEMA statements first).
   */
  transaction(fn) {
    return this.lock.run(async () => {
      const tx = this.view(true);
      this.pendingBegin = true;
      try {
        const result = await fn(tx);
        this.pendingBegin = false;
        if (this.db.inTransaction) this.db.exec("COMMIT");
        return result;
      } catch (e) {
        this.pendingBegin = false;
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw e;
      } finally {
        tx.closed = true;
      }
    });
  }

  session(fn) {
    return this.lock.run(async () => {
      const s = this.view(false);
      try {
        return await fn(s);
      } finally {
        s.closed = true;
      }
    });
  }

  /** The Connection handed to a transaction or session callback: statements run at once (the lock is held). */
  view(inTransaction) {
    const conn = this;
    return {
      dialect: "sqlite",
      closed: false,
      async execute(sql) {
        return conn.run(sql);
      },
      async query(sql) {
        return conn.select(sql);
      },
      transaction(fn) {
        // Inside a transaction: inline. Inside a session: a real transaction on the same handle.
        return inTransaction ? fn(this) : conn.inlineTransaction(fn, this);
      },
      session(fn) {
        return fn(this);
      },
      async close() {},
    };
  }

  async inlineTransaction(fn, view) {
    this.pendingBegin = true;
    try {
      const r = await fn(view);
      this.pendingBegin = false;
      if (this.db.inTransaction) this.db.exec("COMMIT");
      return r;
    } catch (e) {
      this.pendingBegin = false;
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw e;
    }
  }

  close() {
    return this.lock.run(() => {
      if (this.db.open) this.db.close();
    });
  }
}

/** information_schema (the run ledger's queries) over SQLite's catalog of every attached database. */
const INFORMATION_SCHEMA = {
  tables: "(SELECT schema AS table_schema, name AS table_name, CASE type WHEN 'view' THEN 'VIEW' ELSE 'BASE TABLE' END AS table_type FROM pragma_table_list WHERE name NOT LIKE 'sqlite!_%' ESCAPE '!')",
  columns:
    "(SELECT l.schema AS table_schema, l.name AS table_name, c.name AS column_name, lower(c.type) AS data_type, c.cid + 1 AS ordinal_position FROM pragma_table_list AS l JOIN pragma_table_info(l.name, l.schema) AS c WHERE l.name NOT LIKE 'sqlite!_%' ESCAPE '!')",
};
const INFORMATION_SCHEMA_REF = /\binformation_schema\.(tables|columns)\b(\s+AS\b)?/gi;

/** Statement text SQLite can run: typed literals and information_schema rewritten (strings are left alone). */
function forSqlite(sql) {
  let out = withoutTypedLiterals(sql);
  if (/information_schema\./i.test(out)) out = out.replace(INFORMATION_SCHEMA_REF, (_, t, as) => `${INFORMATION_SCHEMA[t.toLowerCase()]}${as ?? ` AS ${t.toLowerCase()}`}`);
  return out;
}

/** `DATE '2020-01-01'` and `TIMESTAMP '...'` as plain ISO text (SQLite has no typed literals); strings untouched. */
function withoutTypedLiterals(sql) {
  if (!/\b(DATE|TIMESTAMP)\s+'/i.test(sql)) return sql;
  return sql.replace(TYPED_LITERAL, (m) => (m.startsWith("'") || m.startsWith('"') || m.startsWith("--") ? m : ""));
}

