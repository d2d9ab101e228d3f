/**
 * Confusion counts and accuracy at a given threshold. "Positive" means "same person": a true positive is
 * a same-person pair that was accepted, a false positive (a false accept) a different-person pair that was
 * accepted, a false negative (a false reject) a same-person pair that was rejected.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import type { IsSame } from '../data/types';
import { accepts, checkScored, type Direction } from './scored';

/** Counts of the four outcomes at one threshold. */
export interface Confusion {
  /** Same person, accepted. */
  readonly tp: number;
  /** Different people, accepted (false accepts). */
  readonly fp: number;
  /** Different people, rejected. */
  readonly tn: number;
  /** Same person, rejected (false rejects). */
  readonly fn: number;
}

/** Counts true/false accepts and rejects at `threshold` (see `scored.ts` for the accept rule). */
export function confusionAt(values: readonly number[], isSame: readonly IsSame[], threshold: number, dir: Direction): Confusion {
  checkScored(values, isSame, dir, 'confusionAt');
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) throw new RangeError(`confusionAt: threshold must be a number, got ${threshold}`);
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = 0; i < values.length; i++) {
    const acc = accepts(values[i], threshold, dir);
    if (isSame[i] === 1) acc ? tp++ : fn++;
    else acc ? fp++ : tn++;
  }
  return { tp, fp, tn, fn };
}

/** Fraction of correct decisions, (tp + tn) / n; NaN for no pairs. */
export function accuracyOf(c: Confusion): number {
  const n = c.tp + c.fp + c.tn + c.fn;
  return n === 0 ? NaN : (c.tp + c.tn) / n;
}

/** True accept rate (recall of same-person pairs), tp / (tp + fn); NaN without same-person pairs. */
export function tarOf(c: Confusion): number {
  return c.tp + c.fn === 0 ? NaN : c.tp / (c.tp + c.fn);
}

/** False accept rate, fp / (fp + tn); NaN without different-person pairs. */
export function farOf(c: Confusion): number {
  return c.fp + c.tn === 0 ? NaN : c.fp / (c.fp + c.tn);
}

/** Accuracy at `threshold`; NaN for no pairs. The threshold must come from other data (see `bestThreshold`). */
export function accuracyAt(values: readonly number[], isSame: readonly IsSame[], threshold: number, dir: Direction): number {
  return accuracyOf(confusionAt(values, isSame, threshold, dir));
}
