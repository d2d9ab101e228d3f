/**
 * The benchmark's model as a data-parallel replica (lib/backend/parallel DataParallel): one case of
 * bench/train.ts, inputs [a images, b images, isSame], contrastive loss over the pairs.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { Replica } from '../lib/backend/parallel';
import { contrastiveLoss } from '../lib/losses';
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

/** Model and loss of [xa, xb, isSame]. */
export function createReplica(o: BenchReplicaOptions): Replica & { model: tf.LayersModel } {
  const model = buildBenchModel(o);
  return {
    model,
    variables: model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val),
    loss: ([xa, xb, isSame]) => tf.tidy(() => {
      const e = model.apply(tf.concat([xa, xb]), { training: true }) as tf.Tensor2D;
      const [ea, eb] = tf.split(e, 2) as [tf.Tensor2D, tf.Tensor2D];
      return contrastiveLoss(ea, eb, isSame as tf.Tensor1D) as tf.Scalar;
    }),
  };
}
