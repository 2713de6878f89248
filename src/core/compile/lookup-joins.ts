import type { Expr } from "../expr/ast.js";
import type { Join, TableRef } from "../model/plan.js";
import { and, bin, col, fn, inList, isNull, lit } from "./expr-builders.js";

/** Where a lookup finds a code's standard concept(s): OHDSI's 'Maps to' relationships or the source_to_concept_map. */
export type LookupVia = "maps_to" | "source_to_concept_map";

/** The vocabulary tables a lookup reads, by the `via` sources it uses. */
export const LOOKUP_TABLES = {
  concept: { schema: "vocab", name: "concept" },
  conceptRelationship: { schema: "vocab", name: "concept_relationship" },
  sourceToConceptMap: { schema: "vocab", name: "source_to_concept_map" },
  vocabulary: { schema: "vocab", name: "vocabulary" },
} as const satisfies Record<string, TableRef>;

/** The default `via`: 'Maps to' only (what a lookup did before `via` existed). */
export const DEFAULT_VIA: readonly LookupVia[] = ["maps_to"];

/** A lookup expanded into plan joins, and the expressions its columns stand for. */
export interface ExpandedLookup {
  /** The code looked up (string-typed). */
  code: Expr;
  joins: Join[];
  /** The standard concept id, NULL when no `via` source mapped the code. */
  standardId: Expr;
  /** A column of the matched standard concept (NULL when unmapped). */
  standard(column: string, type: Expr["type"]): Expr;
  /** The source concept id (0 when none). */
  sourceConceptId: Expr;
  /** The source concept's domain. */
  sourceDomainId: Expr;
}

/** The aliases of one lookup's joins: `<name>__src`, `<name>__map`/`__std`, `<name>__stcm`/`__stcm_std`. */
export const lookupAliases = (name: string) => ({
  src: `${name}__src`,
  map: `${name}__map`,
  std: `${name}__std`,
  stcm: `${name}__stcm`,
  stcmStd: `${name}__stcm_std`,
});

/** A valid standard concept as a nested inner join target: missing, non-standard and invalid targets match nothing. */
function validStandard(alias: string, id: Expr): Expr {
  return and(bin("=", col(alias, "concept_id", "integer"), id), bin("=", col(alias, "standard_concept", "string"), lit("S")), isNull(col(alias, "invalid_reason", "string")));
}

/**
 * Expands a lookup into left joins. Each `via` source, in order, gets one left join whose standard target is
 * inner-joined inside it (one row per valid standard target; a code without any keeps one row), and whose join
 * key is NULL where an earlier source matched: the first source that maps a code wins, and its rows are the only ones.
 *
 * - maps_to: the source concept (CONCEPT by concept_code and vocabulary_id) and its valid 'Maps to' rows.
 * - source_to_concept_map: rows whose source_code is the code and source_vocabulary_id one of the vocabularies,
 *   with invalid_reason NULL and today within valid_start_date..valid_end_date (OHDSI's usual STCM query).
 *
 * The source concept join is always there (source_concept_id; when it finds no concept, a matched
 * source_to_concept_map row's source_concept_id is used).
 */
export function expandLookup(name: string, code: Expr, vocabularyIds: string[], via: readonly LookupVia[]): ExpandedLookup {
  const a = lookupAliases(name);
  const vocabularies = vocabularyIds.map((v) => lit(v));
  const usesStcm = via.includes("source_to_concept_map");
  const joins: Join[] = [
    {
      type: "left",
      table: LOOKUP_TABLES.concept,
      alias: a.src,
      on: and(bin("=", col(a.src, "concept_code", "string"), code), inList(col(a.src, "vocabulary_id", "string"), vocabularies)),
      role: "lookup",
      vocabularies: vocabularyIds,
      // Known ids are VOCABULARY's (issue 13): a vocabulary loaded without concepts in CONCEPT (a shard, a
      // licensed vocabulary not yet expanded) leaves its codes unmapped, which the coverage report shows.
      vocabularyTable: LOOKUP_TABLES.vocabulary,
    },
  ];
  const stdAliases: string[] = [];
  for (const source of via) {
    // This source applies only where no earlier source matched: its join key is NULL (so matches nothing) when an
    // earlier target is there. Kept inside the equality, not as a separate `earlier IS NULL` condition, so the join
    // stays an equi-join: measured on DuckDB (Synthea x100), that condition alone turned the hash join into a
    // nested loop of 10 s.
    const unmatchedBefore = stdAliases.map((s) => isNull(col(s, "concept_id", "integer")));
    const guard = (key: Expr): Expr =>
      unmatchedBefore.length === 0 ? key : { k: "case", whens: [{ when: and(...unmatchedBefore), then: key }], type: key.type };
    if (source === "maps_to") {
      joins.push({
        type: "left",
        table: LOOKUP_TABLES.conceptRelationship,
        alias: a.map,
        on: and(
          bin("=", col(a.map, "concept_id_1", "integer"), guard(col(a.src, "concept_id", "integer"))),
          bin("=", col(a.map, "relationship_id", "string"), lit("Maps to")),
          isNull(col(a.map, "invalid_reason", "string")),
        ),
        role: "lookup",
        nested: [{ table: LOOKUP_TABLES.concept, alias: a.std, on: validStandard(a.std, col(a.map, "concept_id_2", "integer")) }],
      });
      stdAliases.push(a.std);
    } else {
      const today = fn("current_date", [], "date");
      joins.push({
        type: "left",
        table: LOOKUP_TABLES.sourceToConceptMap,
        alias: a.stcm,
        on: and(
          bin("=", col(a.stcm, "source_code", "string"), guard(code)),
          inList(col(a.stcm, "source_vocabulary_id", "string"), vocabularies),
          isNull(col(a.stcm, "invalid_reason", "string")),
          bin("<=", col(a.stcm, "valid_start_date", "date"), today),
          bin(">=", col(a.stcm, "valid_end_date", "date"), today),
        ),
        role: "lookup",
        vocabularies: vocabularyIds,
        vocabularyColumn: "source_vocabulary_id",
        nested: [{ table: LOOKUP_TABLES.concept, alias: a.stcmStd, on: validStandard(a.stcmStd, col(a.stcm, "target_concept_id", "integer")) }],
      });
      stdAliases.push(a.stcmStd);
    }
  }
  // At most one source's target is not NULL in a row (each later join requires the earlier targets NULL).
  const first = (column: string, type: Expr["type"]): Expr =>
    stdAliases.length === 1 ? col(stdAliases[0]!, column, type) : fn("coalesce", stdAliases.map((s) => col(s, column, type)), type);
  const srcId = col(a.src, "concept_id", "integer");
  return {
    code,
    joins,
    standardId: first("concept_id", "integer"),
    standard: first,
    sourceConceptId: fn("coalesce", usesStcm ? [srcId, col(a.stcm, "source_concept_id", "integer"), lit(0)] : [srcId, lit(0)], "integer"),
    sourceDomainId: col(a.src, "domain_id", "string"),
  };
}
