import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";

/** UPDATE_GOLDEN=1 rewrites expected files instead of comparing (review the diff before committing). */
export const updateGolden = process.env.UPDATE_GOLDEN === "1";

/** Compares `actual` with the golden file, or writes it when updating. A missing golden file fails the test. */
export function expectGolden(file: string, actual: string): void {
  if (updateGolden) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden file ${file} is missing; run with UPDATE_GOLDEN=1 to create it`);
  expect(actual).toBe(readFileSync(file, "utf8"));
}
