/**
 * `omopetl/provider/conformance`: the tests every provider must pass, for any provider to run in its own test runner
 * against a live engine, plus the plan builders they use. No dependency on a test runner: the runner's
 * describe/it/expect are parameters.
 *
 * ```ts
 * import { describe, expect, it } from "vitest";
 * import { SpecificationManager } from "omopetl";
 * import { cdmTableDefs, defineConformanceSuite } from "omopetl/provider/conformance";
 * const tables = cdmTableDefs(await new SpecificationManager({ offline: true }).load("5.4"));
 * defineConformanceSuite({ provider, connect: () => provider.connect!(target), tables, describe, it, expect });
 * ```
 */
export { defineConformanceSuite } from "./conformance-suite.js";
export type { ConformanceSuiteOptions } from "./conformance-suite.js";
export type { ConformanceDescribe, ConformanceExpect, ConformanceIt, ConformanceMatchers } from "./test-api.js";
export { ConformanceHarness, CONFORMANCE_SCHEMAS, ansiQuote, errorCode, failure, uniqueTag, withHarness } from "./conformance-harness.js";
export type { HarnessOptions } from "./conformance-harness.js";
export { dump } from "./table-dump.js";
/** The CDM tables of a spec as plans carry them (what the suite's `tables` option wants). */
export { cdmTableDefs } from "../../core/compile/cdm-table-defs.js";
export * as planBuilders from "./plan-builders.js";
export * as sampleWorkload from "./sample-workload.js";
