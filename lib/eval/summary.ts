/**
 * One row of an evaluation table: the threshold fitted on validation values, and the test metrics at it
 * (accuracy with a bootstrap interval, true/false accept rates) plus the threshold-free ones (AUC, EER,
 * TAR@FAR). Also an accuracy-vs-threshold sweep for plots.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import type { IsSame } from '../data/types';
import type { Rng } from '../util/rng';
import { bootstrapCi, type BootstrapConfig } from './bootstrap';
import { accuracyAt } from './confusion';
import { computeMetrics } from './metrics';
import type { Direction } from './scored';
import { bestThreshold } from './threshold';

/** Values and labels of one set of pairs. */
export interface ScoredSet {
  readonly values: readonly number[];
  readonly isSame: readonly IsSame[];
}

/** Fits the threshold on `val`, reports on `test`; numbers rounded for display only where noted. */
export function summarizeModel(name: string, val: ScoredSet, test: ScoredSet, dir: Direction, rng: Rng,
  bootstrap: Partial<BootstrapConfig> = {}): Record<string, string | number> {
  const fit = bestThreshold(val.values, val.isSame, dir);
  const m = computeMetrics(test.values, test.isSame, { ...dir, threshold: fit.threshold });
  const ci = bootstrapCi(test.values, test.isSame, (v, y) => accuracyAt(v, y, fit.threshold, dir), rng, bootstrap);
  const pct = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? 'n/a' : (100 * x).toFixed(1));
  return {
    model: name, threshold: Number(fit.threshold.toFixed(4)), valAccuracy: pct(fit.accuracy), testAccuracy: pct(m.accuracy),
    ci95: `${pct(ci.lo)}–${pct(ci.hi)}`, auc: Number((m.auc ?? NaN).toFixed(4)), eer: pct(m.eer), tarAtFar1e2: pct(m.tarAtFar1e2),
    tarAtFar1e3: pct(m.tarAtFar1e3), tar: pct(m.tar), far: pct(m.far), testPairs: test.values.length,
  };
}

/** `steps` evenly spaced thresholds spanning the values (inclusive). */
export function thresholdGrid(values: readonly number[], steps = 60): number[] {
  if (values.length === 0) return [];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return Array.from({ length: steps }, (_, i) => lo + ((hi - lo) * i) / Math.max(1, steps - 1));
}

/** Accuracy at each threshold of `grid`. */
export function accuracySweep(set: ScoredSet, dir: Direction, grid: readonly number[]): number[] {
  return grid.map((t) => accuracyAt(set.values, set.isSame, t, dir));
}
