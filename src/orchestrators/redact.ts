/**
 * Masking of secrets in text that leaves the process (terminal, JSON logs, the run ledger, metrics files).
 * Secrets are the values a target's configuration marks as such (see src/cli/target.ts); drivers sometimes echo
 * connection strings in their errors, so every message is masked before it is shown or stored.
 */

import { redactUrl, redactUrlsInText } from "../core/secrets/url-password.js";

export { redactUrl };

/**
 * Replaces every occurrence of each secret (at least 3 characters long) in `text` with `***`, and the password of
 * any connection URL in it (whatever its length or characters).
 */
export function maskSecrets(text: string, secrets: readonly string[] | undefined): string {
  if (!secrets || secrets.length === 0) return redactUrlsInText(text);
  let out = redactUrlsInText(text);
  // Longest first, so a password inside a URL does not leave the URL's other parts half-masked.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length < 3) continue;
    out = out.split(s).join("***");
  }
  return out;
}
