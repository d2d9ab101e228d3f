/**
 * The tuned model `siamese verify` ships (`face-api-tuned`): face-api's ResNet with its top fine-tuned on LFW
 * (face-tune.ts), trained once on as many people as LFW can give while keeping an honest test.
 *
 * The protocol, on LFW's View 1 (the view LFW meant for model selection):
 * - **test**: View 1's 1,000 test pairs (`pairsDevTest`), scored once at the end; none of their people trains or
 *   calibrates;
 * - **calibration**: a share of `pairsDevTrain`'s people (25 % by default), never trained on. Pairs sampled among
 *   them (4,000 by default, half of them same-person, each person drawn alike) stop the training early (the AUC over
 *   every pair of their images) and fit the decision threshold and the uncertain band that `verify` uses. Thousands
 *   of pairs, not View 1's 200 or so of those people's listed pairs, so the threshold is not set by a handful of
 *   borderline pairs;
 * - **training**: every image of every other LFW person (about 4,250 people and 8,800 images).
 *
 * The weights are stored at half precision (recognition-net.ts `saveRecognitionTop`), and everything reported is
 * measured again with the stored weights, so the numbers describe the file `verify` loads.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import * as path from 'node:path';
import type { IsSame, Pair } from '../data/types';
import type { Dataset } from '../data/dataset';
import { makeView1Split, samplePairs, splitRng } from '../data/split';
import { accuracyAt, auc, bestThreshold, fitUncertainBand, type UncertainBand } from '../eval';
import { loadRecognitionTop, saveRecognitionTop, zeroShotTop, type RecognitionNet, type RecognitionTop } from '../faces/recognition-net';
import type { TrunkCache } from '../faces/trunk-cache';
import { describeCached, describeTuned, FACE_TUNE_TIGHT, heldRefs, pairDistances, resolveFaceTune, tuneSplit, type FaceTuneConfig, type FaceTuneResult, type TuneTask } from './face-tune';
import * as tf from '@tensorflow/tfjs';

/** How the product task is drawn. */
export interface ProductTaskOptions {
  /** Share of pairsDevTrain's people kept out of training to calibrate (default 0.25). */
  readonly calibrationShare?: number;
  /** Pairs sampled among the calibration people (default 4,000). */
  readonly calibrationPairs?: number;
  /** Seed of the people's draw and the pairs' (default 1). */
  readonly seed?: number;
}

/** The product's tuning task and whose people are where. */
export interface ProductTask {
  readonly task: TuneTask;
  readonly calibrationPeople: readonly string[];
  readonly testPeople: readonly string[];
}

/**
 * The product's tuning task on `dataset` (LFW, with View 1's pair files): see the module's comment. Throws when the
 * pair files do not resolve, or when the calibration people cannot give that many distinct pairs.
 */
export async function productTask(dataset: Dataset, options: ProductTaskOptions = {}): Promise<ProductTask> {
  const share = options.calibrationShare ?? 0.25;
  const count = options.calibrationPairs ?? 4000;
  if (!Number.isInteger(count) || count < 2) throw new RangeError(`calibrationPairs must be an integer of at least 2, got ${count}`);
  const rng = splitRng(`face-api-tuned/${options.seed ?? 1}`);
  const split = await makeView1Split(dataset, rng, share);
  const calibrationPeople = split.people.val;
  const held = new Set([...calibrationPeople, ...split.people.test]);
  const valPairs = samplePairs(dataset, calibrationPeople, count, rng.fork('calibration'), 0.5, 'calibration pairs');
  return {
    task: { name: 'View 1 (the shipped model)', trainPeople: dataset.people.filter((p) => !held.has(p)), valPairs, testPairs: split.pairs.test, stream: 'face-api-tuned' },
    calibrationPeople, testPeople: split.people.test,
  };
}

/** A model's scores on the product's pairs, its threshold and band fitted on the calibration pairs. */
export interface ProductScore {
  readonly threshold: number;
  readonly band: UncertainBand;
  readonly calibration: { readonly accuracy: number; readonly auc: number };
  readonly test: { readonly accuracy: number; readonly auc: number };
  /** The test pairs' distances (for paired comparisons). */
  readonly testDistances: readonly number[];
  /** The calibration pairs' distances. */
  readonly calibrationDistances: readonly number[];
}

