import { corpusSubset, loadCorpusMessage } from "../../test/scripts/corpus-compare.js";

/**
 * Sources of the SpamAssassin corpus as they are APPENDed (mbox `From ` line removed, CRLF), in a
 * deterministic order spread over all five groups. `count` above the corpus size repeats it.
 */
export function corpusSources(count: number | "full"): Buffer[] {
  const names = corpusSubset("full");
  const n = count === "full" ? names.length : count;
  const picked =
    n <= names.length ? corpusSubset(n) : Array.from({ length: n }, (_, i) => names[i % names.length]!);
  return picked.map((name) => loadCorpusMessage(name).raw);
}

/** Splits `items` into `parts` nearly equal slices, in order. */
export function split<T>(items: readonly T[], parts: number): T[][] {
  return Array.from({ length: parts }, (_, p) =>
    items.slice(Math.floor((p * items.length) / parts), Math.floor(((p + 1) * items.length) / parts)),
  );
}
