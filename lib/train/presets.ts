/**
 * Named experiments: the project's default and the setups of the MobileNetV3 notebook and the Siamese CNN
 * reference (the two documents the project started from; see README, "Where the names come from"), as JSON data over the defaults.
 *
 * - `default`: the workshop CNN (64 px) on the built-in data, contrastive loss over every pair of images in each
 *   batch on L2-normalised embeddings, Adam with cosine annealing, the project's augmentation, 10 epochs of 3,000
 *   pairs. What `npm start` trains: about 3.3 minutes on two cores and two threads, 82.0 % on held-out people of the synthetic set (raw pixels 53.3 %).
 * - `quick`: a small 32 px CNN for 4 epochs of 1,500 pairs, contrastive over every pair in each batch: well under a
 *   minute on two cores; what notebooks 05 and 06 train on the built-in data, so a class never waits long (the
 *   numbers are lower than the default's, the method is the same).
 * - `quick-view1`: the same network trained on View 1's training people (pairsDevTrain), so notebook 06 can test it
 *   on pairsDevTest without leakage.
 * - `mnv3-<optimizer>-<schedule>`: the MobileNetV3 notebook's setup: MobileNetV3-small with its
 *   576→256→256→128→64 head and dropout (head `mnv3-notebook`), contrastive loss with margin 2 on raw
 *   (unnormalised) embeddings, 30 epochs, the notebook's 300 / 75 / 100-pair person-disjoint protocol (split
 *   preset `mnv3-notebook`); Adam or RMSprop, cosine or StepLR.
 * - `siamese-cnn-bce` / `siamese-cnn-contrastive`: the Siamese CNN reference's network (model kind `siameseCnn`)
 *   on View 1 (its train.txt / test.txt), its augmentation (`siamese-cnn`), batch 50; BCE on concatenated
 *   features versus contrastive loss (margin 1).
 * - `view2-mnv3-64` / `view2-mnv3-112` / `view2-siamese-cnn-32`: budget versions trained once per View 2 fold
 *   (`siamese eval --lfw`, lib/train/per-fold.ts), sized so ten folds finish on two shared cores: the MobileNetV3
 *   notebook's MobileNetV3-small at 64 or 112 px for 2 epochs, and the Siamese CNN reference's network
 *   (contrastive) at 32 px for 1 epoch; each fold trains on 8 folds' given pairs (4,800) and validates on the 9th.
 * - `lfw-scratch`: the workshop CNN trained from scratch on real LFW (`LFW_DIR`) at 96 px with what View 1 gives: every
 *   image of the DevTrain people (not only the 2,200 given pairs) in P×K batches (14 people × 4 images, plus 8 more
 *   people with one image each as negatives, so LFW's single-image people serve too; drawn fresh each epoch by identity
 *   sampling), batch-hard triplet loss (margin 0.2) on L2-normalised embeddings, the project's
 *   augmentation, Adam 1e-3 with a 2-epoch warm-up and cosine decay over 30 epochs of 80 steps (2,400 steps), validated
 *   and tested (on pairsDevTest) with flip test-time augmentation (each embedding the mean of the image's and its
 *   mirror's; the result also gives the test without it). Its expected time on two cores is {@link presetBudget}'s line, from a measured step time.
 *
 *
 * The old names (`seed1-adam-cosine` ... `seed2-bce`, `seed2-contrastive`, `view2-seed2-32`) still work, as
 * aliases of the new ones: {@link EXPERIMENT_PRESET_ALIASES}.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import { canonicalName, withAliases } from '../util/aliases';
import { resolveExperiment, type ExperimentConfig, type ExperimentInput } from './experiment';

const QUICK_NET = { kind: 'workshopCnn', options: { inputSize: 32, filters: [16, 32, 64], kernelSizes: [5, 3, 3], embeddingDim: 128 } } as const;

/** The MobileNetV3 notebook's setup with `optimizer` and `schedule`. */
const mnv3 = (optimizer: 'adam' | 'rmsprop', schedule: 'cosine' | 'step'): ExperimentInput => ({
  name: `mnv3-${optimizer}-${schedule}`,
  data: { split: { preset: 'mnv3-notebook' } },
  model: { kind: 'mobileNetV3Small', options: { inputSize: 112, head: 'mnv3-notebook' } },
  head: 'euclidean',
  normalize: false,
  loss: { name: 'contrastive', margin: 2 },
  optimizer: { name: optimizer, lr: 1e-3 },
  schedule: schedule === 'cosine' ? { name: 'cosine' } : { name: 'step', stepSize: 10, gamma: 0.1 },
  augment: 'default',
  epochs: 30,
  batchSize: 32,
});

