/**
 * Per-image embeddings stored as JSON lines (`{"ref": "Person/file.jpg", "status": "face", "<variant>": [..]}`),
 * as `bench/lfw-face-api.ts` writes them, and the per-pair values computed from them. Lines for the same
 * image merge (later fields win), so a run can be resumed or extended with another variant.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import { readJsonLines } from '../util/files';
import { refKey } from '../data/dataset';
import type { IsSame, PairList } from '../data/types';

/** One image's record. */
export interface EmbeddingRecord {
  readonly ref: string;
  readonly status?: string;
  readonly [variant: string]: unknown;
}

/** Reads a JSON-lines embedding file into records by `Person/file` (errors name the file and line). */
export function readEmbeddingCache(file: string): Map<string, EmbeddingRecord> {
  const out = new Map<string, EmbeddingRecord>();
  for (const { value: r, line } of readJsonLines<EmbeddingRecord>(file)) {
    if (typeof r.ref !== 'string') throw new Error(`${file}:${line}: record has no "ref"`);
    out.set(r.ref, { ...(out.get(r.ref) ?? {}), ...r });
  }
  return out;
}

/** Per-pair values of `list` from cached embeddings of `variant`; pairs with a missing image are listed, not guessed. */
export function pairValues(list: PairList, records: ReadonlyMap<string, EmbeddingRecord>, variant: string,
  compare: (a: readonly number[], b: readonly number[]) => number): { values: number[]; isSame: IsSame[]; folds: number[]; missing: number[] } {
  const values: number[] = [];
  const isSame: IsSame[] = [];
  const folds: number[] = [];
  const missing: number[] = [];
  list.pairs.forEach((p, i) => {
    const a = records.get(refKey(p.a))?.[variant];
    const b = records.get(refKey(p.b))?.[variant];
    if (!Array.isArray(a) || !Array.isArray(b)) {
      missing.push(i);
      return;
    }
    values.push(compare(a as number[], b as number[]));
    isSame.push(p.isSame);
    folds.push(list.folds[i]);
  });
  return { values, isSame, folds, missing };
}
