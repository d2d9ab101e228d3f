/**
 * The one convention every metric in `eval/` shares: a list of per-pair `values` (distances or scores), the
 * pairs' labels `isSame` (1 = same person) and a {@link Direction} saying which way the values point.
 *
 * A pair is *accepted* (predicted "same person") at threshold `t` when its value lies on the close side of
 * `t` or on it: `value <= t` for a distance (`higherIsCloser: false`), `value >= t` for a score or similarity
 * (`higherIsCloser: true`). A {@link Distance} from `lib/distances` is itself a Direction, so callers pass
 * it along and nothing branches on a metric's name.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import type { IsSame } from '../data/types';

/** Which way values point: false for distances (smaller = more alike), true for scores and similarities. */
export interface Direction {
  readonly higherIsCloser: boolean;
}

/** Values are distances: small means the same person (Euclidean distance, contrastive models). */
export const AS_DISTANCE: Direction = Object.freeze({ higherIsCloser: false });

/** Values are scores: large means the same person (cosine similarity, a sigmoid's probability). */
export const AS_SCORE: Direction = Object.freeze({ higherIsCloser: true });

/**
 * Checks the inputs every metric takes; errors name the bad index and value. `values` must be finite and
 * as long as `isSame`, whose entries must be 0 or 1.
 */
export function checkScored(values: readonly number[], isSame: readonly IsSame[], dir: Direction, what = 'metric'): void {
  if (!dir || typeof dir.higherIsCloser !== 'boolean') {
    throw new TypeError(`${what}: direction must be an object with a boolean higherIsCloser (e.g. AS_DISTANCE, AS_SCORE or a Distance), got ${JSON.stringify(dir)}`);
  }
  if (values.length !== isSame.length) throw new RangeError(`${what}: ${values.length} values but ${isSame.length} labels`);
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i])) throw new RangeError(`${what}: value ${i} is ${values[i]}, expected a finite number`);
    if (isSame[i] !== 0 && isSame[i] !== 1) throw new RangeError(`${what}: label ${i} is ${JSON.stringify(isSame[i])}, expected 0 or 1`);
  }
}

/** Values turned so that larger always means closer (distances negated). */
export function closeness(values: readonly number[], dir: Direction): number[] {
  return dir.higherIsCloser ? values.slice() : values.map((v) => -v);
}

/** Whether `value` is accepted ("same person") at `threshold`. */
export function accepts(value: number, threshold: number, dir: Direction): boolean {
  return dir.higherIsCloser ? value >= threshold : value <= threshold;
}

/** Numbers of same-person (`positives`) and different-person (`negatives`) pairs. */
export function countLabels(isSame: readonly IsSame[]): { positives: number; negatives: number } {
  let positives = 0;
  for (const y of isSame) positives += y;
  return { positives, negatives: isSame.length - positives };
}
