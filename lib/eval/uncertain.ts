/**
 * The "uncertain" band around a decision threshold: values within `halfWidth` of the threshold get the
 * answer "uncertain" instead of a guess. The band is fitted on validation data as the narrowest one
 * outside which decisions are wrong at most `maxError` of the time.
 *
 * @see notebooks/07-personal-images.ipynb
 */
import type { IsSame } from '../data/types';
import { accepts, checkScored, type Direction } from './scored';

/** A fitted band and what it does on the data it was fitted on. */
export interface UncertainBand {
  /** Values v with |v − threshold| < halfWidth are uncertain. */
  readonly halfWidth: number;
  /** The error-rate target outside the band. */
  readonly maxError: number;
  /** Fraction of the fitting pairs inside the band. */
  readonly uncertainFraction: number;
  /** Error rate of the decided pairs (outside the band). */
  readonly errorOutside: number;
  /** Error rate of all pairs at the threshold. */
  readonly errorAll: number;
}

/**
 * Fits the narrowest band so that pairs with |v − threshold| >= halfWidth are decided wrongly at most
 * `maxError` of the time (default 1 %). If no pair is wrong, the band is empty (halfWidth 0). Throws for no pairs.
 */
export function fitUncertainBand(values: readonly number[], isSame: readonly IsSame[], threshold: number, dir: Direction, maxError = 0.01): UncertainBand {
  checkScored(values, isSame, dir, 'fitUncertainBand');
  if (values.length === 0) throw new RangeError('fitUncertainBand: no pairs');
  if (!(maxError >= 0 && maxError < 1)) throw new RangeError(`fitUncertainBand: maxError must be in [0, 1), got ${maxError}`);
  const n = values.length;
  const items = values.map((v, i) => ({ gap: Math.abs(v - threshold), wrong: accepts(v, threshold, dir) !== (isSame[i] === 1) }))
    .sort((a, b) => a.gap - b.gap);
  let wrongOutside = items.reduce((s, it) => s + (it.wrong ? 1 : 0), 0);
  const errorAll = wrongOutside / n;
  for (let k = 0; k < n; k++) {
    // outside = items k..n-1 (gap >= items[k].gap); only a boundary between distinct gaps is a valid cut
    if ((k === 0 || items[k].gap > items[k - 1].gap) && wrongOutside / (n - k) <= maxError) {
      return { halfWidth: items[k].gap, maxError, uncertainFraction: k / n, errorOutside: wrongOutside / (n - k), errorAll };
    }
    if (items[k].wrong) wrongOutside--;
  }
  const widest = items[n - 1].gap;
  return { halfWidth: widest + Math.max(widest, 1e-9), maxError, uncertainFraction: 1, errorOutside: NaN, errorAll };
}
