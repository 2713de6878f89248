import { createRequire } from "node:module";
import jsYaml from "js-yaml";
import type { Document, LineCounter, Node, Pair } from "yaml";
import type * as YamlLibrary from "yaml";
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import { yamlDuplicateKey, yamlSyntax } from "./yaml-errors.js";

export type YamlPath = readonly (string | number)[];

let library: typeof YamlLibrary | undefined;

/**
 * The position-keeping `yaml` library, loaded on first use (synchronously, through its CommonJS build): a compile
 * without diagnostics never needs it, and importing it costs ~40-55 ms of every command's start-up.
 */
function yamlLibrary(): typeof YamlLibrary {
  return (library ??= createRequire(import.meta.url)("yaml") as typeof YamlLibrary);
}

/**
 * A parsed YAML file that remembers where every node came from, so any later finding
 * (a zod issue, an unknown column inside an expression) can be reported at file:line:col.
 */
export class YamlFile {
  readonly value: unknown;
  readonly diagnostics: Diagnostic[] = [];
  private parsedDoc: Document.Parsed | undefined;
  private lines: LineCounter | undefined;

  /**
   * The value comes from js-yaml (YAML 1.2 core schema), about eight times faster than building a Document;
   * the position-keeping Document of the `yaml` library is built only when a location is asked for (a diagnostic),
   * or when js-yaml rejects the text (the Document then reports every problem, with positions).
   * @param file the path shown in diagnostics (relative to the working directory).
   */
  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    try {
      this.value = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, filename: file });
      return;
    } catch {
      // fall through: let the yaml library say what is wrong, and where
    }
    const doc = this.doc;
    // After the first syntax error the parser's later complaints are mostly echoes of it: report only the first.
    // Duplicate keys are independent mistakes, so each is reported.
    let syntaxReported = false;
    for (const err of doc.errors) {
      const loc = this.at(err.pos[0]);
      if (err.code === "DUPLICATE_KEY") {
        const key = /^\s*["']?([^"':]+)/.exec(text.slice(err.pos[0]))?.[1]?.trim() ?? "";
        this.diagnostics.push(yamlDuplicateKey(loc, key));
      } else if (!syntaxReported) {
        syntaxReported = true;
        this.diagnostics.push(yamlSyntax(loc, firstLine(err.message)));
      }
    }
    if (doc.errors.length === 0) {
      // js-yaml refused what the yaml library accepts (an edge of the spec): trust the Document.
      this.value = doc.toJS({ maxAliasCount: 100 });
    } else this.value = undefined;
  }

  private get doc(): Document.Parsed {
    if (!this.parsedDoc) {
      const { LineCounter, parseDocument } = yamlLibrary();
      this.lines = new LineCounter();
      this.parsedDoc = parseDocument(this.text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false, strict: true });
    }
    return this.parsedDoc;
  }

  /** Location of a character offset in the file. */
  at(offset: number): SourceLocation {
    void this.doc; // the line counter is filled while the Document is parsed
    const p = this.lines!.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { file: this.file, line: p.line, column: p.col };
  }

  /** The node at `path`, or the deepest existing ancestor (so a missing field points at its parent). */
  private nodeAt(path: YamlPath): { node: Node | null; pair?: Pair; complete: boolean } {
    const { isMap, isScalar, isSeq } = yamlLibrary();
    let node: Node | null = this.doc.contents;
    let pair: Pair | undefined;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const found = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg)) as Pair | undefined;
        if (!found) return { node, pair, complete: false };
        pair = found;
        node = (found.value as Node | null) ?? (found.key as Node);
      } else if (isSeq(node) && typeof seg === "number" && node.items[seg] !== undefined) {
        pair = undefined;
        node = node.items[seg] as Node;
      } else {
        return { node, pair, complete: false };
      }
    }
    return { node, pair, complete: true };
  }

  /**
   * Location of the value at `path` (or of its key with which="key"). Falls back to the nearest ancestor.
   * Lazy: the position is computed when first read, so recording where something was written costs nothing
   * unless a diagnostic is actually reported (this keeps the position-keeping YAML parse off the common path).
   */
  locate(path: YamlPath, which: "value" | "key" = "value"): SourceLocation {
    let resolved: SourceLocation | undefined;
    const get = () => (resolved ??= this.locateNow(path, which));
    const file = this.file;
    return {
      file,
      get line() {
        return get().line;
      },
      get column() {
        return get().column;
      },
    };
  }

  private locateNow(path: YamlPath, which: "value" | "key"): SourceLocation {
    const { node, pair, complete } = this.nodeAt(path);
    if (complete && which === "key" && pair && (pair.key as Node | null)?.range) return this.at((pair.key as Node).range![0]);
    if (node?.range) return this.at(node.range[0]);
    return { file: this.file, line: 1, column: 1 };
  }

  /**
   * Location of a character offset inside the scalar at `path` (e.g. an unknown column inside an expression).
   * Exact for plain and quoted single-line scalars and for block scalars; otherwise the scalar's start.
   */
  locateInScalar(path: YamlPath, offset: number): SourceLocation {
    const { node, complete } = this.nodeAt(path);
    const { isScalar, Scalar } = yamlLibrary();
    if (!complete || !isScalar(node) || !node.range) return this.locateNow(path, "value");
    const start = node.range[0];
    const src = this.text.slice(start, node.range[1]);
    switch (node.type) {
      case Scalar.PLAIN:
        if (!src.includes("\n")) return this.at(start + offset);
        break;
      case Scalar.QUOTE_SINGLE:
      case Scalar.QUOTE_DOUBLE: {
        // Escapes shift offsets; only map exactly when the raw text equals the value.
        const inner = src.slice(1, -1);
        if (inner === String(node.value)) return this.at(start + 1 + offset);
        break;
      }
      case Scalar.BLOCK_LITERAL:
      case Scalar.BLOCK_FOLDED: {
        // Map the offset through the value's lines onto the block's indented lines.
        const value = String(node.value);
        const before = value.slice(0, offset);
        const lineIdx = before.split("\n").length - 1;
        const col = offset - (before.lastIndexOf("\n") + 1);
        const header = this.at(start);
        const contentLines = src.split("\n").slice(1);
        const raw = contentLines[lineIdx];
        if (node.type === Scalar.BLOCK_LITERAL && raw !== undefined) {
          const indent = raw.length - raw.trimStart().length;
          return { file: this.file, line: header.line + 1 + lineIdx, column: indent + col + 1 };
        }
        break;
      }
    }
    return this.at(start);
  }
}

function firstLine(msg: string): string {
  return msg.split("\n")[0]!.trim();
}
