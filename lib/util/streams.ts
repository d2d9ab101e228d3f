/**
 * Every named random stream the project draws from, in one place. A stream is a seed's fork by name
 * (`new Rng(seed).fork(name)`), so its numbers depend only on the seed and the name: renaming one here
 * changes every split, batch order, augmentation, initial weight or interval drawn from it, and old runs
 * would no longer reproduce. Sub-streams (`stream(seed, 'split').fork('people')`) are named where they are drawn.
 *
 * @see lib/util/rng.ts
 */
import { Rng } from './rng';

/** The stream names (the values are the fork names, kept exactly as the runs on disk were drawn with). */
export const STREAMS = Object.freeze({
  /** Person assignment and pair sampling of a split (`siamese data split --seed`, `siamese train --split-seed`). */
  split: 'split',
  /** Each epoch's order of training pairs (`.fork('epoch-<e>')`); also the order of a pair head's training pairs. */
  shuffle: 'shuffle',
  /** Each training batch's augmentation parameters (`.fork('<epoch>.<batch>')`). */
  augment: 'augment',
  /** Each epoch's identity-sampled training pairs or P×K batches (`.fork('epoch-<e>')`; lib/pipeline/identity-sampler.ts). */
  identity: 'identity',
  /** Bootstrap resamples of confidence intervals. */
  bootstrap: 'bootstrap',
  /** Initial weights of each embedding network, and of the Siamese head. */
  workshopCnn: 'workshopCnn',
  /** (the Siamese CNN reference's network, model kind `siameseCnn`: the stream keeps its old name, as runs on disk were drawn with it) */
  seed2Cnn: 'seed2Cnn',
  mobileNetV3Small: 'mobileNetV3Small',
  siamese: 'siamese',
  /** Initial weights of a head trained on frozen embeddings (`trainHead`). */
  init: 'init',
  /** The synthetic face set: identities, folds, pairs and each image. */
  synth: 'synth',
  /** Images sampled for pixel statistics (`siamese data stats`, notebook 01). */
  stats: 'stats',
  /** Fine-tuning face-api's top (`.fork('<task>')`): identities, images and mirror choices of each batch. */
  faceTune: 'faceTune',
  /** UMAP's initialisation and negative sampling. */
  umap: 'umap',
} as const);

export type StreamName = keyof typeof STREAMS;

/** The stream `name` of `seed`: `new Rng(seed).fork(STREAMS[name])`. */
export function stream(seed: number | string, name: StreamName): Rng {
  return new Rng(seed).fork(STREAMS[name]);
}
