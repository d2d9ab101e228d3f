/**
 * The worst mistakes at a threshold: false accepts (different people judged the same) sorted by how close
 * they looked, and false rejects (the same person judged different) sorted by how far apart they looked.
 * Pure index selection on plain arrays; `viz/error-gallery.ts` draws them.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import type { IsSame } from '../data/types';
import { accepts, checkScored, type Direction } from './scored';

/** One mistake: the pair's index, its value and what kind of mistake it is. */
export interface PairError {
  readonly index: number;
  readonly value: number;
  readonly kind: 'false-accept' | 'false-reject';
}

/** The `k` worst false accepts and the `k` worst false rejects at `threshold` (ties by index). */
export function worstErrors(values: readonly number[], isSame: readonly IsSame[], threshold: number, dir: Direction, k = 8): { falseAccepts: PairError[]; falseRejects: PairError[] } {
  checkScored(values, isSame, dir, 'worstErrors');
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`worstErrors: k must be a non-negative integer, got ${k}`);
  const closer = (i: number, j: number): number => (dir.higherIsCloser ? values[j] - values[i] : values[i] - values[j]) || i - j;
  const idx = values.map((_, i) => i);
  const fa = idx.filter((i) => isSame[i] === 0 && accepts(values[i], threshold, dir)).sort(closer);
  const fr = idx.filter((i) => isSame[i] === 1 && !accepts(values[i], threshold, dir)).sort((i, j) => closer(j, i) || i - j);
  return {
    falseAccepts: fa.slice(0, k).map((index) => ({ index, value: values[index], kind: 'false-accept' as const })),
    falseRejects: fr.slice(0, k).map((index) => ({ index, value: values[index], kind: 'false-reject' as const })),
  };
}
