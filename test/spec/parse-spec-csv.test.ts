import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import { getColumn, getTable, parseCdmDataType, parseSpec } from "../../src/core/spec/index.js";
import type { CdmSpec, CdmVersion } from "../../src/core/spec/index.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const csvDir = path.resolve(repoRoot, "../shared/cdm/inst/csv");

function readReal(version: CdmVersion): { field: Buffer; table: Buffer } {
  return {
    field: readFileSync(path.join(csvDir, `OMOP_CDMv${version}_Field_Level.csv`)),
    table: readFileSync(path.join(csvDir, `OMOP_CDMv${version}_Table_Level.csv`)),
  };
}

function loadReal(version: CdmVersion): CdmSpec {
  const { field, table } = readReal(version);
  return parseSpec(version, field, table, { ref: "local", source: "local" });
}

function fieldCount(spec: CdmSpec): number {
  let n = 0;
  for (const t of spec.tables.values()) n += t.columns.length;
  return n;
}

/** Runs `fn`, expecting an OmopetlError; returns it for inspection. */
function thrown(fn: () => unknown): OmopetlError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OmopetlError);
    return err as OmopetlError;
  }
  throw new Error("expected an OmopetlError");
}

describe("parseSpec on the real OHDSI CSVs", () => {
  it("CDM 5.4 has 39 tables and 432 fields, in spec order", () => {
    const spec = loadReal("5.4");
    expect(spec.version).toBe("5.4");
    expect(spec.tableNames).toHaveLength(39);
    expect(spec.tables.size).toBe(39);
    expect(fieldCount(spec)).toBe(432);
    expect(spec.tableNames.slice(0, 3)).toEqual(["person", "observation_period", "visit_occurrence"]);
    expect([...spec.tables.keys()]).toEqual(spec.tableNames);
  });

  it("CDM 5.3 has 37 tables and 396 fields", () => {
    const spec = loadReal("5.3");
    expect(spec.tableNames).toHaveLength(37);
    expect(fieldCount(spec)).toBe(396);
    expect(spec.tableNames).toContain("attribute_definition");
    expect(spec.tableNames).not.toContain("episode");
  });

  it("person.person_id is a required integer primary key at ordinal 0", () => {
    const person = getTable(loadReal("5.4"), "PERSON")!;
    const id = getColumn(person, "Person_Id")!;
    expect(id).toMatchObject({ name: "person_id", rawType: "integer", type: { kind: "integer" }, required: true, primaryKey: true, ordinal: 0 });
    expect(id.foreignKey).toBeUndefined();
    expect(person.primaryKey).toEqual(["person_id"]);
    expect(person.schema).toBe("CDM");
    expect(person.description).toMatch(/central identity management/);
  });

  it("person.gender_concept_id is a foreign key to concept.concept_id in domain Gender", () => {
    const gender = getColumn(getTable(loadReal("5.4"), "person")!, "gender_concept_id")!;
    expect(gender.ordinal).toBe(1);
    expect(gender.required).toBe(true);
    expect(gender.primaryKey).toBe(false);
    // The CSV says CONCEPT / CONCEPT_ID; the model lower-cases both.
    expect(gender.foreignKey).toEqual({ table: "concept", column: "concept_id", domain: "Gender" });
  });

  it("assigns schemas from the table-level file: VOCAB, RESULTS, CDM", () => {
    const spec = loadReal("5.4");
    expect(getTable(spec, "concept")!.schema).toBe("VOCAB");
    expect(getTable(spec, "cohort")!.schema).toBe("RESULTS");
    expect(getTable(spec, "cdm_source")!.schema).toBe("CDM");
    const counts = { CDM: 0, VOCAB: 0, RESULTS: 0 };
    for (const t of spec.tables.values()) counts[t.schema]++;
    expect(counts).toEqual({ CDM: 27, VOCAB: 10, RESULTS: 2 });
    expect(getTable(loadReal("5.3"), "concept")!.schema).toBe("VOCAB");
  });

  it("parses varchar lengths, VARCHAR(MAX) and mixed-case types", () => {
    const spec = loadReal("5.4");
    const person = getTable(spec, "person")!;
    expect(getColumn(person, "person_source_value")!.type).toEqual({ kind: "varchar", length: 50 });
    expect(getColumn(getTable(spec, "concept")!, "concept_name")!.type).toEqual({ kind: "varchar", length: 255 });
    const noteText = getColumn(getTable(spec, "note")!, "note_text")!;
    expect(noteText.rawType).toBe("varchar(MAX)");
    expect(noteText.type).toEqual({ kind: "varchar" });
    // 5.3 spells some types "Integer" and "Varchar(50)".
    const all53 = [...loadReal("5.3").tables.values()].flatMap((t) => t.columns);
    const capitalised = all53.filter((c) => /^[A-Z]/.test(c.rawType));
    expect(capitalised.length).toBeGreaterThan(0);
    for (const c of capitalised) expect(c.type).toEqual(parseCdmDataType(c.rawType.toLowerCase()));
  });

  it("keeps a quoted multi-line field intact and the records after it aligned", () => {
    const note = getTable(loadReal("5.4"), "note")!;
    const cls = getColumn(note, "note_class_concept_id")!;
    expect(cls.description).toMatch(/HL7 LOINC\r?\nDocument Type Vocabulary classification of the note\./);
    expect(cls.type).toEqual({ kind: "integer" });
    // The next record starts right after the embedded line break.
    const next = note.columns[cls.ordinal + 1]!;
    expect(next).toMatchObject({ name: "note_title", type: { kind: "varchar", length: 250 }, required: false });
  });

  it("primary keys are listed in column order for every table that has one", () => {
    const spec = loadReal("5.4");
    for (const t of spec.tables.values()) {
      expect(t.primaryKey).toEqual(t.columns.filter((c) => c.primaryKey).map((c) => c.name));
      t.columns.forEach((c, i) => expect(c.ordinal).toBe(i));
    }
    expect(getTable(spec, "concept")!.primaryKey).toEqual(["concept_id"]);
    expect(getTable(spec, "concept_relationship")!.primaryKey).toEqual([]);
  });

  it("content hash is sha256 over field bytes then table bytes", () => {
    const { field, table } = readReal("5.4");
    const expected = createHash("sha256").update(Buffer.concat([field, table])).digest("hex");
    expect(loadReal("5.4").contentHash).toBe(expected);
    // Text input hashes as its UTF-8 bytes: the same spec, the same hash.
    const fromText = parseSpec("5.4", field.toString("utf8"), table.toString("utf8"), { ref: "x", source: "github" });
    expect(fromText.contentHash).toBe(expected);
    expect(fromText.ref).toBe("x");
    expect(fromText.source).toBe("github");
    expect(loadReal("5.3").contentHash).not.toBe(expected);
  });

  it("repairs the unquoted comma in cdm_source.source_documentation_reference (as published at v5.4.2)", () => {
    const { field, table } = readReal("5.4");
    const quoted = '"Refers to a publication or web resource describing the source data, e.g. a data dictionary."';
    const text = field.toString("utf8");
    expect(text).toContain(quoted);
    const broken = text.replace(quoted, quoted.slice(1, -1));
    const spec = parseSpec("5.4", broken, table, { ref: "v5.4.2", source: "github" });
    expect(fieldCount(spec)).toBe(432);
    const col = getColumn(getTable(spec, "cdm_source")!, "source_documentation_reference")!;
    expect(col).toMatchObject({ type: { kind: "varchar", length: 255 }, required: false, primaryKey: false });
    expect(col.description).toBe(quoted.slice(1, -1));
    expect(col.foreignKey).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------------

const FIELD_HEADER =
  "cdmTableName,cdmFieldName,isRequired,cdmDatatype,userGuidance,etlConventions,isPrimaryKey,isForeignKey,fkTableName,fkFieldName,fkDomain,fkClass,unique DQ identifiers";
const TABLE_HEADER =
  "cdmTableName,schema,isRequired,conceptPrefix,measurePersonCompleteness,measurePersonCompletenessThreshold,validation,tableDescription,userGuidance,etlConventions";

/** Joins lines with CRLF, the way most OHDSI files are written. */
function crlf(lines: string[]): string {
  return lines.join("\r\n") + "\r\n";
}

const syntheticTable = crlf([
  TABLE_HEADER,
  "WIDGET,cdm,Yes,NA,No,NA,NA,\"Widgets, one per row.\nSecond line.\",NA,NA",
  "Widget_Type,Vocab,No,NA,No,NA,NA,NA,NA,NA",
]);

const syntheticField = crlf([
  FIELD_HEADER,
  "WIDGET,Widget_ID,YES,Integer,\"The id,\r\nspanning lines\",NA,yes,no,NA,NA,NA,NA,NA",
  "widget,widget_type_concept_id,yes,INTEGER,NA,NA,No,Yes,widget_type,WIDGET_TYPE_ID,Type Concept,NA,NA",
  "widget,label,No,VARCHAR(20),Label,NA,NO,NO,NA,NA,NA,NA,NA",
  "widget,body,no,varchar(max),NA,NA,No,No,NA,NA,NA,NA,NA",
  "widget,made,no,DateTime,NA,NA,No,No,NA,NA,NA,NA,NA",
  "widget,made_on,no,Date,NA,NA,No,No,NA,NA,NA,NA,NA",
  "widget,weight,no,FLOAT,NA,NA,No,No,NA,NA,NA,NA,NA",
  "widget,serial,no,BigInt,NA,NA,No,No,NA,NA,NA,NA,NA",
  "",
  "widget_type,widget_type_id,Yes,integer,NA,NA,Yes,No,NA,NA,NA,NA,NA",
  "",
]);

describe("parseSpec on synthetic CSVs", () => {
  it("handles CRLF, NA, blank lines, quoted line breaks, case-insensitive flags and types", () => {
    const spec = parseSpec("5.4", syntheticField, syntheticTable, { ref: "local", source: "local" });
    expect(spec.tableNames).toEqual(["widget", "widget_type"]);
    const widget = getTable(spec, "widget")!;
    expect(widget.schema).toBe("CDM");
    expect(widget.description).toBe("Widgets, one per row.\nSecond line.");
    expect(getTable(spec, "widget_type")!.schema).toBe("VOCAB");
    expect(widget.columns.map((c) => [c.name, c.type])).toEqual([
      ["widget_id", { kind: "integer" }],
      ["widget_type_concept_id", { kind: "integer" }],
      ["label", { kind: "varchar", length: 20 }],
      ["body", { kind: "varchar" }],
      ["made", { kind: "datetime" }],
      ["made_on", { kind: "date" }],
      ["weight", { kind: "float" }],
      ["serial", { kind: "bigint" }],
    ]);
    const id = widget.columns[0]!;
    expect(id).toMatchObject({ rawType: "Integer", required: true, primaryKey: true, description: "The id,\r\nspanning lines" });
    expect(widget.primaryKey).toEqual(["widget_id"]);
    const fk = widget.columns[1]!;
    expect(fk.foreignKey).toEqual({ table: "widget_type", column: "widget_type_id", domain: "Type Concept" });
    // NA means missing: no description, no FK.
    expect(fk.description).toBeUndefined();
    expect(widget.columns[2]!.foreignKey).toBeUndefined();
  });

  it("parses LF files and a UTF-8 BOM the same way", () => {
    const lf = (s: string) => s.replace(/\r\n/g, "\n");
    const a = parseSpec("5.4", syntheticField, syntheticTable, { ref: "r", source: "local" });
    const b = parseSpec("5.4", "\ufeff" + lf(syntheticField), lf(syntheticTable), { ref: "r", source: "local" });
    expect(b.tableNames).toEqual(a.tableNames);
    expect(getTable(b, "widget")!.columns.map((c) => c.type)).toEqual(getTable(a, "widget")!.columns.map((c) => c.type));
    // Different bytes, different hash: the hash identifies the exact files.
    expect(b.contentHash).not.toBe(a.contentHash);
  });

  it("accepts a mix of CRLF and LF record endings in one file", () => {
    const mixed = syntheticField.replace("NA,NA,NA,NA,NA\r\nwidget,body", "NA,NA,NA,NA,NA\nwidget,body");
    expect(mixed).not.toBe(syntheticField);
    const spec = parseSpec("5.4", mixed, syntheticTable, { ref: "r", source: "local" });
    expect(getTable(spec, "widget")!.columns.map((c) => c.name)).toContain("body");
    expect(getColumn(getTable(spec, "widget")!, "label")!.description).toBe("Label");
  });

  it("rejects an unknown type, naming file, line and value (line counted across a multi-line record)", () => {
    const bad = syntheticField.replace("widget,made_on,no,Date", "widget,made_on,no,timestamp");
    const err = thrown(() => parseSpec("5.4", bad, syntheticTable, { ref: "r", source: "local", fieldFile: "fields.csv" }));
    expect(err.diagnostic.code).toBe("SPEC_PARSE_ERROR");
    // Header line 1, widget_id spans lines 2-3, then lines 4.. : made_on is line 8.
    expect(err.diagnostic.location).toMatchObject({ file: "fields.csv", line: 8 });
    expect(err.message).toContain('"timestamp"');
    expect(err.message).toContain("widget.made_on");
    expect(err.message).toContain("fields.csv:8:");
    expect(err.diagnostic.hint).toMatch(/varchar\(<n>\)/);
  });

  it("defaults error file names to OHDSI's and counts lines past skipped blank lines", () => {
    const bad = syntheticField.replace("widget_type,widget_type_id,Yes,integer", "widget_type,widget_type_id,Yes,numeric");
    const err = thrown(() => parseSpec("5.3", bad, syntheticTable, { ref: "r", source: "local" }));
    expect(err.diagnostic.location).toMatchObject({ file: "OMOP_CDMv5.3_Field_Level.csv", line: 12 });
  });

  it("rejects bad flags, short records, unknown tables, duplicates and unknown schemas", () => {
    const meta = { ref: "r", source: "local" } as const;
    const flag = thrown(() => parseSpec("5.4", syntheticField.replace("widget,label,No,", "widget,label,Maybe,"), syntheticTable, meta));
    expect(flag.message).toContain('"Maybe"');
    expect(flag.diagnostic.location?.line).toBe(5);

    const short = thrown(() => parseSpec("5.4", syntheticField.replace("widget,body,no,varchar(max),NA,NA,No,No,NA,NA,NA,NA,NA", "widget,body,no"), syntheticTable, meta));
    expect(short.message).toMatch(/expected 13 fields.*found 3/);
    expect(short.diagnostic.location?.line).toBe(6);

    const orphan = thrown(() => parseSpec("5.4", syntheticField.replace("widget,weight", "gadget,weight"), syntheticTable, meta));
    expect(orphan.message).toContain('"gadget"');

    const dup = thrown(() => parseSpec("5.4", syntheticField.replace("widget,made_on", "widget,made"), syntheticTable, meta));
    expect(dup.message).toContain("listed twice");

    const schema = thrown(() => parseSpec("5.4", syntheticField, syntheticTable.replace("Widget_Type,Vocab", "Widget_Type,Archive"), meta));
    expect(schema.message).toContain('"Archive"');
    expect(schema.diagnostic.location).toMatchObject({ file: "OMOP_CDMv5.4_Table_Level.csv", line: 4 });

    const halfFk = thrown(() => parseSpec("5.4", syntheticField.replace("widget_type,WIDGET_TYPE_ID", "widget_type,NA"), syntheticTable, meta));
    expect(halfFk.message).toContain("half of its foreign key");
  });

  it("rejects a table without fields and a file without a required header column", () => {
    const meta = { ref: "r", source: "local" } as const;
    const extraTable = syntheticTable + "orphan,CDM,No,NA,No,NA,NA,NA,NA,NA\r\n";
    expect(thrown(() => parseSpec("5.4", syntheticField, extraTable, meta)).message).toContain('"orphan" has no fields');
    const noType = syntheticField.replace("cdmDatatype", "datatype");
    expect(thrown(() => parseSpec("5.4", noType, syntheticTable, meta)).message).toContain('"cdmdatatype"');
    expect(thrown(() => parseSpec("5.4", "", syntheticTable, meta)).message).toContain("empty");
  });

  it("reports a CSV structure error (unterminated quote) as SPEC_PARSE_ERROR", () => {
    const bad = syntheticField.replace('spanning lines"', "spanning lines");
    const err = thrown(() => parseSpec("5.4", bad, syntheticTable, { ref: "r", source: "local" }));
    expect(err.diagnostic.code).toBe("SPEC_PARSE_ERROR");
    expect(err.message).toMatch(/malformed CSV/);
  });
});

describe("parseCdmDataType", () => {
  it("normalises every spelling the spec uses and rejects the rest", () => {
    expect(parseCdmDataType("integer")).toEqual({ kind: "integer" });
    expect(parseCdmDataType(" Integer ")).toEqual({ kind: "integer" });
    expect(parseCdmDataType("varchar(50)")).toEqual({ kind: "varchar", length: 50 });
    expect(parseCdmDataType("Varchar(50)")).toEqual({ kind: "varchar", length: 50 });
    expect(parseCdmDataType("VARCHAR(MAX)")).toEqual({ kind: "varchar" });
    expect(parseCdmDataType("varchar(max)")).toEqual({ kind: "varchar" });
    expect(parseCdmDataType("datetime")).toEqual({ kind: "datetime" });
    expect(parseCdmDataType("float")).toEqual({ kind: "float" });
    expect(parseCdmDataType("bigint")).toEqual({ kind: "bigint" });
    expect(parseCdmDataType("date")).toEqual({ kind: "date" });
    for (const bad of ["varchar", "varchar(0)", "varchar(-1)", "text", "numeric(10,2)", ""]) {
      expect(parseCdmDataType(bad)).toBeUndefined();
    }
  });
});

describe("quoted reserved words", () => {
  it('note_nlp."offset" is the column offset, unquoted', async () => {
    const { SpecificationManager } = await import("../../src/core/spec/specification-manager.js");
    const { specDir } = await import("../helpers/paths.js");
    const spec = await new SpecificationManager({ dir: specDir, offline: true }).load("5.4");
    const names = spec.tables.get("note_nlp")!.columns.map((c) => c.name);
    expect(names).toContain("offset");
    expect(names.some((n) => n.includes('"'))).toBe(false);
  });
});
