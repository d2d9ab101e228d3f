/**
 * A layer computing the Euclidean distance between two embeddings, `[a, b] → [n, 1]`.
 *
 * `d = √max(Σ (a − b)², ε)`: the clamp keeps the gradient finite when `a = b` (as tfjs's `l2Normalize`
 * clamps before its square root), at the cost of reporting `√ε` instead of 0 for identical inputs.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { EpsilonLayer, type EpsilonLayerArgs } from './epsilon-layer';

/**
 * The clamp under the square root.
 * @see notebooks/04-model-construction.ipynb
 */
export const EUCLIDEAN_EPSILON = 1e-12;

/** Arguments of {@link EuclideanDistance}: `epsilon` is the clamp under the square root (default {@link EUCLIDEAN_EPSILON}). */
export type EuclideanDistanceArgs = EpsilonLayerArgs;

/**
 * Euclidean distance of two `[n, d]` inputs, as an `[n, 1]` output.
 * @see notebooks/04-model-construction.ipynb
 */
export class EuclideanDistance extends EpsilonLayer {
  static readonly className = 'EuclideanDistance';

  constructor(args: EuclideanDistanceArgs = {}) {
    super(args, EUCLIDEAN_EPSILON);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    if (!Array.isArray(inputShape[0]) || inputShape.length !== 2) {
      throw new RangeError(`EuclideanDistance takes two inputs [a, b], got shape ${JSON.stringify(inputShape)}`);
    }
    const [a, b] = inputShape as tf.Shape[];
    if (a.length !== 2 || b.length !== 2 || a[1] !== b[1]) {
      throw new RangeError(`EuclideanDistance inputs must be [n, d] with the same d, got ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
    }
    return [a[0], 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      if (!Array.isArray(inputs) || inputs.length !== 2) throw new RangeError('EuclideanDistance takes two inputs [a, b]');
      const [a, b] = inputs;
      const sq = tf.sum(tf.square(tf.sub(a, b)), -1, true);
      return tf.sqrt(tf.maximum(sq, this.epsilon));
    });
  }
}

/**
 * Factory in the tfjs style.
 * @see notebooks/04-model-construction.ipynb
 */
export function euclideanDistanceLayer(args: EuclideanDistanceArgs = {}): EuclideanDistance {
  return new EuclideanDistance(args);
}

tf.serialization.registerClass(EuclideanDistance);
