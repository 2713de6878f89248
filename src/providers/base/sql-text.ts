/** Small text helpers that keep generated SQL readable: indentation, lists, comments, dollar quoting. */

/** Indents every non-empty line of `text` by `n` spaces. */
export function indent(text: string, n = 2): string {
  const pad = " ".repeat(n);
  return text
    .split("\n")
    .map((l) => (l === "" ? l : pad + l))
    .join("\n");
}

/** Joins items on one line when short, else one per line (indented, trailing commas). */
export function list(items: readonly string[], maxInline = 100): string {
  const inline = items.join(", ");
  if (inline.length <= maxInline && !inline.includes("\n")) return inline;
  return `\n${indent(items.join(",\n"))}\n`;
}

/**
 * A SQL `--` comment of one or more lines, ending with a newline (so a `;` appended by whoever joins statements
 * is not swallowed by the comment). Control characters (newlines in particular) inside a line are replaced, so a
 * hostile table name cannot end the comment and start a statement.
 */
export function sqlComment(lines: readonly string[]): string {
  return `${lines.map((l) => `-- ${l.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, "?")}`).join("\n")}\n`;
}

/** A dollar-quote tag (`$omopetl$`, `$omopetl_1$`, ...) that does not occur in `body`. */
export function dollarTag(body: string): string {
  for (let i = 0; ; i++) {
    const tag = i === 0 ? "$omopetl$" : `$omopetl_${i}$`;
    if (!body.includes(tag)) return tag;
  }
}
