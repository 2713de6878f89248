import type { Expr } from "../expr/ast.js";
import type { TableRef } from "../model/plan.js";
import type { CheckJoin, CheckMeasure, CheckRowSet } from "./check-model.js";
import { and, bin, col, int, notNull } from "./check-exprs.js";
import type { SelectedCheck } from "./dqd-select.js";

/** DQD's gender concepts: the plausible gender of a `Male` check is 8507, else (`Female`) 8532. */
const MALE = 8507;
const FEMALE = 8532;

/** Integer concept ids of a DQD list (`4090861, 4025213`); undefined when one is not an integer. */
export function conceptIds(text: string): number[] | undefined {
  const ids = text.split(",").map((s) => s.trim());
  return ids.every((s) => /^-?\d+$/.test(s)) ? ids.map(Number) : undefined;
}

const inList = (arg: Expr, ids: readonly number[], negated = false): Expr => ({ k: "in", arg, list: ids.map(int), negated, type: "boolean" });

function rows(from: TableRef, alias: string, joins: CheckJoin[], where: Expr | undefined): CheckRowSet {
  const r: CheckRowSet = { from, alias, joins, count: { kind: "rows" } };
  if (where) r.where = where;
  return r;
}

/**
 * A CONCEPT-level check's measure (DQD 2.8's concept_plausible_*.sql), or undefined for a type it does not know.
 * `ref` names the tables by logical schema; the checked table is aliased `t`.
 */
export function conceptMeasure(check: SelectedCheck, ref: (table: string) => TableRef): CheckMeasure | undefined {
  const table = ref(check.cdmTableName);
  const field = col("t", check.cdmFieldName!.toLowerCase(), "integer");
  const ids = conceptIds(check.conceptId ?? "");
  if (!ids) return { kind: "unsupported", reason: `omopetl does not compile check ${check.checkName}: its conceptId "${check.conceptId}" is not a list of integers.` };
  const person: CheckJoin = { type: "inner", table: ref("person"), alias: "p", on: bin("=", col("t", "person_id", "integer"), col("p", "person_id", "integer")) };
  const implausibleGender = (g: string | undefined): Expr => bin("<>", col("p", "gender_concept_id", "integer"), int(g === "Male" ? MALE : FEMALE));
  const p = check.params;
  switch (check.checkName) {
    case "plausibleGender": {
      const ofConcept = bin("=", field, int(ids[0]!));
      return { kind: "ratio", numerator: rows(table, "t", [person], and(ofConcept, implausibleGender(p.plausibleGender))), denominator: rows(table, "t", [], ofConcept) };
    }
    case "plausibleGenderUseDescendants": {
      const ancestor: CheckJoin = { type: "inner", table: ref("concept_ancestor"), alias: "ca", on: bin("=", col("ca", "descendant_concept_id", "integer"), field) };
      const under = inList(col("ca", "ancestor_concept_id", "integer"), ids);
      return {
        kind: "ratio",
        numerator: rows(table, "t", [person, ancestor], and(under, implausibleGender(p.plausibleGenderUseDescendants))),
        denominator: rows(table, "t", [ancestor], under),
      };
    }
    case "plausibleUnitConceptIds": {
      const units = p.plausibleUnitConceptIds ?? "";
      const unit = col("t", "unit_concept_id", "integer");
      let implausible: Expr;
      if (units === "" || units === "NA") implausible = notNull(unit);
      else {
        const allowed = conceptIds(units);
        if (!allowed) return { kind: "unsupported", reason: `omopetl does not compile check ${check.checkName}: its plausibleUnitConceptIds "${units}" is not a list of integers.` };
        implausible = inList(unit, allowed, true);
      }
      // As DQD: `unit_source_value IS NOT NULL OR unit_source_value <> ''` (which is `IS NOT NULL`).
      const unitSource = col("t", "unit_source_value", "string");
      const eligible = and(bin("=", field, int(ids[0]!)), notNull(col("t", "value_as_number", "float")), bin("or", notNull(unitSource), bin("<>", unitSource, { k: "lit", value: "", type: "string" })));
      return { kind: "ratio", numerator: rows(table, "t", [], and(eligible, implausible)), denominator: rows(table, "t", [], eligible) };
    }
    default:
      return undefined;
  }
}
