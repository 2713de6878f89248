/**
 * The provider conformance suite: what every provider must do on a real engine, as tests any provider can run in
 * its own test runner. It exercises the provider as omopetl uses it (renderStep/renderDdl, then executeRenderedStep
 * on a Connection) and reads results back through the generator's ledgerSql/catalogSql. Its sections live under
 * suite/ (loads, transforms, steps and DDL, safety, capabilities) and share one {@link suiteContext}; the result-level
 * cases of docs/semantics.md are in semantics-suite.ts.
 */
import { defineSemanticsTests } from "./semantics-suite.js";
import { defineCapabilityTests } from "./suite/suite-capabilities.js";
import { suiteContext } from "./suite/suite-context.js";
import { defineLoadTests } from "./suite/suite-loads.js";
import type { ConformanceSuiteOptions } from "./suite/suite-options.js";
import { defineSafetyTests } from "./suite/suite-safety.js";
import { defineStepAndDdlTests } from "./suite/suite-steps.js";
import { defineTransformTests } from "./suite/suite-transforms.js";

export type { ConformanceSuiteOptions } from "./suite/suite-options.js";

/**
 * Registers the conformance tests for `options.provider` with the given test runner. Call it at the top level of a
 * test file, e.g.
 *
 * ```ts
 * defineConformanceSuite({ provider, connect: () => provider.connect!(target), tables: cdmTableDefs(spec), describe, it, expect });
 * ```
 *
 * Checks: every DML kind and mode executes; each step run twice leaves identical contents; merge updates a changed
 * row without duplicates; a failing statement mid-step leaves the target (and the id map) unchanged; hostile
 * identifiers and literals cannot break out; the DDL of every CDM table executes, idempotently; identifiers up to
 * the declared limit work and longer ones are refused; capability flags are honoured (what the provider says it
 * lacks raises UNSUPPORTED_FEATURE).
 */
export function defineConformanceSuite(options: ConformanceSuiteOptions): void {
  const s = suiteContext(options);
  s.describe(options.name ?? `provider conformance: ${s.provider.name}`, () => {
    defineLoadTests(s);
    defineTransformTests(s);
    defineStepAndDdlTests(s);
    defineSafetyTests(s);
    s.describe("semantics (docs/semantics.md): each case's value computed on the engine", () => {
      defineSemanticsTests(s.it, s.expect);
    });
    defineCapabilityTests(s);
  });
}
