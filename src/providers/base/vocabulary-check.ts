import type { TableRef, TransformBody } from "../../core/model/plan.js";
import type { RenderContext } from "../provider-api.js";

/** What the check needs of a generator (pure SQL text). */
export interface VocabularyCheckGenerator {
  stringLiteral(s: string): string;
  table(ref: TableRef, ctx: RenderContext): string;
  failIfAny(select: string): string | undefined;
  /** Text in byte order (the generator's textOrder hook), so the message lists ids alike on every engine. */
  textOrder(x: string): string;
  /** An ordered string aggregate (the generator's stringAgg hook). */
  stringAgg(x: string, separator: string, orderBy: string): string;
}

/**
 * A statement failing a transform whose lookups read codes of a vocabulary that no table knows: a misspelt
 * `vocabulary: ICD9` (for ICD9CM) silently mapped nothing, every row becoming concept 0. An id is known when a place
 * of a join listing it has it: VOCABULARY's vocabulary_id (the loaded vocabularies, issue 13: one loaded without any
 * concept in CONCEPT is known, its codes simply unmapped) and, for a lookup via source_to_concept_map, that table's
 * source_vocabulary_id, where local vocabularies live. The message lists the ids those tables do have (computed only
 * when the check fails); an empty VOCABULARY gets its own fix, since then every vocabulary is refused. Nothing when
 * the transform has no lookup, or for a dialect without `failIfAny`.
 */
export function renderVocabularyChecks(g: VocabularyCheckGenerator, body: TransformBody, ctx: RenderContext): string[] {
  // id -> the (table, column) places that may hold it, deduplicated and sorted so the SQL is deterministic.
  const wanted = new Map<string, Map<string, { table: TableRef; column: string }>>();
  // The lookups of `with:` sub-selects too: their codes are written through the selects that read them.
  for (const s of [...body.selects.flatMap((x) => (x.with ?? []).flatMap((w) => (w.union ?? (w.select ? [w.select] : [])))), ...body.selects]) {
    for (const j of s.joins) {
      const table = j.vocabularyTable ?? j.table;
      const column = j.vocabularyColumn ?? "vocabulary_id";
      for (const v of j.vocabularies ?? []) {
        const places = wanted.get(v) ?? new Map<string, { table: TableRef; column: string }>();
        places.set(`${table.schema}.${table.name}.${column}`, { table, column });
        wanted.set(v, places);
      }
    }
  }
  if (wanted.size === 0) return [];
  const allPlaces = new Map<string, { table: TableRef; column: string }>();
  for (const places of wanted.values()) for (const [k, p] of places) allPlaces.set(k, p);
  const sortedPlaces = [...allPlaces.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const placeIndex = new Map(sortedPlaces.map(([k], i) => [k, i]));
  const ids = [...wanted.keys()].sort();
  const known = sortedPlaces.map(([, p]) => `SELECT DISTINCT x.${p.column} AS v FROM ${g.table(p.table, ctx)} AS x`).join(" UNION ");
  const tableNames = sortedPlaces.map(([, p]) => p.table.name.toUpperCase()).filter((n, i, a) => a.indexOf(n) === i);
  // VOCABULARY empty (loaded from the wrong file, or a load step missing) refuses every vocabulary: say so.
  const vocabularyPlace = sortedPlaces.find(([, p]) => p.table.name === "vocabulary");
  const fix = g.stringLiteral(". Fix the vocabulary: of the lookup (ids are case-sensitive), or load that vocabulary.");
  const emptyFix = g.stringLiteral(
    ". The VOCABULARY table is empty: load VOCABULARY.csv of the vocabulary download into vocab.vocabulary (a load step), as the CONCEPT table's vocabularies.",
  );
  const msg = [
    g.stringLiteral("LOOKUP_VOCABULARY_UNKNOWN: the lookup vocabulary "),
    `'"' || w.id || '"'`,
    g.stringLiteral(` is not a vocabulary id of the loaded ${tableNames.join(" or ")} table, so none of its codes could map. Known vocabulary ids: `),
    `coalesce((SELECT ${g.stringAgg("k.v", "', '", g.textOrder("k.v"))} FROM (${known}) AS k), '(none: ${tableNames.join(" and ")} ${tableNames.length === 1 ? "is" : "are"} empty)')`,
    vocabularyPlace
      ? `CASE WHEN EXISTS (SELECT 1 FROM ${g.table(vocabularyPlace[1].table, ctx)} AS x) THEN ${fix} ELSE ${emptyFix} END`
      : fix,
  ].join(" || ");
  // One VALUES row per id, with a flag per place: the id must be found in at least one of its flagged places.
  const flags = sortedPlaces.map((_, i) => `p${i}`);
  const rows = ids.map((id) => {
    const places = wanted.get(id)!;
    const on = new Set([...places.keys()].map((k) => placeIndex.get(k)!));
    return `(${[g.stringLiteral(id), ...flags.map((_, i) => (on.has(i) ? "TRUE" : "FALSE"))].join(", ")})`;
  });
  const found = sortedPlaces.map(([, p], i) => `(w.p${i} AND EXISTS (SELECT 1 FROM ${g.table(p.table, ctx)} AS x WHERE x.${p.column} = w.id))`);
  const select = [
    `SELECT ${msg} AS msg`,
    `FROM (VALUES ${rows.join(", ")}) AS w(id, ${flags.join(", ")})`,
    `WHERE NOT (${found.join(" OR ")})`,
    `ORDER BY ${g.textOrder("w.id")}`,
    "LIMIT 1",
  ].join("\n");
  const statement = g.failIfAny(select);
  return statement === undefined ? [] : [statement];
}
