/** What the sqlite dialect can do. omopetl validates every key when it loads the provider. */
export const SQLITE_CAPABILITIES = Object.freeze({
  // Transform mode merge is rendered as an upsert (INSERT ... ON CONFLICT DO UPDATE): SQLite has no MERGE.
  merge: true,
  onConflict: true,
  // CREATE/DROP TABLE roll back with the transaction (ATTACH, our CREATE SCHEMA, does not: it runs before it).
  transactionalDdl: true,
  createOrReplaceTable: false,
  // The files are read inside the engine, by a table-valued function the connection registers (csv-reader.js).
  serverSideFileLoad: true,
  fileUriSchemes: Object.freeze(["file"]),
  fileGlobs: true,
  parquet: false,
  // SQLite cannot add a constraint to an existing table: primary keys become unique indexes, foreign keys a comment.
  alterTableAddPrimaryKey: false,
  alterTableAddForeignKey: false,
  indexes: true,
  nullsOrdering: true,
  tempTables: true,
  // SQLite has no limit of its own; 128 keeps names portable to the engines a CDM is copied to.
  maxIdentifierLength: 128,
  // Provider API 2. A step's statements commit or roll back together (ATTACH, run before them, aside).
  transactions: "multi-statement",
  // One database file, one writer: omopetl runs one step at a time by default (the connection queues any others).
  singleWriter: true,
});
