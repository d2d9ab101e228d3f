/**
 * `x / max(‖x‖₂, ε)` along the last axis: puts every embedding on the unit sphere, so Euclidean distances
 * lie in [0, 2] whatever the network's output scale, and a contrastive margin of about 1 means the same
 * thing for every network. (Without it, a batch-normalised 128-d embedding has distances around 16, and a
 * margin of 1 is meaningless.)
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { EpsilonLayer, type EpsilonLayerArgs } from '../../distances/epsilon-layer';

/** Each row (last axis) of `x` divided by `max(‖row‖₂, epsilon)`; the layer below and the trainer both use it. */
export function l2NormalizeRows<T extends tf.Tensor>(x: T, epsilon = 1e-12): T {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', -1, true), epsilon)) as T);
}

/** `epsilon`: the floor of the norm, so a zero vector stays finite (default 1e-12, as torch.nn.functional.normalize). */
export type L2NormalizeArgs = EpsilonLayerArgs;

export class L2Normalize extends EpsilonLayer {
  static readonly className = 'L2Normalize';

  constructor(args: L2NormalizeArgs = {}) {
    super(args, 1e-12);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return inputShape as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return l2NormalizeRows(Array.isArray(inputs) ? inputs[0] : inputs, this.epsilon);
  }
}

/** Factory in the tfjs style. */
export function l2Normalize(args: L2NormalizeArgs = {}): L2Normalize {
  return new L2Normalize(args);
}

tf.serialization.registerClass(L2Normalize);
