/**
 * Face retrieval: index a gallery of faces once, then answer "who in the gallery looks like this photo?"
 * with the k closest faces and their distances. The search is exact (every gallery face is compared with
 * the query) and uses the model's own verification distance, so a hit's distance can be read against the
 * model's verification threshold.
 *
 * Where exact search stops being fine: one query costs one comparison per gallery face. Measured here
 * (`npm run bench:search`, BENCHMARKS.md; 2 loaded shared cores, 128-d) that is about 0.25-0.45 ms per
 * 1,000 faces: 2.4-3.4 ms at 1e4 faces, 33-45 ms at 1e5, so ~0.3-0.45 s at 1e6, plus 0.5 KB of memory per face.
 * Workshop galleries (hundreds to tens of thousands of faces) are far below that. Beyond ~1e5-1e6 faces, or at many queries
 * per second, use an approximate nearest-neighbour index: HNSW (a navigable small-world graph; e.g.
 * hnswlib, FAISS IndexHNSWFlat) for sub-millisecond queries with the vectors in memory, or IVF-PQ (coarse
 * clusters + product-quantised codes; FAISS IndexIVFPQ) when the vectors no longer fit in memory. Both trade
 * a little recall for speed, so rank-1 and mAP below should be re-measured with them.
 *
 * The metrics are pure functions on ranked relevance lists: `relevant[r]` is 1 when the item at rank r + 1
 * is the query's person.
 *
 * @see notebooks/08-applications.ipynb
 */
import type { Direction } from '../eval/scored';
import { EUCLIDEAN, pairwiseValues, type Metric } from './metric';
import type { IsSame } from '../data/types';

/**
 * Indices of `values` from closest to farthest (smallest distance or largest score first); ties keep index
 * order, so rankings are deterministic.
 */
export function rankOrder(values: readonly number[], dir: Direction): number[] {
  const sign = dir.higherIsCloser ? -1 : 1;
  return values.map((_, i) => i).sort((i, j) => sign * (values[i] - values[j]) || i - j);
}

/** 1-based rank of the first relevant item, or Infinity when none is relevant. */
export function firstHitRank(relevant: readonly IsSame[]): number {
  const i = relevant.indexOf(1);
  return i < 0 ? Infinity : i + 1;
}

/** Fraction of queries whose first relevant item is within the top `k` (rank-1 accuracy for k = 1). */
export function rankKAccuracy(firstRanks: readonly number[], k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`rank-k needs an integer k >= 1, got ${k}`);
  if (firstRanks.length === 0) return 0;
  return firstRanks.filter((r) => r <= k).length / firstRanks.length;
}

/**
 * Average precision of one ranked list: the mean, over the relevant items, of the precision at each one's
 * rank (all relevant items must be in the list). 0 when nothing is relevant.
 */
export function averagePrecision(relevant: readonly IsSame[]): number {
  let hits = 0, sum = 0;
  relevant.forEach((r, i) => {
    if (r !== 1) return;
    hits++;
    sum += hits / (i + 1);
  });
  return hits === 0 ? 0 : sum / hits;
}

/** Mean of per-query average precisions (0 for no queries). */
export function meanAveragePrecision(aps: readonly number[]): number {
  return aps.length === 0 ? 0 : aps.reduce((s, x) => s + x, 0) / aps.length;
}

/** Leave-one-out retrieval scores of a labelled set. */
export interface RetrievalScores {
  /** Queries scored: images whose person has at least one other image. */
  readonly queries: number;
  readonly rank1: number;
  /** Rank-k accuracy for each asked k. */
  readonly rankK: Readonly<Record<number, number>>;
  readonly mAP: number;
  /** Per query: its index, the rank of its first same-person hit and its average precision. */
  readonly perQuery: readonly { readonly index: number; readonly firstRank: number; readonly ap: number }[];
}

/**
 * Every image as a query against all the others (the gallery minus the query), ranked by `metric`:
 * rank-1, rank-k for each of `ks` and mAP. Images that are their person's only one are not queries (they
 * have nothing to find) but stay in the gallery as distractors.
 */
