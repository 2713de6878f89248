import type { TableRef, TransformBody } from "../../core/model/plan.js";
import type { RenderContext } from "../provider-api.js";

/** What the check needs of a generator (pure SQL text). */
export interface VocabularyCheckGenerator {
  stringLiteral(s: string): string;
  table(ref: TableRef, ctx: RenderContext): string;
  failIfAny(select: string): string | undefined;
}

/**
 * A statement failing a transform whose lookups read codes of a vocabulary that has no concept in the loaded CONCEPT
 * table: a misspelt `vocabulary: ICD9` (for ICD9CM) silently mapped nothing, every row becoming concept 0. The
 * message lists the vocabulary ids CONCEPT does have (computed only when the check fails). Nothing when the
 * transform has no lookup, or for a dialect without `failIfAny`.
 */
export function renderVocabularyChecks(g: VocabularyCheckGenerator, body: TransformBody, ctx: RenderContext): string[] {
  const wanted = new Map<string, TableRef>();
  for (const s of body.selects) for (const j of s.joins) for (const v of j.vocabularies ?? []) if (!wanted.has(v)) wanted.set(v, j.table);
  if (wanted.size === 0) return [];
  const concept = g.table([...wanted.values()][0]!, ctx);
  const ids = [...wanted.keys()].sort();
  const msg = [
    g.stringLiteral("LOOKUP_VOCABULARY_UNKNOWN: the lookup vocabulary "),
    `'"' || w.id || '"'`,
    g.stringLiteral(" has no concept in the loaded CONCEPT table, so none of its codes could map. Known vocabulary ids: "),
    `coalesce((SELECT string_agg(k.vocabulary_id, ', ' ORDER BY k.vocabulary_id) FROM (SELECT DISTINCT c.vocabulary_id FROM ${concept} AS c) AS k), '(none: CONCEPT is empty)')`,
    g.stringLiteral(". Fix the vocabulary: of the lookup (ids are case-sensitive), or load that vocabulary."),
  ].join(" || ");
  const select = [
    `SELECT ${msg} AS msg`,
    `FROM (VALUES ${ids.map((id) => `(${g.stringLiteral(id)})`).join(", ")}) AS w(id)`,
    `WHERE NOT EXISTS (SELECT 1 FROM ${concept} AS x WHERE x.vocabulary_id = w.id)`,
    "ORDER BY w.id",
    "LIMIT 1",
  ].join("\n");
  const statement = g.failIfAny(select);
  return statement === undefined ? [] : [statement];
}
