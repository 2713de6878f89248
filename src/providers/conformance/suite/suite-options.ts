/** The options of the provider conformance suite (defineConformanceSuite). */
import type { TableDef } from "../../../core/model/plan.js";
import type { Connection, Provider } from "../../provider-api.js";
import type { ConformanceDescribe, ConformanceExpect, ConformanceIt } from "../test-api.js";

/** What {@link defineConformanceSuite} needs. */
export interface ConformanceSuiteOptions {
  /** The provider under test. */
  provider: Provider;
  /**
   * Opens a connection to a live engine the provider's SQL runs on (each test opens its own and closes it). Usually
   * `() => provider.connect!(target)`; a generate-only provider passes a connection from elsewhere.
   */
  connect: () => Promise<Connection>;
  /** Every table of the CDM version (`cdmTableDefs(spec)`); person, concept and observation_period are also used. */
  tables: readonly TableDef[];
  /** The test runner's functions (vitest's or Jest's). */
  describe: ConformanceDescribe;
  it: ConformanceIt;
  expect: ConformanceExpect;
  /** Title of the suite; default `provider conformance: <name>`. */
  name?: string;
  /** Start of the physical schemas the tests create (and drop); default "omopetl_conf". */
  schemaPrefix?: string;
  /** A folder the database server can read, for load files; default the OS temp folder. */
  fileDir?: string;
  /** Quotes identifiers in the suite's checking queries; default the generator's `ident`, else ANSI double quotes. */
  quoteIdentifier?: (name: string) => string;
  /** The engine enforces primary and foreign keys (false for warehouses whose keys are informational); default true. */
  enforcesKeys?: boolean;
  /** Timeout of each test in milliseconds (passed to `it`). */
  timeout?: number;
  /**
   * The engine takes only letters, digits and `_` in schema, table and column names (the Hive metastore, Delta
   * tables without column mapping): the hostile-identifier test then checks that the generator refuses hostile
   * names with INVALID_IDENTIFIER when rendering, and runs its hostile strings and alias with plain names. Default
   * false (any name, quoted).
   */
  plainIdentifiers?: boolean;
}
