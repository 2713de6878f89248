/**
 * Text that came from a file, a database or an argument, made safe to print: control characters escaped (so a data
 * file cannot clear the screen, retitle the window or hide text) and runaway lengths cut (so a 2 MB name does not
 * flood the terminal).
 */

/**
 * C0 controls except tab and newline, DEL, C1 controls, and the Unicode characters that reorder or hide text
 * (bidirectional overrides and isolates, line/paragraph separators).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0").toUpperCase()}` : `\\u${code.toString(16).padStart(4, "0").toUpperCase()}`;
}

/** Escapes control characters as `\xNN` / `\uNNNN`; with `newlines`, newlines and tabs are escaped too (one-line output). */
export function escapeControl(text: string, options: { newlines?: boolean } = {}): string {
  const out = text.replace(UNSAFE, escapeChar);
  return options.newlines ? out.replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t") : out;
}

/** How many characters of one unbroken word (a name, a value) a message keeps. */
export const MAX_WORD_CHARS = 200;
/** How many characters a whole message keeps. */
export const MAX_MESSAGE_CHARS = 1000;

/** "…(N more characters)" */
export function moreCharacters(n: number): string {
  return `…(${n} more character${n === 1 ? "" : "s"})`;
}

/** Cuts `text` after `max` characters, saying how many were left out. */
export function cutText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}${moreCharacters(text.length - max)}`;
}

/**
 * A message as printed: every unbroken run longer than MAX_WORD_CHARS cut (a value quoted in a message), the whole
 * cut at MAX_MESSAGE_CHARS, control characters escaped.
 */
export function boundMessage(text: string): string {
  const words = text.length > MAX_WORD_CHARS ? cutLongWords(text) : text;
  return escapeControl(cutText(words, MAX_MESSAGE_CHARS));
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** Cuts every run of non-whitespace longer than MAX_WORD_CHARS. A scan, not a regex: V8's regex overflows on a 10 MB run. */
function cutLongWords(text: string): string {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    let j = i;
    if (isSpace(text.charCodeAt(i))) {
      while (j < text.length && isSpace(text.charCodeAt(j))) j++;
      parts.push(text.slice(i, j));
    } else {
      while (j < text.length && !isSpace(text.charCodeAt(j))) j++;
      parts.push(j - i > MAX_WORD_CHARS ? cutText(text.slice(i, j), MAX_WORD_CHARS) : text.slice(i, j));
    }
    i = j;
  }
  return parts.join("");
}

/** DEL, C1 controls and the reordering characters, which JSON.stringify leaves raw (it escapes only C0). */
// eslint-disable-next-line no-control-regex
const JSON_UNSAFE = /[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text (from JSON.stringify) with the control characters JSON.stringify leaves raw written as `\uNNNN` escapes:
 * the same JSON value, safe to print. These characters can only occur inside JSON strings, where the escape is valid.
 */
export function escapeJsonText(json: string): string {
  return json.replace(JSON_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