/** The Siamese CNN reference's setup with `loss`. */
const siameseCnn = (loss: 'bce' | 'contrastive'): ExperimentInput => ({
  name: `siamese-cnn-${loss}`,
  data: { protocol: 'view1' },
  model: { kind: 'siameseCnn' },
  head: loss === 'bce' ? 'bceConcat' : 'euclidean',
  normalize: false,
  loss: loss === 'bce' ? { name: 'bce' } : { name: 'contrastive', margin: 1 },
  optimizer: { name: 'adam', lr: 1e-4 },
  schedule: { name: 'constant' },
  augment: 'siamese-cnn',
  epochs: 10,
  batchSize: 50,
});

/** Old preset names → new ones: `--preset`, notebooks and scripts may give either (the old ones are not listed). */
export const EXPERIMENT_PRESET_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  'seed1-adam-cosine': 'mnv3-adam-cosine',
  'seed1-adam-step': 'mnv3-adam-step',
  'seed1-rmsprop-cosine': 'mnv3-rmsprop-cosine',
  'seed1-rmsprop-step': 'mnv3-rmsprop-step',
  'seed2-bce': 'siamese-cnn-bce',
  'seed2-contrastive': 'siamese-cnn-contrastive',
  'view2-seed2-32': 'view2-siamese-cnn-32',
});

/** The current name of preset `name` (an old name becomes its new one; others are unchanged). */
export function canonicalPresetName(name: string): string {
  return canonicalName(name, EXPERIMENT_PRESET_ALIASES);
}

/** The presets by name; an old name (`EXPERIMENT_PRESETS['seed2-bce']`) finds its new entry but is not listed. */
export const EXPERIMENT_PRESETS: Readonly<Record<string, ExperimentInput>> = withAliases({
  default: { name: 'default' },
  quick: {
    name: 'quick',
    model: QUICK_NET,
    loss: { name: 'contrastive', margin: 1, pairs: 'batch' },
    epochs: 4,
    batchSize: 32,
    data: { split: { numPairs: { train: 1500, val: 200, test: 200 } } },
  },
  'quick-view1': {
    name: 'quick-view1',
    model: QUICK_NET,
    loss: { name: 'contrastive', margin: 1, pairs: 'batch' },
    epochs: 8,
    batchSize: 32,
    data: { protocol: 'view1' },
  },
  'mnv3-adam-cosine': mnv3('adam', 'cosine'),
  'mnv3-adam-step': mnv3('adam', 'step'),
  'mnv3-rmsprop-cosine': mnv3('rmsprop', 'cosine'),
  'mnv3-rmsprop-step': mnv3('rmsprop', 'step'),
  'siamese-cnn-bce': siameseCnn('bce'),
  'siamese-cnn-contrastive': siameseCnn('contrastive'),
  'view2-mnv3-64': {
    ...mnv3('adam', 'cosine'), name: 'view2-mnv3-64', model: { kind: 'mobileNetV3Small', options: { inputSize: 64, head: 'mnv3-notebook' } },
    data: { protocol: 'view2', fold: 0 }, epochs: 2,
  },
  'view2-mnv3-112': { ...mnv3('adam', 'cosine'), name: 'view2-mnv3-112', data: { protocol: 'view2', fold: 0 }, epochs: 2 },
  'view2-siamese-cnn-32': {
    ...siameseCnn('contrastive'), name: 'view2-siamese-cnn-32', model: { kind: 'siameseCnn', options: { inputSize: 32 } }, data: { protocol: 'view2', fold: 0 }, epochs: 1,
  },
  'lfw-scratch': {
    name: 'lfw-scratch',
    data: { protocol: 'view1' },
    model: { kind: 'workshopCnn', options: { inputSize: 96, filters: [16, 32, 64, 128], kernelSizes: [5, 5, 3, 3], embeddingDim: 128 } },
    head: 'euclidean',
    normalize: true,
    loss: { name: 'triplet', margin: 0.2, mining: 'batchHard' },
    sampling: { name: 'identityPK', perPerson: 4, negatives: 8, batchesPerEpoch: 80 },
    optimizer: { name: 'adam', lr: 1e-3 },
    schedule: { name: 'cosine', warmupEpochs: 2, etaMin: 1e-5 },
    augment: 'default',
    epochs: 30,
    batchSize: 32,
    flipTest: true,
  },
}, EXPERIMENT_PRESET_ALIASES);

