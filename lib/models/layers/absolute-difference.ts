/**
 * `|a − b|`, element-wise, of two embeddings: one way to merge a Siamese pair before a BCE head (the
 * other is concatenation). Unlike concatenation it is symmetric, so (a, b) and (b, a) score the same.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';

/** Arguments of {@link AbsoluteDifference}: only the common layer arguments. */
export type AbsoluteDifferenceArgs = LayerArgs;

/**
 * `[a, b] → |a − b|`, both inputs of the same shape.
 * @see notebooks/04-model-construction.ipynb
 */
export class AbsoluteDifference extends tf.layers.Layer {
  static readonly className = 'AbsoluteDifference';

  constructor(args: AbsoluteDifferenceArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    if (!Array.isArray(inputShape[0]) || inputShape.length !== 2) {
      throw new RangeError(`AbsoluteDifference takes two inputs [a, b], got shape ${JSON.stringify(inputShape)}`);
    }
    const [a, b] = inputShape as tf.Shape[];
    if (a.length !== b.length || a.some((v, i) => i > 0 && v !== b[i])) {
      throw new RangeError(`AbsoluteDifference inputs must have the same shape, got ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
    }
    return a;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      if (!Array.isArray(inputs) || inputs.length !== 2) throw new RangeError('AbsoluteDifference takes two inputs [a, b]');
      return tf.abs(tf.sub(inputs[0], inputs[1]));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}

/**
 * Factory in the tfjs style.
 * @see notebooks/04-model-construction.ipynb
 */
export function absoluteDifference(args: AbsoluteDifferenceArgs = {}): AbsoluteDifference {
  return new AbsoluteDifference(args);
}

tf.serialization.registerClass(AbsoluteDifference);
