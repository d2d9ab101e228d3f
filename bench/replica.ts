/**
 * The benchmark's model as an embedding replica (lib/backend/parallel EmbeddingParallel, what the trainer's
 * `workers: 2` uses): one case of bench/train.ts.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { EmbeddingReplica } from '../lib/backend/parallel';
import { mobileNetV3Small, seed2Cnn, workshopCnn } from '../lib/models';

export interface BenchReplicaOptions {
  readonly model: 'mnv3' | 'seed2' | 'workshop';
  readonly size: number;
}

/** The bench's network for a case (seed 1), as bench/train.ts builds it. */
export function buildBenchModel(o: BenchReplicaOptions): tf.LayersModel {
  if (o.model === 'mnv3') return mobileNetV3Small({ inputSize: o.size, head: 'simple', seed: 1 });
  if (o.model === 'workshop') return workshopCnn({ inputSize: o.size, seed: 1 });
  return seed2Cnn({ inputSize: o.size, seed: 1 });
}

/** The case's network as an embedding replica (lib/backend/parallel EmbeddingParallel), what the trainer's `workers: 2` runs. */
export function createEmbeddingReplica(o: BenchReplicaOptions): EmbeddingReplica & { model: tf.LayersModel } {
  const model = buildBenchModel(o);
  return {
    model,
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    embed: (x) => model.apply(x, { training: true }) as tf.Tensor2D,
  };
}
