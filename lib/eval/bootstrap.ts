/**
 * Percentile bootstrap confidence intervals for metrics on small test sets (the MobileNetV3 notebook's test has 100 pairs:
 * one pair more or less right moves accuracy by a whole point). Pairs are resampled with replacement,
 * `resamples` times, from a seeded {@link Rng}; the interval is the (1 − level)/2 and (1 + level)/2
 * quantiles (linear interpolation) of the metric over the resamples. Resamples where the metric is
 * undefined (NaN, e.g. an AUC of a resample with only one class) are left out and counted.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import type { IsSame } from '../data/types';
import type { Rng } from '../util/rng';

/** How to bootstrap. JSON-serialisable. */
export interface BootstrapConfig {
  /** Number of resamples (default 1000). */
  readonly resamples: number;
  /** Confidence level in (0, 1) (default 0.95). */
  readonly level: number;
}

export const DEFAULT_BOOTSTRAP: Readonly<BootstrapConfig> = Object.freeze({ resamples: 1000, level: 0.95 });

/** Checks a bootstrap config, filling defaults; errors name the bad value. */
export function resolveBootstrap(partial: Partial<BootstrapConfig> = {}): BootstrapConfig {
  const resamples = partial.resamples ?? DEFAULT_BOOTSTRAP.resamples;
  const level = partial.level ?? DEFAULT_BOOTSTRAP.level;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`bootstrap resamples must be a positive integer, got ${JSON.stringify(resamples)}`);
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new RangeError(`bootstrap level must be in (0, 1), got ${JSON.stringify(level)}`);
  return { resamples, level };
}

/** A point estimate and its bootstrap interval. */
export interface ConfidenceInterval {
  /** The metric on the full data. */
  readonly estimate: number;
  readonly lo: number;
  readonly hi: number;
  readonly level: number;
  /** Resamples used (finite metric). */
  readonly resamples: number;
  /** Resamples left out because the metric was NaN on them. */
  readonly dropped: number;
}

/** The `q` quantile (0..1) of sorted numbers, interpolating linearly between order statistics; NaN if empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Bootstraps `metric(values, isSame)` over pairs. Draw order: for each resample, `n` indices from
 * `rng.int(n)`, so a copy of the same rng reproduces the interval exactly. Throws for no pairs.
 */
export function bootstrapCi(values: readonly number[], isSame: readonly IsSame[],
  metric: (values: readonly number[], isSame: readonly IsSame[]) => number, rng: Rng,
  config: Partial<BootstrapConfig> = {}): ConfidenceInterval {
  const { resamples, level } = resolveBootstrap(config);
  const n = values.length;
  if (n !== isSame.length) throw new RangeError(`bootstrapCi: ${n} values but ${isSame.length} labels`);
  if (n === 0) throw new RangeError('bootstrapCi: no pairs to resample');
  const estimate = metric(values, isSame);
  const stats: number[] = [];
  const v = new Array<number>(n);
  const y = new Array<IsSame>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      v[i] = values[j];
      y[i] = isSame[j];
    }
    const s = metric(v, y);
    if (!Number.isNaN(s)) stats.push(s);
  }
  stats.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return { estimate, lo: quantile(stats, alpha), hi: quantile(stats, 1 - alpha), level, resamples: stats.length, dropped: resamples - stats.length };
}
