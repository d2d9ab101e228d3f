/**
 * LFW View 2: 10-fold cross-validation over `pairs.txt`. For each fold k, everything that is fitted (the
 * decision threshold at least; a head, through a callback) is fitted on the other folds only and applied
 * to fold k; the result is the mean accuracy over the folds and its standard error
 * σ / √k, σ the sample standard deviation of the fold accuracies (LFW's reporting rule).
 *
 * Fixed decisions (the Siamese CNN reference's: a sigmoid at 0.5, a distance below the contrastive margin) are compared with the
 * calibrated threshold on the same folds by {@link fixedVsCalibrated}. {@link foldLeakage} checks that no
 * person or image of a test fold is in that fold's training data (the other folds plus anything else a
 * model was trained on, e.g. View 1, whose people overlap View 2's).
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import type { ImageRef, IsSame, PairList } from '../data/types';
import { accuracyOf, confusionAt, type Confusion } from './confusion';
import { checkScored, type Direction } from './scored';
import { bestThreshold } from './threshold';

/** One fold's outcome. */
export interface FoldResult {
  /** The test fold (0-based). */
  readonly fold: number;
  /** Fitted on the other folds, in the values' units. */
  readonly threshold: number;
  /** Accuracy on the training folds at that threshold (optimistic). */
  readonly trainAccuracy: number;
  /** Accuracy on the test fold: the number that is reported. */
  readonly accuracy: number;
  readonly confusion: Confusion;
  readonly nTrain: number;
  readonly nTest: number;
}

/** Mean and spread of per-fold accuracies. */
export interface FoldSummary {
  readonly mean: number;
  /** Sample standard deviation over folds (n − 1). */
  readonly std: number;
  /** std / √(number of folds). */
  readonly stdError: number;
}

/** A cross-validation: every fold and the summary. */
export interface CrossValidation extends FoldSummary {
  readonly folds: readonly FoldResult[];
}

/** Mean, sample standard deviation and standard error of per-fold numbers; NaN spread for one fold. */
export function summarizeFolds(accuracies: readonly number[]): FoldSummary {
  const k = accuracies.length;
  if (k === 0) throw new RangeError('summarizeFolds: no folds');
  const mean = accuracies.reduce((s, a) => s + a, 0) / k;
  const std = k > 1 ? Math.sqrt(accuracies.reduce((s, a) => s + (a - mean) ** 2, 0) / (k - 1)) : NaN;
  return { mean, std, stdError: std / Math.sqrt(k) };
}

/** The distinct fold numbers, sorted; errors name a bad fold entry. */
export function foldIds(folds: readonly number[], n: number): number[] {
  if (folds.length !== n) throw new RangeError(`${n} pairs but ${folds.length} fold numbers`);
  folds.forEach((f, i) => {
    if (!Number.isInteger(f) || f < 0) throw new RangeError(`fold of pair ${i} is ${JSON.stringify(f)}, expected an integer >= 0`);
  });
  const ids = [...new Set(folds)].sort((a, b) => a - b);
  if (ids.length < 2) throw new RangeError(`cross-validation needs at least 2 folds, got ${ids.length}`);
  return ids;
}

function pick<T>(xs: readonly T[], idx: readonly number[]): T[] {
  return idx.map((i) => xs[i]);
}

/**
 * Cross-validates fixed per-pair values: for each fold, the threshold that maximises accuracy on the
 * other folds is applied to that fold.
 */
export function crossValidate(values: readonly number[], isSame: readonly IsSame[], folds: readonly number[], dir: Direction): CrossValidation {
  checkScored(values, isSame, dir, 'crossValidate');
  const results = foldIds(folds, values.length).map((k) => {
    const train = folds.flatMap((f, i) => (f === k ? [] : [i]));
    const test = folds.flatMap((f, i) => (f === k ? [i] : []));
    return fitAndTest(k, pick(values, train), pick(isSame, train), pick(values, test), pick(isSame, test), dir);
  });
  return { folds: results, ...summarizeFolds(results.map((r) => r.accuracy)) };
}

