import { maskSecrets } from "../../orchestrators/redact.js";

/**
 * Masks `secrets` in an error on its way out (its message, stack, diagnostic, and those of its causes), in place:
 * a driver may echo a connection string or password in its error, and the CLI prints errors outside the reporters
 * that mask everything else.
 */
export function maskError(e: unknown, secrets: readonly string[]): void {
  const seen = new Set<unknown>();
  for (let cur = e, depth = 0; cur !== null && typeof cur === "object" && !seen.has(cur) && depth < 8; depth++) {
    seen.add(cur);
    const err = cur as { message?: unknown; stack?: unknown; diagnostic?: { message?: unknown; hint?: unknown }; cause?: unknown };
    try {
      if (typeof err.message === "string") err.message = maskSecrets(err.message, secrets);
      if (typeof err.stack === "string") err.stack = maskSecrets(err.stack, secrets);
      const d = err.diagnostic;
      if (d && typeof d === "object") {
        if (typeof d.message === "string") d.message = maskSecrets(d.message, secrets);
        if (typeof d.hint === "string") d.hint = maskSecrets(d.hint, secrets);
      }
    } catch {
      // a frozen error keeps its text; nothing better can be done here
    }
    cur = err.cause;
  }
}