/** What {@link trainProduct} measured, with the weights it stored. */
export interface ProductRun {
  /** The stored weights' manifest. */
  readonly weights: string;
  readonly config: FaceTuneConfig;
  readonly trainPeople: number;
  readonly trainImages: number;
  readonly calibrationPeople: number;
  readonly calibrationPairs: number;
  readonly testPairs: number;
  readonly bestStep: number;
  readonly steps: number;
  readonly seconds: number;
  readonly testIsSame: readonly IsSame[];
  readonly calibrationIsSame: readonly IsSame[];
  /**
   * The uncertain band `verify` uses: the tuned model's, around its threshold for photos (the originals'), fitted on the
   * calibration pairs of every cache together (the originals and the others, e.g. tight crops), so that decisions outside
   * it are wrong at most 1 % of the time on photos of every kind given, not only on LFW's.
   */
  readonly band: UncertainBand;
  /** On each trunk cache (`originals`, and the others by name): zero-shot with the mirror, and the stored tuned model. */
  readonly scores: Readonly<Record<string, { readonly zeroShot: ProductScore; readonly tuned: ProductScore }>>;
  /** tuneSplit's own result (its scores use the weights before they were stored at half precision). */
  readonly tuning: FaceTuneResult;
}

const DIST = { higherIsCloser: false } as const;

/** Scores descriptors (by ref) on the calibration and test pairs. */
function productScore(desc: Map<string, Float32Array>, cal: readonly Pair[], test: readonly Pair[]): ProductScore {
  const y = (pairs: readonly Pair[]) => pairs.map((p) => p.isSame);
  const c = pairDistances(cal, desc);
  const fit = bestThreshold(c, y(cal), DIST);
  const t = pairDistances(test, desc);
  return {
    threshold: fit.threshold, band: fitUncertainBand(c, y(cal), fit.threshold, DIST),
    calibration: { accuracy: fit.accuracy, auc: auc(c, y(cal), DIST) },
    test: { accuracy: accuracyAt(t, y(test), fit.threshold, DIST), auc: auc(t, y(test), DIST) }, testDistances: t, calibrationDistances: c,
  };
}

/**
 * Trains the product model (default config {@link FACE_TUNE_TIGHT}; `others.tight`, a trunk cache of tight crops, is
 * trained on when the config asks), stores its top in `dir` as `<name>-weights_manifest.json` and `<name>.bin`, and
 * scores zero-shot with the mirror and the stored model on the originals and on each of `others`.
 */
export async function trainProduct(net: RecognitionNet, cache: TrunkCache, dataset: Dataset, dir: string, options: {
  readonly others?: Readonly<Record<string, TrunkCache>>;
  readonly config?: Partial<FaceTuneConfig>;
  readonly task?: ProductTaskOptions;
  readonly name?: string;
  readonly log?: (line: string) => void;
} = {}): Promise<ProductRun> {
  const partial = options.config ?? FACE_TUNE_TIGHT;
  const cfg = resolveFaceTune(partial);
  if (!cfg.withZeroShot || !cfg.flip) throw new Error('the shipped model is the tuned top beside face-api\'s, mirror-averaged: its config needs withZeroShot and flip');
  const { task, calibrationPeople } = await productTask(dataset, options.task);
  const others = options.others ?? {};
  let values: readonly Float32Array[] | undefined;
  const tuning = tuneSplit(net, cache, task, partial, { log: options.log, alsoScore: others, augment: others, onWeights: (v) => { values = v; } });
  // a top trained deeper (open) is stored with its trunk blocks, and face-api's side runs the net's own in front of its top
  const zeroTop = zeroShotTop(net, cfg.open ?? 0);
  const weights = saveRecognitionTop(dir, options.name ?? 'face-api-tuned', values!, zeroTop);
  const stored: RecognitionTop = loadRecognitionTop(weights);
  try {
    const refs = heldRefs(task.testPairs, task.valPairs);
    const scores: Record<string, { zeroShot: ProductScore; tuned: ProductScore }> = {};
    for (const [name, c] of [['originals', cache] as const, ...Object.entries(others)]) {
      const zero = describeCached(zeroTop, c, refs, true);
      const byRef = (d: readonly Float32Array[]) => new Map(refs.map((r, i) => [r, d[i]]));
      scores[name] = {
        zeroShot: productScore(byRef(zero), task.valPairs, task.testPairs),
        tuned: productScore(byRef(describeTuned(stored, c, refs, true, zeroTop, zero)), task.valPairs, task.testPairs),
      };
    }
    const calY = task.valPairs.map((p) => p.isSame);
    const tuned = Object.values(scores).map((s) => s.tuned);
    const band = fitUncertainBand(tuned.flatMap((m) => m.calibrationDistances), tuned.flatMap(() => calY), scores.originals.tuned.threshold, DIST);
    return {
      weights: path.resolve(weights), config: cfg, trainPeople: tuning.trainPeople, trainImages: tuning.trainImages, calibrationPeople: calibrationPeople.length,
      calibrationPairs: task.valPairs.length, testPairs: task.testPairs.length, bestStep: tuning.bestStep, steps: tuning.steps, seconds: tuning.seconds,
      testIsSame: task.testPairs.map((p) => p.isSame), calibrationIsSame: calY, band, scores, tuning,
    };
  } finally {
    tf.dispose([...Object.values(stored.conv1), ...Object.values(stored.conv2), stored.fc]);
  }
}