function fitAndTest(fold: number, trainValues: readonly number[], trainY: readonly IsSame[],
  testValues: readonly number[], testY: readonly IsSame[], dir: Direction): FoldResult {
  const fit = bestThreshold(trainValues, trainY, dir);
  const confusion = confusionAt(testValues, testY, fit.threshold, dir);
  return { fold, threshold: fit.threshold, trainAccuracy: fit.accuracy, accuracy: accuracyOf(confusion), confusion, nTrain: trainValues.length, nTest: testValues.length };
}

/** What a fold's fitting callback is given: the indices of the training and test pairs. */
export interface FoldTask {
  readonly fold: number;
  readonly train: readonly number[];
  readonly test: readonly number[];
}

/** What a fold's fitting callback returns: values for its training and its test pairs, in task order. */
export interface FoldValues extends Direction {
  /** Values of the task's `train` pairs, or of the `calibrateOn` pairs when given. */
  readonly train: readonly number[];
  readonly test: readonly number[];
  /**
   * Pair indices (a subset of the task's `train`) the threshold is fitted on, when that should not be all of
   * them: a network scores its own training pairs too well, so it is calibrated on training-fold pairs it
   * did not train on (a validation fold). `train` then holds these pairs' values, in this order.
   */
  readonly calibrateOn?: readonly number[];
}

/**
 * Cross-validation with something fitted per fold (a head on frozen embeddings, a whole network): for each
 * fold, `fitFold` trains on the `train` pairs only and returns values for the train and test pairs; the
 * threshold is then fitted on the train values (or on the `calibrateOn` subset) and applied to the test
 * values. Folds run one at a time; `only` tests just those folds (e.g. the ones trained so far), and the
 * summary is then over them.
 */
export async function crossValidateWith(isSame: readonly IsSame[], folds: readonly number[],
  fitFold: (task: FoldTask) => Promise<FoldValues> | FoldValues, options: { readonly only?: readonly number[] } = {}): Promise<CrossValidation> {
  const results: FoldResult[] = [];
  const ids = foldIds(folds, isSame.length);
  const unknown = options.only?.find((k) => !ids.includes(k));
  if (unknown !== undefined) throw new RangeError(`crossValidateWith: fold ${unknown} is not one of ${ids.join(', ')}`);
  for (const k of ids.filter((f) => !options.only || options.only.includes(f))) {
    const train = folds.flatMap((f, i) => (f === k ? [] : [i]));
    const test = folds.flatMap((f, i) => (f === k ? [i] : []));
    const out = await fitFold({ fold: k, train, test });
    const calibrate = out.calibrateOn ?? train;
    if (out.calibrateOn) {
      const inTrain = new Set(train);
      const outside = out.calibrateOn.find((i) => !inTrain.has(i));
      if (outside !== undefined) throw new RangeError(`fold ${k}: calibrateOn lists pair ${outside}, which is not a training pair of this fold`);
    }
    if (out.train.length !== calibrate.length || out.test.length !== test.length) {
      throw new RangeError(`fold ${k}: fitFold returned ${out.train.length} train and ${out.test.length} test values for ${calibrate.length} and ${test.length} pairs`);
    }
    results.push(fitAndTest(k, out.train, pick(isSame, calibrate), out.test, pick(isSame, test), out));
  }
  return { folds: results, ...summarizeFolds(results.map((r) => r.accuracy)) };
}

/** A fixed decision rule and the calibrated threshold, fold by fold on the same folds. */
export interface FixedVsCalibrated {
  /** The fixed threshold (e.g. 0.5 for a sigmoid, the margin for a contrastive distance). */
  readonly fixedThreshold: number;
  /** Per-fold test accuracy at the fixed threshold, and its summary. */
  readonly fixed: FoldSummary & { readonly accuracies: readonly number[] };
  readonly calibrated: CrossValidation;
}

