import type { CastType, ValueType } from "../expr/ast.js";
import type { CdmDataType } from "../spec/spec-model.js";

/** Parses a declared column type ("varchar(50)", "date", ...) already validated by the DML schema. */
export function parseColumnType(text: string): CastType {
  const t = text.toLowerCase();
  const m = /^varchar\((\d+)\)$/.exec(t);
  if (m) return { kind: "varchar", length: Number(m[1]) };
  switch (t) {
    case "varchar":
    case "text":
    case "string":
      return { kind: "varchar" };
    case "int":
    case "integer":
      return { kind: "integer" };
    case "bigint":
      return { kind: "bigint" };
    case "float":
    case "double":
      return { kind: "float" };
    case "date":
      return { kind: "date" };
    case "datetime":
    case "timestamp":
      return { kind: "datetime" };
    case "boolean":
      return { kind: "boolean" };
    default:
      throw new Error(`unvalidated column type ${text}`);
  }
}

export function cdmTypeToCastType(t: CdmDataType): CastType {
  return t.kind === "varchar" ? (t.length === undefined ? { kind: "varchar" } : { kind: "varchar", length: t.length }) : { kind: t.kind };
}

export function castTypeToValue(t: CastType): ValueType {
  return t.kind === "varchar" ? "string" : t.kind;
}

/** The column type a staging table gets for an expression of type `t` (undefined: cannot be inferred). */
export function valueToCastType(t: ValueType): CastType | undefined {
  switch (t) {
    case "string":
      return { kind: "varchar" };
    case "integer":
    case "bigint":
    case "float":
    case "date":
    case "datetime":
    case "boolean":
      return { kind: t };
    default:
      return undefined;
  }
}

export function castTypeLabel(t: CastType): string {
  return t.kind === "varchar" ? (t.length ? `varchar(${t.length})` : "varchar") : t.kind;
}
