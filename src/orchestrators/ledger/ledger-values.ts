/**
 * Values read back from the ledger. The statements themselves are the provider's (`SqlGenerator.ledgerSql`,
 * src/providers/base/ledger-sql.ts), so a dialect can change them.
 */

/**
 * A timestamp read back from the ledger as ISO 8601 UTC. Providers return "YYYY-MM-DD HH:MM:SS[.ffffff]"
 * (some drivers a Date); anything unparseable is returned as it came.
 */
export function isoFromDb(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?/.exec(s);
  if (!m) return s;
  const frac = (m[3] ?? ".000").slice(0, 4).padEnd(4, "0");
  return `${m[1]}T${m[2]}${frac}Z`;
}

/** A count read back from the ledger (BIGINT arrives as a string). */
export function numberFromDb(v: unknown): number | undefined {
  if (v === null || v === undefined || v === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
