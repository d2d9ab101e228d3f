/**
 * Named experiments: the project's default and the seeds' setups, as JSON data over the defaults.
 *
 * - `default`: the workshop CNN (64 px) on the built-in data, contrastive loss over every pair of images in each
 *   batch on L2-normalised embeddings, Adam with cosine annealing, the project's augmentation, 10 epochs of 3,000
 *   pairs. What `npm start` trains: about 5 minutes on two idle cores, 89.3 % on held-out people (raw pixels 53.8 %).
 * - `quick`: a small 32 px CNN for 4 epochs of 1,500 pairs, contrastive over every pair in each batch: well under a
 *   minute on two cores; what notebooks 05 and 06 train on the built-in data, so a class never waits long (the
 *   numbers are lower than the default's, the method is the same).
 * - `quick-view1`: the same network trained on View 1's training people (pairsDevTrain), so notebook 06 can test it
 *   on pairsDevTest without leakage.
 * - `seed1-<optimizer>-<schedule>`: seed 1's setup: MobileNetV3-small with its 576→256→256→128→64 head and
 *   dropout, contrastive loss with margin 2 on raw (unnormalised) embeddings, 30 epochs, seed 1's
 *   300 / 75 / 100-pair person-disjoint protocol; Adam or RMSprop, cosine or StepLR.
 * - `seed2-bce` / `seed2-contrastive`: seed 2's CNN on View 1 (its train.txt / test.txt), its augmentation,
 *   batch 50; BCE on concatenated features versus contrastive loss (margin 1).
 * - `view2-mnv3-64` / `view2-mnv3-112` / `view2-seed2-32`: budget versions trained once per View 2 fold
 *   (`siamese eval --lfw`, lib/train/per-fold.ts), sized so ten folds finish on two shared cores: seed 1's
 *   MobileNetV3-small at 64 or 112 px for 2 epochs, and seed 2's CNN (contrastive) at 32 px for 1 epoch; each fold
 *   trains on 8 folds' given pairs (4,800) and validates on the 9th.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import type { ExperimentInput } from './experiment';

const QUICK_NET = { kind: 'workshopCnn', options: { inputSize: 32, filters: [16, 32, 64], kernelSizes: [5, 3, 3], embeddingDim: 128 } } as const;

const seed1 = (optimizer: 'adam' | 'rmsprop', schedule: 'cosine' | 'step'): ExperimentInput => ({
  name: `seed1-${optimizer}-${schedule}`,
  data: { split: { preset: 'seed1' } },
  model: { kind: 'mobileNetV3Small', options: { inputSize: 112, head: 'seed1' } },
  head: 'euclidean',
  normalize: false,
  loss: { name: 'contrastive', margin: 2 },
  optimizer: { name: optimizer, lr: 1e-3 },
  schedule: schedule === 'cosine' ? { name: 'cosine' } : { name: 'step', stepSize: 10, gamma: 0.1 },
  augment: 'default',
  epochs: 30,
  batchSize: 32,
});

const seed2 = (loss: 'bce' | 'contrastive'): ExperimentInput => ({
  name: `seed2-${loss}`,
  data: { protocol: 'view1' },
  model: { kind: 'seed2Cnn' },
  head: loss === 'bce' ? 'bceConcat' : 'euclidean',
  normalize: false,
  loss: loss === 'bce' ? { name: 'bce' } : { name: 'contrastive', margin: 1 },
  optimizer: { name: 'adam', lr: 1e-4 },
  schedule: { name: 'constant' },
  augment: 'seed2',
  epochs: 10,
  batchSize: 50,
});

export const EXPERIMENT_PRESETS: Readonly<Record<string, ExperimentInput>> = Object.freeze({
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
  'seed1-adam-cosine': seed1('adam', 'cosine'),
  'seed1-adam-step': seed1('adam', 'step'),
  'seed1-rmsprop-cosine': seed1('rmsprop', 'cosine'),
  'seed1-rmsprop-step': seed1('rmsprop', 'step'),
  'seed2-bce': seed2('bce'),
  'seed2-contrastive': seed2('contrastive'),
  'view2-mnv3-64': {
    ...seed1('adam', 'cosine'), name: 'view2-mnv3-64', model: { kind: 'mobileNetV3Small', options: { inputSize: 64, head: 'seed1' } },
    data: { protocol: 'view2', fold: 0 }, epochs: 2,
  },
  'view2-mnv3-112': { ...seed1('adam', 'cosine'), name: 'view2-mnv3-112', data: { protocol: 'view2', fold: 0 }, epochs: 2 },
  'view2-seed2-32': { ...seed2('contrastive'), name: 'view2-seed2-32', model: { kind: 'seed2Cnn', options: { inputSize: 32 } }, data: { protocol: 'view2', fold: 0 }, epochs: 1 },
});

/** A preset by name, with an error listing the known ones. */
export function experimentPreset(name: string): ExperimentInput {
  const p = EXPERIMENT_PRESETS[name];
  if (!p) throw new RangeError(`unknown experiment preset ${JSON.stringify(name)}; known: ${Object.keys(EXPERIMENT_PRESETS).join(', ')}`);
  return p;
}
