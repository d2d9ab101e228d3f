/**
 * The base of the project's element-wise activation layers (`HardSigmoid`, `HardSwish`): no weights, no
 * options beyond the common layer arguments, output shaped as the input. A subclass says only what it
 * computes (`fn`) and its registered `className`.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';

export abstract class ElementwiseLayer extends tf.layers.Layer {
  /** The activation of one tensor, called inside a `tf.tidy`. */
  protected abstract fn(x: tf.Tensor): tf.Tensor;

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => this.fn(Array.isArray(inputs) ? inputs[0] : inputs));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}
