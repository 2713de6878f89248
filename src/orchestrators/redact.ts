/**
 * Masking of secrets in text that leaves the process (terminal, JSON logs, the run ledger, metrics files).
 * Secrets are the values a target's configuration marks as such (see src/cli/target.ts); drivers sometimes echo
 * connection strings in their errors, so every message is masked before it is shown or stored.
 */

/** Replaces every occurrence of each secret (at least 3 characters long) in `text` with `***`. */
export function maskSecrets(text: string, secrets: readonly string[] | undefined): string {
  if (!secrets || secrets.length === 0) return text;
  let out = text;
  // Longest first, so a password inside a URL does not leave the URL's other parts half-masked.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length < 3) continue;
    out = out.split(s).join("***");
  }
  return out;
}

/** `postgres://user:pass@host/db` -> `postgres://user:***@host/db`; other strings unchanged. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, "$1:***@");
}
