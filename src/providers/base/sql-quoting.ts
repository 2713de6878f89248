/** How a dialect quotes names and strings: what the renderings of omopetl's own statements need from a generator. */
export interface SqlQuoting {
  /** An identifier as SQL (quoted as needed). */
  ident(name: string): string;
  /** A string literal. */
  stringLiteral(s: string): string;
}

/**
 * ANSI SQL quoting: identifiers always double-quoted, strings in single quotes, inner quotes doubled. Used for
 * generators that do not provide the hooks of omopetl's own statements (providers written before them).
 */
export const ANSI_QUOTING: SqlQuoting = {
  ident: (name) => `"${name.replace(/"/g, '""')}"`,
  stringLiteral: (s) => `'${s.replace(/'/g, "''")}'`,
};

/**
 * Text that any engine stores: NUL (which no engine keeps in text, and no literal can hold) and lone UTF-16
 * surrogates replaced by U+FFFD. For what omopetl records of the outside world (engine error messages echo data).
 */
export function storableText(value: string): string {
  return value.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}