/** Compares a fixed threshold with the one fitted on the other folds (see the module comment). */
export function fixedVsCalibrated(values: readonly number[], isSame: readonly IsSame[], folds: readonly number[],
  dir: Direction, fixedThreshold: number): FixedVsCalibrated {
  if (typeof fixedThreshold !== 'number' || !Number.isFinite(fixedThreshold)) throw new RangeError(`fixedVsCalibrated: fixed threshold must be a finite number, got ${fixedThreshold}`);
  const calibrated = crossValidate(values, isSame, folds, dir);
  const accuracies = calibrated.folds.map((r) => {
    const idx = folds.flatMap((f, i) => (f === r.fold ? [i] : []));
    return accuracyOf(confusionAt(pick(values, idx), pick(isSame, idx), fixedThreshold, dir));
  });
  return { fixedThreshold, fixed: { accuracies, ...summarizeFolds(accuracies) }, calibrated };
}

/** Data a model saw while training besides the other folds' pairs (e.g. View 1, a training split). */
export interface TrainingData {
  readonly name: string;
  readonly people?: Iterable<string>;
  readonly images?: Iterable<ImageRef>;
}

/** What one test fold shares with its training data. */
export interface FoldLeak {
  readonly fold: number;
  /** People of the test fold found in its training data, sorted. */
  readonly people: readonly string[];
  /** Images (`Person/file`) of the test fold found in its training data, sorted. */
  readonly images: readonly string[];
}

const key = (r: ImageRef): string => `${r.person}/${r.file}`;

/**
 * For each fold of `list`, the people and images it shares with its training data: the other folds'
 * pairs, plus `extra` (anything else the model was trained on). Folds with no overlap are included with
 * empty lists, so `leaks.every(l => !l.people.length && !l.images.length)` means "clean".
 */
export function foldLeakage(list: PairList, extra: readonly TrainingData[] = []): FoldLeak[] {
  const ids = foldIds(list.folds, list.pairs.length);
  const extraPeople = new Set<string>();
  const extraImages = new Set<string>();
  for (const t of extra) {
    for (const p of t.people ?? []) extraPeople.add(p);
    for (const r of t.images ?? []) {
      extraImages.add(key(r));
      extraPeople.add(r.person);
    }
  }
  const peopleOf = ids.map(() => new Set<string>());
  const imagesOf = ids.map(() => new Set<string>());
  list.pairs.forEach((p, i) => {
    const k = ids.indexOf(list.folds[i]);
    for (const r of [p.a, p.b]) {
      peopleOf[k].add(r.person);
      imagesOf[k].add(key(r));
    }
  });
  return ids.map((fold, k) => {
    const people = [...peopleOf[k]].filter((p) => extraPeople.has(p) || peopleOf.some((s, j) => j !== k && s.has(p))).sort();
    const images = [...imagesOf[k]].filter((m) => extraImages.has(m) || imagesOf.some((s, j) => j !== k && s.has(m))).sort();
    return { fold, people, images };
  });
}

/** Throws, listing the first few shared people and images per fold, unless {@link foldLeakage} is clean. */
export function assertNoFoldLeakage(list: PairList, extra: readonly TrainingData[] = []): FoldLeak[] {
  const leaks = foldLeakage(list, extra);
  const bad = leaks.filter((l) => l.people.length || l.images.length);
  if (bad.length) {
    const extraNames = extra.map((t) => t.name).join(', ');
    throw new Error(`${list.name}: ${bad.length} test fold(s) share data with their training data (other folds${extraNames ? ` + ${extraNames}` : ''}):\n` +
      bad.map((l) => `  fold ${l.fold + 1}: ${l.people.length} people (${l.people.slice(0, 5).join(', ')}${l.people.length > 5 ? ', ...' : ''}), ${l.images.length} images`).join('\n'));
  }
  return leaks;
}
