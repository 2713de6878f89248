import { createRequire } from "node:module";
import jsYaml from "js-yaml";
import type { Document, LineCounter, Node, Pair } from "yaml";
import type * as YamlLibrary from "yaml";
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import { yamlAlias, yamlDuplicateKey, yamlNumber, yamlSyntax, yamlTooDeep } from "./yaml-errors.js";

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
  /** True when js-yaml refused the text (the Document must then find duplicate keys itself). */
  private jsYamlFailed = false;
  /** Key -> pair of large mappings, so locating each of 100,000 keys is not a scan of all of them. */
  private readonly keyIndex = new WeakMap<object, Map<string, Pair>>();

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
      const value = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, filename: file });
      this.value = this.checkLimits(value) ? value : undefined;
      return;
    } catch (e) {
      this.jsYamlFailed = true;
      // js-yaml stops at its own depth limit (100 levels) with a position; a stack overflow has none. Either way the
      // position-keeping parser is not asked: it recurses too, and would report a stack overflow as a syntax error.
      const mark = (e as { mark?: { position?: number } }).mark;
      if (e instanceof RangeError || /nesting exceeded maxDepth/.test((e as Error).message)) {
        this.value = undefined;
        this.diagnostics.push(yamlTooDeep(this.atApprox(mark?.position ?? deepFlowOffset(text)), MAX_YAML_DEPTH));
        return;
      }
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
      // js-yaml refused what the yaml library accepts (an edge of the spec), or an alias has no anchor.
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: 100 });
      } catch (e) {
        this.diagnostics.push(this.aliasDiagnostic(e as Error));
        this.value = undefined;
        return;
      }
      this.value = this.checkLimits(value) ? value : undefined;
    } else this.value = undefined;
  }

  /** YAML_ALIAS at the first alias whose anchor is missing (or at the first alias when they expand too far). */
  private aliasDiagnostic(e: Error): Diagnostic {
    const { visit } = yamlLibrary();
    const doc = this.doc;
    let unresolved: { source: string; at: number } | undefined;
    let first: number | undefined;
    visit(doc, {
      Alias(_key, node) {
        const at = node.range?.[0] ?? 0;
        first ??= at;
        if (!unresolved && node.resolve(doc) === undefined) {
          unresolved = { source: node.source, at };
          return visit.BREAK;
        }
        return undefined;
      },
    });
    if (unresolved) return yamlAlias(this.at(unresolved.at), `the alias *${boundName(unresolved.source)} refers to no anchor &${boundName(unresolved.source)} defined before it.`);
    return yamlAlias(this.at(first ?? 0), `the aliases expand too far: ${firstLine(e.message)}.`);
  }

  /**
   * Refuses values later passes cannot handle: nesting deeper than MAX_YAML_DEPTH, aliases that expand (as every
   * consumer walks the value as a tree) to more than MAX_YAML_EXPANDED_NODES nodes, and numbers a double cannot hold.
   * Iterative, so a deep value cannot overflow the check itself. Returns false when a diagnostic was added.
   */
  private checkLimits(root: unknown): boolean {
    const before = this.diagnostics.length;
    const seen = new Set<object>();
    let shared = false;
    let numbers = 0;
    const stack: [unknown, YamlPath][] = [[root, []]];
    while (stack.length > 0) {
      const [v, at] = stack.pop()!;
      if (typeof v === "number") {
        const why = !Number.isFinite(v) ? "is not finite" : Number.isInteger(v) && !Number.isSafeInteger(v) ? "is too large to be held exactly (integers must be below 2^53)" : undefined;
        if (why && numbers++ < 10) this.diagnostics.push(yamlNumber(this.locate(at), boundName(this.sourceOf(at) ?? String(v)), why));
        continue;
      }
      if (v === null || typeof v !== "object") continue;
      if (seen.has(v)) {
        shared = true; // an alias: js-yaml shares the anchored object instead of copying it
        continue;
      }
      seen.add(v);
      if (at.length >= MAX_YAML_DEPTH) {
        this.diagnostics.push(yamlTooDeep(this.locate(at), MAX_YAML_DEPTH));
        return false;
      }
      if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, [...at, i]]));
      else for (const [k, x] of Object.entries(v)) stack.push([x, [...at, k]]);
    }
    if (shared && expandedSize(root) > MAX_YAML_EXPANDED_NODES) {
      this.diagnostics.push(this.aliasDiagnostic(new Error(`more than ${MAX_YAML_EXPANDED_NODES} values once expanded`)));
    }
    return this.diagnostics.length === before;
  }

  /**
   * Location of a top-level key written in block style (`steps:` at the start of a line), found in the text without
   * building the Document: locating one key of a 100,000-entry file must not cost seconds. Falls back to locate().
   */
  locateTopLevelKey(key: string): SourceLocation {
    const m = new RegExp(`^${key.replace(/[^A-Za-z0-9_]/g, "\\$&")}[ \\t]*:`, "m").exec(this.text);
    return m ? this.atApprox(m.index) : this.locate([key], "key");
  }

  /** The text of the node at `path` as written in the file. */
  private sourceOf(path: YamlPath): string | undefined {
    const { node, complete } = this.nodeAt(path);
    return complete && node?.range ? this.text.slice(node.range[0], node.range[1]).trim() : undefined;
  }

  /** Location of an offset without the Document (which may itself overflow on the input): counts lines in the text. */
  private atApprox(offset: number): SourceLocation {
    const before = this.text.slice(0, offset);
    const nl = before.lastIndexOf("\n");
    let line = 1;
    for (let i = 0; i < before.length; i++) if (before.charCodeAt(i) === 10) line++;
    return { file: this.file, line, column: offset - nl };
  }

  private get doc(): Document.Parsed {
    if (!this.parsedDoc) {
      const { LineCounter, parseDocument } = yamlLibrary();
      this.lines = new LineCounter();
      // uniqueKeys costs a comparison with every earlier key (quadratic: minutes for a 100,000-key mapping). js-yaml
      // already refused duplicates when it parsed the text, so the check is only needed when it failed.
      this.parsedDoc = parseDocument(this.text, { lineCounter: this.lines, uniqueKeys: this.jsYamlFailed, prettyErrors: false, strict: true });
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
        const keyOf = (p: Pair) => (isScalar(p.key) ? String(p.key.value) : String(p.key));
        let found: Pair | undefined;
        if (node.items.length > 16) {
          let index = this.keyIndex.get(node);
          if (!index) {
            index = new Map();
            // The first of duplicate keys wins, as with find().
            for (const p of node.items as Pair[]) if (!index.has(keyOf(p))) index.set(keyOf(p), p);
            this.keyIndex.set(node, index);
          }
          found = index.get(String(seg));
        } else found = (node.items as Pair[]).find((p) => keyOf(p) === String(seg));
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

/** Deepest nesting omopetl accepts in a YAML file (a DML file needs about 6). */
export const MAX_YAML_DEPTH = 100;
/** Most values a YAML file may expand to through aliases (a "billion laughs" file expands exponentially). */
export const MAX_YAML_EXPANDED_NODES = 1_000_000;

/** Number of values of `root` walked as a tree (shared objects counted once per reference), memoized per object. */
function expandedSize(root: unknown): number {
  const memo = new Map<object, number>();
  const size = (v: unknown): number => {
    if (v === null || typeof v !== "object") return 1;
    const known = memo.get(v);
    if (known !== undefined) return known;
    let n = 1;
    for (const x of Array.isArray(v) ? v : Object.values(v)) {
      n += size(x);
      if (n > MAX_YAML_EXPANDED_NODES) break;
    }
    memo.set(v, n);
    return n;
  };
  // Depth is at most MAX_YAML_DEPTH here (checked before), so the recursion is bounded.
  return size(root);
}

/** The offset where flow brackets first nest deeper than MAX_YAML_DEPTH (0 when the nesting is by indentation). */
function deepFlowOffset(text: string): number {
  let depth = 0;
  let quote = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
      continue;
    }
    if (c === 34 || c === 39) quote = c;
    else if (c === 91 || c === 123) {
      if (++depth > MAX_YAML_DEPTH) return i;
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return 0;
}

/** A name from the file, cut so a 2 MB anchor name does not flood the terminal. */
function boundName(name: string): string {
  return name.length > 60 ? `${name.slice(0, 60)}…` : name;
}

function firstLine(msg: string): string {
  return msg.split("\n")[0]!.trim();
}
