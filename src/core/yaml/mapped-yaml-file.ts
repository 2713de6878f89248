import type { SourceLocation } from "../diagnostics/diagnostic.js";
import { YamlFile, type YamlPath } from "./yaml-file.js";

/**
 * Where a part of a generated document came from: every path under `generated` is reported at `written` in the
 * file. `verbatim`: the generated part is the written text itself (a user's expression copied as it is), so paths
 * and offsets below it map one to one; otherwise every finding under it points at the written value.
 */
export interface PathOrigin {
  generated: YamlPath;
  written: YamlPath;
  verbatim?: boolean;
}

/**
 * A YAML file whose parsed value was expanded by the compiler into another document (`kind: era` into a transform):
 * the analysis of the expanded document locates its findings by the expanded document's paths, and this file maps
 * each onto what the user wrote (the longest matching origin wins; an unmatched path falls back to `fallback`).
 */
export class MappedYamlFile extends YamlFile {
  constructor(
    file: string,
    text: string,
    private readonly origins: readonly PathOrigin[],
    private readonly fallback: YamlPath,
  ) {
    super(file, text);
  }

  /** The written path for a generated one, and whether offsets inside its scalar still hold. */
  private origin(path: YamlPath): { path: YamlPath; verbatim: boolean } {
    // The base constructor may locate before the fields are set (a finding of its own parse): paths are then written ones.
    if (!this.origins) return { path, verbatim: true };
    let best: PathOrigin | undefined;
    for (const o of this.origins) {
      if (o.generated.length > path.length || (best && best.generated.length >= o.generated.length)) continue;
      if (o.generated.every((seg, i) => seg === path[i])) best = o;
    }
    if (!best) return { path: this.fallback, verbatim: false };
    return best.verbatim
      ? { path: [...best.written, ...path.slice(best.generated.length)], verbatim: true }
      : { path: best.written, verbatim: false };
  }

  /** Location of a path of the file as written (not of the expanded document). */
  locateWritten(path: YamlPath, which: "value" | "key" = "value"): SourceLocation {
    return super.locate(path, which);
  }

  override locate(path: YamlPath, which: "value" | "key" = "value"): SourceLocation {
    const o = this.origin(path);
    return super.locate(o.path, o.verbatim ? which : "value");
  }

  override locateInScalar(path: YamlPath, offset: number): SourceLocation {
    const o = this.origin(path);
    return o.verbatim ? super.locateInScalar(o.path, offset) : super.locate(o.path);
  }
}
