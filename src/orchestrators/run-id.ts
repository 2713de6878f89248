import { randomBytes } from "node:crypto";

/**
 * A new run id: the UTC start time to the millisecond, then 8 random hex digits, e.g.
 * `20250314T093012345Z-3fa9c2d1`. Ids sort by start time as plain strings (ledger queries order by them) and two
 * runs started in the same millisecond still differ.
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, "");
  return `${stamp}-${randomBytes(4).toString("hex")}`;
}

/** Whether `s` looks like a run id produced by {@link newRunId} (or any id safe to store and print). */
export function isValidRunId(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/.test(s);
}
