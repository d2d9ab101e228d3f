/**
 * The ROC curve and what is read off it: the area under it (AUC), the equal error rate (EER) and the true
 * accept rate at a fixed false accept rate (TAR@FAR).
 *
 * The curve has one point per distinct value, walking from the strictest threshold (accept nothing,
 * point (0, 0), threshold ±Infinity) to the loosest (accept everything, (1, 1)). Pairs with equal values are
 * accepted together, so ties give a diagonal step; the AUC is the trapezoid area, which equals the
 * Mann-Whitney probability that a random same-person pair is closer than a random different-person pair,
 * counting ties as one half. Undefined cases (no same-person or no different-person pairs) give NaN.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import type { IsSame } from '../data/types';
import { checkScored, closeness, countLabels, type Direction } from './scored';
import { groupByValue } from './threshold';

/** A ROC curve: `fpr[i]`, `tpr[i]` are the rates when accepting every value on the close side of `thresholds[i]` or on it. */
export interface Roc {
  /** False accept rates, non-decreasing from 0 to 1. */
  readonly fpr: readonly number[];
  /** True accept rates, non-decreasing from 0 to 1. */
  readonly tpr: readonly number[];
  /** In the values' units; the first is +Infinity for scores, −Infinity for distances (accept nothing). */
  readonly thresholds: readonly number[];
  readonly positives: number;
  readonly negatives: number;
}

/** The ROC curve (see the module comment). With no positives (or negatives), `tpr` (or `fpr`) is all NaN. */
export function roc(values: readonly number[], isSame: readonly IsSame[], dir: Direction): Roc {
  checkScored(values, isSame, dir, 'roc');
  const { positives, negatives } = countLabels(isSame);
  const groups = groupByValue(closeness(values, dir), isSame).reverse();
  const back = (c: number): number => (dir.higherIsCloser ? c : 0 - c);
  const fpr = [0 / negatives];
  const tpr = [0 / positives];
  const thresholds = [back(Infinity)];
  let tp = 0;
  let fp = 0;
  for (const g of groups) {
    tp += g.pos;
    fp += g.neg;
    fpr.push(fp / negatives);
    tpr.push(tp / positives);
    thresholds.push(back(g.c));
  }
  return { fpr, tpr, thresholds, positives, negatives };
}

/** Area under the ROC curve; NaN unless there are both same-person and different-person pairs. */
export function auc(values: readonly number[], isSame: readonly IsSame[], dir: Direction): number {
  const r = roc(values, isSame, dir);
  if (r.positives === 0 || r.negatives === 0) return NaN;
  let area = 0;
  for (let i = 1; i < r.fpr.length; i++) area += (r.fpr[i] - r.fpr[i - 1]) * (r.tpr[i] + r.tpr[i - 1]) / 2;
  return area;
}

/** The equal error rate and the threshold where it happens. */
export interface EerResult {
  /** The rate where false accepts equal false rejects (linearly interpolated between ROC points). */
  readonly eer: number;
  /** The threshold there (interpolated the same way; the first finite point's if the crossing starts at ±Infinity). */
  readonly threshold: number;
}

/**
 * The equal error rate: walking the ROC from the strict end, the first place where FAR − FRR (FRR = 1 − TAR)
 * reaches 0, interpolated linearly between the two ROC points around it. NaN without both classes.
 */
export function eer(values: readonly number[], isSame: readonly IsSame[], dir: Direction): EerResult {
  const r = roc(values, isSame, dir);
  if (r.positives === 0 || r.negatives === 0) return { eer: NaN, threshold: NaN };
  const d = r.fpr.map((f, i) => f - (1 - r.tpr[i]));
  const k = d.findIndex((x) => x >= 0);
  if (d[k] === 0) return { eer: r.fpr[k], threshold: r.thresholds[k] };
  const t = -d[k - 1] / (d[k] - d[k - 1]);
  const rate = r.fpr[k - 1] + t * (r.fpr[k] - r.fpr[k - 1]);
  const t0 = r.thresholds[k - 1];
  const threshold = Number.isFinite(t0) ? t0 + t * (r.thresholds[k] - t0) : r.thresholds[k];
  return { eer: rate, threshold };
}

/** The true accept rate reachable while the false accept rate stays at or below a target. */
export interface TarAtFarResult {
  /** The best TAR among ROC points with FAR <= the target (NaN without both classes). */
  readonly tar: number;
  /** The FAR actually reached there. */
  readonly far: number;
  readonly threshold: number;
  /**
   * True when there are fewer than 1 / target different-person pairs, so no false accept at all is allowed
   * and the number says little about the target rate (e.g. FAR 1e-3 needs at least 1000 such pairs).
   */
  readonly limitedByNegatives: boolean;
}

/** TAR at FAR <= `targetFar` (e.g. 1e-2, 1e-3), read off the ROC points (no interpolation). */
export function tarAtFar(values: readonly number[], isSame: readonly IsSame[], targetFar: number, dir: Direction): TarAtFarResult {
  if (typeof targetFar !== 'number' || !(targetFar >= 0 && targetFar <= 1)) throw new RangeError(`tarAtFar: target FAR must be in [0, 1], got ${targetFar}`);
  const r = roc(values, isSame, dir);
  const limitedByNegatives = r.negatives * targetFar < 1;
  if (r.positives === 0 || r.negatives === 0) return { tar: NaN, far: NaN, threshold: NaN, limitedByNegatives };
  let k = 0;
  for (let i = 0; i < r.fpr.length; i++) {
    // fp / negatives <= target, compared on counts to avoid rounding at the boundary
    if (Math.round(r.fpr[i] * r.negatives) <= targetFar * r.negatives + 1e-9) k = i;
  }
  return { tar: r.tpr[k], far: r.fpr[k], threshold: r.thresholds[k], limitedByNegatives };
}
