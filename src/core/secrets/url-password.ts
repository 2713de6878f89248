/**
 * The password of a connection URL, found by parsing the URL's authority rather than by a pattern that stops at the
 * first `@` or `/`: a password may contain `@`, `:`, `/`, `?`, `#` (written raw or percent-encoded), and all of it
 * must be masked. Used for the secrets list of a target and to redact URLs in anything omopetl prints or stores.
 */

/** Where the password of `url` is, as written: `[start, end)` offsets, or undefined when it has none. */
export interface UrlPasswordSpan {
  start: number;
  end: number;
  /** The password as written (possibly percent-encoded). */
  raw: string;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The password component of `url` (`scheme://user:password@host...`). The user info runs to the LAST `@` of the
 * URL, so a raw `@`, `/`, `?` or `#` in a password does not cut it short (an `@` later in the query would make the
 * span too long, which masks too much, never too little). The user name ends at the first `:`.
 */
export function urlPasswordSpan(url: string): UrlPasswordSpan | undefined {
  const scheme = SCHEME.exec(url);
  if (!scheme) return undefined;
  const from = scheme[0].length;
  const at = url.lastIndexOf("@");
  if (at < from) return undefined;
  const colon = url.indexOf(":", from);
  if (colon < 0 || colon > at) return undefined;
  // A user name never holds "/" (a path started before the user info could end): then this is not user info.
  if (/[/?#]/.test(url.slice(from, colon))) return undefined;
  const start = colon + 1;
  return start < at ? { start, end: at, raw: url.slice(start, at) } : undefined;
}

/** Password values given as query parameters (`?password=...`, which libpq and pg read too): their spans. */
function queryPasswordSpans(url: string): UrlPasswordSpan[] {
  const out: UrlPasswordSpan[] = [];
  const q = url.indexOf("?", urlPasswordSpan(url)?.end ?? 0);
  if (q < 0) return out;
  for (const m of url.slice(q).matchAll(/[?&](?:password|pass|pwd|sslpassword)=([^&#]*)/gi)) {
    if (!m[1]) continue;
    const start = q + m.index + m[0].length - m[1].length;
    out.push({ start, end: start + m[1].length, raw: m[1] });
  }
  return out;
}

/** Every password of `url` (user info and query), as written and percent-decoded. */
export function urlPasswords(url: string): string[] {
  const spans = [urlPasswordSpan(url), ...queryPasswordSpans(url)].filter((s): s is UrlPasswordSpan => s !== undefined);
  const out = new Set<string>();
  for (const s of spans) {
    out.add(s.raw);
    try {
      out.add(decodeURIComponent(s.raw));
    } catch {
      // not valid percent-encoding: the raw text is what would be echoed
    }
  }
  return [...out].filter((p) => p.length > 0);
}

/** `postgres://user:p@ss/w:rd@host/db` -> `postgres://user:***@host/db` (query passwords too); others unchanged. */
export function redactUrl(url: string): string {
  const spans = [urlPasswordSpan(url), ...queryPasswordSpans(url)].filter((s): s is UrlPasswordSpan => s !== undefined).sort((a, b) => b.start - a.start);
  let out = url;
  for (const s of spans) out = out.slice(0, s.start) + "***" + out.slice(s.end);
  return out;
}

/**
 * Redacts the password of every URL in free text (an engine's error echoing its connection string). A URL runs to
 * the next whitespace or quote; a password containing those is caught by masking the known secret values instead.
 */
export function redactUrlsInText(text: string): string {
  if (!text.includes("://")) return text;
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s'"<>`]+/gi, (u) => redactUrl(u));
}
