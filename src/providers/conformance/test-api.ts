/*
 * The slice of a test runner the conformance suite uses. The suite takes these functions as parameters (vitest's
 * describe/it/expect fit them, as do Jest's), so omopetl does not depend on a test runner at run time.
 */

/** The matchers the suite calls on `expect(actual)`. */
export interface ConformanceMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatch(expected: string | RegExp): void;
  toContain(item: unknown): void;
  toBeGreaterThan(expected: number): void;
  readonly not: ConformanceMatchers;
}

/** `expect(actual, message?)`. */
export type ConformanceExpect = (actual: unknown, message?: string) => ConformanceMatchers;

/** `describe(name, body)`: groups the suite's tests. */
export type ConformanceDescribe = (name: string, body: () => void) => void;

/** `it(name, test, timeout?)`: one test; `test` rejects to fail. */
export type ConformanceIt = (name: string, test: () => Promise<void>, timeout?: number) => void;
