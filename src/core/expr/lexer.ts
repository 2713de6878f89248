/**
 * Tokenizer of the expression language. Hand-written over char codes (no per-character regexes) because the
 * compiler tokenizes hundreds of thousands of small expressions for large workflows.
 */

export type TokenKind =
  /** Integer or decimal literal; `text` is the source spelling. */
  | "num"
  /** Single-quoted string; `text` is the unescaped value. */
  | "str"
  /** Bare identifier or keyword; `text` is the lower-cased spelling (keywords are case-insensitive). */
  | "ident"
  /** Double-quoted identifier; `text` is the unescaped, lower-cased name. Never a keyword. */
  | "qident"
  /** Operator or punctuation: + - * / % || = <> != < <= > >= ( ) , . */
  | "op"
  | "eof";

export interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the first character in the source text. */
  start: number;
  /** Offset just past the last character. */
  end: number;
}

/** A syntax error found by the lexer or parser; `parseExpression` turns it into an EXPR_SYNTAX issue. */
export class SyntaxFailure extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly length: number,
    readonly hint?: string,
    /** Set for failures that are not plain syntax (EXPR_TOO_DEEP). */
    readonly code?: "EXPR_TOO_DEEP",
  ) {
    super(message);
  }
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdentPart = (c: number): boolean => isIdentStart(c) || isDigit(c);

/** Splits `src` into tokens, ending with an `eof` token. Throws SyntaxFailure on a character outside the grammar. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const n = src.length;
  let i = 0;
  while (i < n) {
    const c = src.charCodeAt(i);
    // whitespace
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    // `--` line comment: multi-line YAML expressions may carry explanations
    if (c === 45 && src.charCodeAt(i + 1) === 45) {
      while (i < n && src.charCodeAt(i) !== 10) i++;
      continue;
    }
    const start = i;
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      out.push({ kind: "ident", text: src.slice(start, i).toLowerCase(), start, end: i });
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      i = scanNumber(src, i);
      if (i < n && isIdentStart(src.charCodeAt(i))) {
        throw new SyntaxFailure(`invalid number "${src.slice(start, i + 1)}"`, start, i + 1 - start);
      }
      out.push({ kind: "num", text: src.slice(start, i), start, end: i });
      continue;
    }
    if (c === 39 /* ' */ || c === 34 /* " */) {
      const [value, next] = scanQuoted(src, i, c);
      if (c === 34) {
        if (value.length === 0) throw new SyntaxFailure("empty quoted identifier", start, next - start);
        out.push({ kind: "qident", text: value.toLowerCase(), start, end: next });
      } else {
        out.push({ kind: "str", text: value, start, end: next });
      }
      i = next;
      continue;
    }
    const c2 = src.charCodeAt(i + 1);
    let op: string | undefined;
    switch (c) {
      case 43: case 45: case 42: case 47: case 37: case 61: case 40: case 41: case 44: case 46: // + - * / % = ( ) , .
        op = src[i];
        if (c === 61 && c2 === 61) throw new SyntaxFailure('"==" is not an operator', i, 2, 'Use "=" to compare.');
        break;
      case 124: // |
        if (c2 === 124) op = "||";
        break;
      case 60: // <
        op = c2 === 61 ? "<=" : c2 === 62 ? "<>" : "<";
        break;
      case 62: // >
        op = c2 === 61 ? ">=" : ">";
        break;
      case 33: // !
        if (c2 === 61) op = "!=";
        break;
      case 58: // :
        if (c2 === 58) throw new SyntaxFailure('"::" casts are not supported', i, 2, "Use CAST(x AS type).");
        break;
    }
    if (op === undefined) {
      const ch = String.fromCodePoint(src.codePointAt(i)!);
      const hint =
        ch === "`" ? 'Quote identifiers with double quotes ("name").' : ch === ";" ? "An expression cannot contain statements." : undefined;
      throw new SyntaxFailure(`unexpected character ${JSON.stringify(ch)}`, i, ch.length, hint);
    }
    i += op.length;
    out.push({ kind: "op", text: op, start, end: i });
  }
  out.push({ kind: "eof", text: "", start: n, end: n });
  return out;
}

/** digits [. digits] [e [+-] digits]; returns the index after the number. */
function scanNumber(src: string, i: number): number {
  const n = src.length;
  while (i < n && isDigit(src.charCodeAt(i))) i++;
  if (src.charCodeAt(i) === 46) {
    i++;
    while (i < n && isDigit(src.charCodeAt(i))) i++;
  }
  const e = src.charCodeAt(i);
  if (e === 101 || e === 69) {
    let j = i + 1;
    const s = src.charCodeAt(j);
    if (s === 43 || s === 45) j++;
    if (isDigit(src.charCodeAt(j))) {
      while (j < n && isDigit(src.charCodeAt(j))) j++;
      i = j;
    }
  }
  return i;
}

/** A quoted string or identifier; the quote doubled inside stands for itself. Returns [value, index after]. */
function scanQuoted(src: string, i: number, quote: number): [string, number] {
  const n = src.length;
  const start = i;
  let value = "";
  let from = ++i;
  for (;;) {
    if (i >= n) {
      const what = quote === 39 ? "string" : "quoted identifier";
      throw new SyntaxFailure(`unterminated ${what}`, start, n - start, `Close it with ${quote === 39 ? "'" : '"'}.`);
    }
    if (src.charCodeAt(i) === quote) {
      if (src.charCodeAt(i + 1) === quote) {
        value += src.slice(from, i + 1);
        i += 2;
        from = i;
        continue;
      }
      value += src.slice(from, i);
      return [value, i + 1];
    }
    i++;
  }
}