/** A preset's measured training speed: what its printed budget is estimated from. */
export interface PresetSpeed {
  /** Wall seconds per training step on two cores (the preset's default two threads, the input pipeline included). */
  readonly secondsPerStep: number;
  /** How, where and when it was measured. */
  readonly measured: string;
}

/** Measured step times of the presets meant for long runs (`siamese train --preset <name>` prints the budget). */
export const PRESET_SPEEDS: Readonly<Record<string, PresetSpeed>> = Object.freeze({
  'lfw-scratch': {
    secondsPerStep: 0.6,
    measured: 'wall time of a whole 30-epoch run on two threads (run 5f57708917: 1,446 s for 2,400 steps of P×K batches of 64 images at 96 px with ' +
      'augmentation, wasm backend), on 2 cores shared with other jobs (load 1-7); 0.52-0.56 s/step when the machine was otherwise quiet, 2026-12-03',
  },
});

/** Training steps of a config when they do not depend on the data (identity sampling with a fixed epoch length), else null. */
export function trainingSteps(config: ExperimentConfig): number | null {
  const s = config.sampling;
  if (s?.name === 'identityPK' && s.batchesPerEpoch !== undefined) return config.epochs * s.batchesPerEpoch;
  if (s?.name === 'identityPairs' && s.pairsPerEpoch !== undefined) return config.epochs * Math.floor(s.pairsPerEpoch / config.batchSize);
  return null;
}

/**
 * The expected training time of preset `name` on two cores, as a line to print, for `config` (the preset as
 * adjusted; default: the preset itself): its step count × the preset's measured seconds per step, plus the
 * validation after every epoch and the final test (estimated at 10 %). Null for presets without a measured speed.
 */
export function presetBudget(name: string, config: ExperimentConfig = resolveExperiment(experimentPreset(name)).config): string | null {
  const speed = PRESET_SPEEDS[canonicalPresetName(name)];
  const steps = trainingSteps(config);
  if (!speed || steps === null) return null;
  const minutes = (steps * speed.secondsPerStep) / 60;
  return `budget: ${config.epochs} epochs × ${steps / config.epochs} steps = ${steps} steps × ${speed.secondsPerStep} s/step ≈ ${Math.round(minutes)} min ` +
    `of training on 2 cores, about ${Math.ceil((minutes * 1.1) / 5) * 5} min with validation and the test (step time measured: ${speed.measured})`;
}

/** A preset by name (an old name gives its new preset, silently), with an error listing the known ones. */
export function experimentPreset(name: string): ExperimentInput {
  const p = Object.prototype.hasOwnProperty.call(EXPERIMENT_PRESETS, name) ? EXPERIMENT_PRESETS[name] : undefined;
  if (!p) throw new RangeError(`unknown experiment preset ${JSON.stringify(name)}; known: ${Object.keys(EXPERIMENT_PRESETS).join(', ')}`);
  return p;
}
