/**
 * What every section of the conformance suite shares: the provider and its capabilities, the runner's functions
 * (`it` wrapped so each test gets a harness), the CDM tables the suite uses, and the set-up and checking helpers.
 */
import type { TableDef } from "../../../core/model/plan.js";
import type { ProviderCapabilities, Provider, RenderContext } from "../../provider-api.js";
import type { ConformanceHarness, HarnessOptions } from "../conformance-harness.js";
import { errorCode, failure, withHarness } from "../conformance-harness.js";
import { loadPatientsStep, PATIENTS, PATIENTS_CSV, VISITS, WEIGHTS } from "../sample-workload.js";
import type { ConformanceDescribe, ConformanceExpect } from "../test-api.js";
import type { ConformanceSuiteOptions } from "./suite-options.js";

/** A test given a harness (its schemas, files and connection), registered with the runner's `it`. */
export type HarnessIt = (name: string, test: (h: ConformanceHarness) => Promise<void>) => void;

/** The shared state of one suite: built once by {@link suiteContext}, read by every section. */
export interface SuiteContext {
  options: ConformanceSuiteOptions;
  provider: Provider;
  caps: ProviderCapabilities;
  describe: ConformanceDescribe;
  expect: ConformanceExpect;
  it: HarnessIt;
  /** The engine enforces primary and foreign keys. */
  enforcesKeys: boolean;
  PERSON: TableDef;
  CONCEPT: TableDef;
  OBSERVATION_PERIOD: TableDef;
  /** The sample workload's source tables and the CDM tables it writes. */
  BASE_TABLES: TableDef[];
  /** The engine has multi-statement transactions: a failed step leaves nothing behind. */
  atomic: boolean;
  /** After a failed step: the target equals `before` (atomic engines), or once `repair` re-ran the good step. */
  expectUnchangedOrRepaired: (dump: () => Promise<string>, before: string, repair: () => Promise<unknown>) => Promise<void>;
  /** person is written by merge where the provider has it, else by replace. */
  personMode: "merge" | "replace";
  /** The base context, with the CDM tables used by the suite created. */
  setUp: (h: ConformanceHarness) => Promise<RenderContext>;
  /** Loads the sample patients (or `csv`); the rows written. */
  loadPatients: (h: ConformanceHarness, ctx: RenderContext, csv?: string) => Promise<number | undefined>;
  /** Expects `p` to fail with the error code `code`; the error. */
  expectCode: (p: Promise<unknown> | (() => unknown), code: string) => Promise<unknown>;
}

/** `-- ...` comments removed, so checks look at what a statement does. */
export const withoutComments = (sql: string): string => sql.replace(/--[^\n]*/g, "");

/** Rows sorted by the UTF-8 byte order of one column (independent of the engine's collation). */
export function sortedBy(rows: Record<string, unknown>[], key: string): Record<string, unknown>[] {
  const k = (r: Record<string, unknown>): Buffer => Buffer.from(String(r[key]), "utf8");
  return [...rows].sort((x, y) => Buffer.compare(k(x), k(y)));
}

/** A number from an engine value (counts and decimals may come back as strings). */
export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The shared state of a suite over `options`. */
export function suiteContext(options: ConformanceSuiteOptions): SuiteContext {
  const { provider, describe, expect } = options;
  const caps = provider.capabilities;
  const enforcesKeys = options.enforcesKeys ?? true;
  const harness: HarnessOptions = {
    provider,
    connect: options.connect,
    schemaPrefix: options.schemaPrefix ?? "omopetl_conf",
    ...(options.fileDir !== undefined ? { fileDir: options.fileDir } : {}),
    ...(options.quoteIdentifier ? { quoteIdentifier: options.quoteIdentifier } : {}),
  };
  const it = (name: string, test: (h: ConformanceHarness) => Promise<void>): void =>
    options.it(name, () => withHarness(harness, test), options.timeout);

  const cdm = (name: string): TableDef => {
    const d = options.tables.find((t) => t.name === name);
    if (!d) throw new Error(`defineConformanceSuite: options.tables has no CDM table "${name}" (pass cdmTableDefs(spec))`);
    return d;
  };
  const PERSON = cdm("person");
  const CONCEPT = cdm("concept");
  const OBSERVATION_PERIOD = cdm("observation_period");
  const BASE_TABLES = [PATIENTS, VISITS, WEIGHTS, PERSON, CONCEPT, OBSERVATION_PERIOD];
  /**
   * A step failing midway leaves nothing behind only with multi-statement transactions. Without them
   * (`capabilities.transactions`), the promise is weaker and still checked: the failure is reported, and re-running
   * the step as it should be repairs the target (steps are idempotent).
   */
  const atomic = (caps.transactions ?? "multi-statement") === "multi-statement";
  /** After a failed step: the target equals `before` (atomic engines), or once `repair` re-ran the good step. */
  const expectUnchangedOrRepaired = async (dump: () => Promise<string>, before: string, repair: () => Promise<unknown>) => {
    if (!atomic) await repair();
    expect(await dump()).toBe(before);
  };
  /** person is written by merge where the provider has it, else by replace (the rest of the suite still runs). */
  const personMode = caps.merge ? "merge" : "replace";

  /** The base context, with the CDM tables used by the suite created. */
  const setUp = async (h: ConformanceHarness) => {
    const ctx = h.context(BASE_TABLES);
    await h.ddl(provider.generator.renderDdl([PERSON, CONCEPT, OBSERVATION_PERIOD], "tables", ctx));
    return ctx;
  };
  const loadPatients = async (h: ConformanceHarness, ctx: RenderContext, csv = PATIENTS_CSV): Promise<number | undefined> =>
    h.run(loadPatientsStep(await h.writeFile("patients.csv", csv)), ctx);
  const expectCode = async (p: Promise<unknown> | (() => unknown), code: string): Promise<unknown> => {
    const e = await failure(p);
    expect(errorCode(e), e instanceof Error ? e.message : String(e)).toBe(code);
    return e;
  };

  return {
    options,
    provider,
    caps,
    describe,
    expect,
    it,
    enforcesKeys,
    PERSON,
    CONCEPT,
    OBSERVATION_PERIOD,
    BASE_TABLES,
    atomic,
    expectUnchangedOrRepaired,
    personMode,
    setUp,
    loadPatients,
    expectCode,
  };
}
