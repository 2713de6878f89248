/**
 * Hand-built plan pieces for provider tests; they live in the conformance module (src/providers/conformance) so
 * third-party providers can use them too.
 */
export * from "../../../src/providers/conformance/plan-builders.js";
