/**
 * The metrics as a named record, chosen with include/exclude (the way pytorch-metric-learning's
 * AccuracyCalculator picks its `calculate_*` functions). Every metric has the same shape,
 * `(values, isSame, context) => number`, where the context gives the values' direction and, for the
 * threshold metrics, a threshold fitted on other data.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import type { IsSame } from '../data/types';
import { accuracyOf, confusionAt, farOf, tarOf, type Confusion } from './confusion';
import { auc, eer, tarAtFar } from './roc';
import type { Direction } from './scored';
import { bestThreshold } from './threshold';

/** What a metric is given besides the values and labels. */
export interface MetricContext extends Direction {
  /** A threshold fitted on other (validation) data, for the metrics that need one. */
  readonly threshold?: number;
}

/** One metric: a pure function on plain arrays and what it means. */
export interface Metric {
  readonly description: string;
  /** True when the metric needs `context.threshold`. */
  readonly needsThreshold: boolean;
  /** True when larger is better (false for error rates). */
  readonly higherIsBetter: boolean;
  readonly compute: (values: readonly number[], isSame: readonly IsSame[], context: MetricContext) => number;
}

function needThreshold(name: string, context: MetricContext): number {
  if (typeof context.threshold !== 'number' || Number.isNaN(context.threshold)) {
    throw new RangeError(`metric ${name} needs a threshold fitted on validation data (context.threshold), got ${JSON.stringify(context.threshold)}`);
  }
  return context.threshold;
}

/** A metric read off the confusion counts at the given (validation-fitted) threshold. */
function atThreshold(name: string, description: string, higherIsBetter: boolean, of: (c: Confusion) => number): Metric {
  return { description, needsThreshold: true, higherIsBetter, compute: (v, y, c) => of(confusionAt(v, y, needThreshold(name, c), c)) };
}

/** Every metric by name. */
export const METRICS = Object.freeze({
  accuracy: atThreshold('accuracy', 'fraction of pairs decided correctly at the given threshold', true, accuracyOf),
  tar: atThreshold('tar', 'true accept rate (same-person pairs accepted) at the given threshold', true, tarOf),
  far: atThreshold('far', 'false accept rate (different-person pairs accepted) at the given threshold', false, farOf),
  auc: {
    description: 'area under the ROC curve (ties count one half)',
    needsThreshold: false, higherIsBetter: true,
    compute: (v, y, c) => auc(v, y, c),
  },
  eer: {
    description: 'equal error rate: where false accepts equal false rejects',
    needsThreshold: false, higherIsBetter: false,
    compute: (v, y, c) => eer(v, y, c).eer,
  },
  tarAtFar1e2: {
    description: 'true accept rate with at most 1% false accepts',
    needsThreshold: false, higherIsBetter: true,
    compute: (v, y, c) => tarAtFar(v, y, 1e-2, c).tar,
  },
  tarAtFar1e3: {
    description: 'true accept rate with at most 0.1% false accepts (needs >= 1000 different-person pairs to mean much)',
    needsThreshold: false, higherIsBetter: true,
    compute: (v, y, c) => tarAtFar(v, y, 1e-3, c).tar,
  },
  oracleAccuracy: {
    description: 'accuracy at the best threshold for these very pairs: an optimistic upper bound, never a test result',
    needsThreshold: false, higherIsBetter: true,
    compute: (v, y, c) => (v.length === 0 ? NaN : bestThreshold(v, y, c).accuracy),
  },
} satisfies Record<string, Metric>);

/** The names of the metrics. */
export type MetricName = keyof typeof METRICS;

/** Every metric name, in display order. */
export const METRIC_NAMES = Object.freeze(Object.keys(METRICS)) as readonly MetricName[];

/** Which metrics to compute. */
export interface MetricSelection {
  /** Only these (default: all, minus the threshold metrics when no threshold is given, minus `oracleAccuracy`). */
  readonly include?: readonly MetricName[];
  /** Never these. */
  readonly exclude?: readonly MetricName[];
}

function checkNames(names: readonly string[] | undefined, what: string): void {
  const bad = (names ?? []).filter((n) => !(METRIC_NAMES as readonly string[]).includes(n));
  if (bad.length) throw new RangeError(`unknown metric(s) in ${what}: ${bad.map((b) => JSON.stringify(b)).join(', ')}; known: ${METRIC_NAMES.join(', ')}`);
}

/** The metric names a selection picks for a context (see {@link MetricSelection}); errors name unknown metrics. */
export function selectMetrics(selection: MetricSelection = {}, context: Partial<MetricContext> = {}): MetricName[] {
  checkNames(selection.include, 'include');
  checkNames(selection.exclude, 'exclude');
  const hasThreshold = typeof context.threshold === 'number' && !Number.isNaN(context.threshold);
  const base = selection.include ?? METRIC_NAMES.filter((n) => n !== 'oracleAccuracy' && (hasThreshold || !METRICS[n].needsThreshold));
  return base.filter((n) => !(selection.exclude ?? []).includes(n));
}

/** Computes the selected metrics into a record `{name: value}` (NaN where a metric is undefined). */
export function computeMetrics(values: readonly number[], isSame: readonly IsSame[], context: MetricContext,
  selection: MetricSelection = {}): Partial<Record<MetricName, number>> {
  const out: Partial<Record<MetricName, number>> = {};
  for (const name of selectMetrics(selection, context)) out[name] = METRICS[name].compute(values, isSame, context);
  return out;
}