export function retrievalScores(embeddings: readonly (readonly number[])[], persons: readonly string[], metric: Metric = EUCLIDEAN, ks: readonly number[] = [1, 5]): RetrievalScores {
  if (embeddings.length !== persons.length) throw new RangeError(`retrievalScores: ${embeddings.length} embeddings but ${persons.length} labels`);
  const n = embeddings.length;
  const values = pairwiseValues(embeddings, metric);
  const count = new Map<string, number>();
  for (const p of persons) count.set(p, (count.get(p) ?? 0) + 1);
  const perQuery: { index: number; firstRank: number; ap: number }[] = [];
  for (let q = 0; q < n; q++) {
    if ((count.get(persons[q]) ?? 0) < 2) continue;
    const others = values[q].map((_, j) => j).filter((j) => j !== q);
    const ranked = rankOrder(others.map((j) => values[q][j]), metric).map((r) => others[r]);
    const relevant = ranked.map((j): IsSame => (persons[j] === persons[q] ? 1 : 0));
    perQuery.push({ index: q, firstRank: firstHitRank(relevant), ap: averagePrecision(relevant) });
  }
  const firsts = perQuery.map((p) => p.firstRank);
  return {
    queries: perQuery.length,
    rank1: rankKAccuracy(firsts, 1),
    rankK: Object.fromEntries(ks.map((k) => [k, rankKAccuracy(firsts, k)])),
    mAP: meanAveragePrecision(perQuery.map((p) => p.ap)),
    perQuery,
  };
}

/** One gallery face. */
export interface GalleryEntry {
  readonly person: string;
  /** Where the image is (a path, or `Person/file` for dataset images). */
  readonly file: string;
  readonly embedding: readonly number[];
}

/** One search result. */
export interface SearchHit extends Omit<GalleryEntry, 'embedding'> {
  /** 1-based. */
  readonly rank: number;
  /** The distance (or score) to the query, in the metric's units. */
  readonly value: number;
  /** Index of the entry in the gallery. */
  readonly index: number;
}

/** An exact nearest-neighbour index over gallery embeddings (see the module comment for its limits). */
export class GalleryIndex {
  /** All embeddings in one contiguous row-major block: one pass over memory per query. */
  private readonly data: Float32Array;
  readonly dim: number;

  /** `model` names the embedder that made the embeddings; queries must come from the same one. */
  constructor(readonly entries: readonly GalleryEntry[], readonly model: string, readonly metric: Metric = EUCLIDEAN) {
    if (entries.length === 0) throw new RangeError(`the gallery is empty: nothing to search (model ${model})`);
    const dim = entries[0].embedding.length;
    entries.forEach((e, i) => {
      if (e.embedding.length !== dim) throw new RangeError(`gallery entry ${i} (${e.file}) has ${e.embedding.length} values, entry 0 has ${dim}`);
    });
    this.dim = dim;
    this.data = new Float32Array(entries.length * dim);
    entries.forEach((e, i) => this.data.set(e.embedding, i * dim));
  }

  get size(): number {
    return this.entries.length;
  }

  /** People in the gallery, in first-seen order. */
  get people(): string[] {
    return [...new Set(this.entries.map((e) => e.person))];
  }

  /**
   * The `k` gallery faces closest to `query` (exact), closest first. `model` is the query's embedder: a
   * different one than the gallery's, or another length, is refused (its distances would mean nothing).
   * `exclude` skips gallery indices (e.g. the query itself).
   */
  search(query: readonly number[], k: number, options: { model?: string; exclude?: ReadonlySet<number> } = {}): SearchHit[] {
    if (options.model !== undefined && options.model !== this.model) {
      throw new Error(`model mismatch: the gallery was indexed with ${this.model} but the query was embedded with ${options.model}`);
    }
    if (query.length !== this.dim) throw new RangeError(`model mismatch: the query has ${query.length} values but the gallery's ${this.model} embeddings have ${this.dim}`);
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`search k must be an integer >= 1, got ${k}`);
    const q = Float32Array.from(query);
    const { dim, data } = this;
    const euclidean = this.metric === EUCLIDEAN;
    // Euclidean: rank by squared distance in a tight loop (same order), take square roots of the k kept
    const sign = this.metric.higherIsCloser ? -1 : 1;
    // keep the best k in a small sorted array: O(n log k), no full sort of the gallery
    const best: { index: number; value: number }[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      if (options.exclude?.has(i)) continue;
      let value = 0;
      if (euclidean) {
        for (let j = 0, o = i * dim; j < dim; j++) {
          const t = q[j] - data[o + j];
          value += t * t;
        }
      } else {
        value = this.metric.compare(q, data.subarray(i * dim, (i + 1) * dim));
      }
      if (best.length === k && sign * (value - best[k - 1].value) >= 0) continue;
      let at = best.length;
      while (at > 0 && sign * (value - best[at - 1].value) < 0) at--;
      best.splice(at, 0, { index: i, value });
      if (best.length > k) best.pop();
    }
    return best.map((b, r) => ({ rank: r + 1, person: this.entries[b.index].person, file: this.entries[b.index].file,
      value: euclidean ? Math.sqrt(b.value) : b.value, index: b.index }));
  }
}
