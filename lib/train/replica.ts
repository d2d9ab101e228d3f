/**
 * The embedding network of an experiment, built again on the data-parallel helper thread
 * (lib/backend/parallel EmbeddingParallel): the same model spec and seed give the same variables in the same
 * order; their values are overwritten from the training thread every step, and the dropout mask counters the
 * trainer hands over decide the helper's masks.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { EmbeddingReplica } from '../backend/parallel';
import { buildEmbedding, type ModelSpec } from '../models/build';
import { restoreMaskSteps } from './state';

/** What the helper needs to build the network: the experiment's model spec and seed. */
export interface TrainReplicaOptions {
  readonly model: ModelSpec;
  readonly seed: number;
}

/**
 * Pretrained weights are not loaded here (the helper's weights come from the training thread every step); the
 * architecture they imply (Keras's padding and input range) is kept.
 */
function withoutPretrained(spec: ModelSpec): ModelSpec {
  if (spec.kind !== 'mobileNetV3Small' || spec.options?.weights !== 'imagenet') return spec;
  return { ...spec, options: { padding: 'keras', inputScaling: 'minusOneToOne', ...spec.options, weights: 'none' } } as ModelSpec;
}

/** The network of `options` as an {@link EmbeddingReplica} (called by the helper thread). */
export function createEmbeddingReplica(options: TrainReplicaOptions): EmbeddingReplica {
  const net = buildEmbedding(withoutPretrained(options.model), options.seed);
  return {
    variables: net.trainableWeights.map((w) => w.read() as tf.Variable),
    embed: (x) => net.apply(x, { training: true }) as tf.Tensor2D,
    setState: (steps) => restoreMaskSteps(net, steps as Record<string, number>),
  };
}

/** This module's path, for `EmbeddingParallel.start({ module })` (the compiled .js or, under tsx, the .ts). */
export const REPLICA_MODULE = __filename;
