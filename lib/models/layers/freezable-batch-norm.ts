/**
 * Batch normalisation that runs in inference mode when its layer is frozen.
 *
 * tfjs's `BatchNormalization` looks only at the `training` flag: a frozen (`trainable = false`) layer
 * still normalises with batch statistics and overwrites its moving mean and variance during training.
 * A frozen backbone used as a feature extractor must not drift like that (Keras 2+ behaves this way
 * too), so this subclass forces `training: false` while `trainable` is false. Otherwise it is tfjs's
 * layer, with the same arguments and weights (gamma, beta, moving mean, moving variance).
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchNormalizationLayerArgs } from '@tensorflow/tfjs-layers/dist/layers/normalization';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';

type LayerClass = (new (args: BatchNormalizationLayerArgs) => tf.layers.Layer) & Pick<typeof tf.layers.Layer, 'fromConfig'>;

/** tfjs's BatchNormalization class (only its factory is exported), taken from the serialization map. */
const entry = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization'];
if (!entry) throw new Error('tfjs BatchNormalization is not registered; is @tensorflow/tfjs loaded?');
const BatchNormalizationBase = entry[0] as unknown as LayerClass;

/** Arguments: exactly tfjs's `BatchNormalizationLayerArgs`. */
export type FreezableBatchNormArgs = BatchNormalizationLayerArgs;

/**
 * `BatchNormalization` that ignores `training: true` while frozen.
 * @see notebooks/04-model-construction.ipynb
 */
export class FreezableBatchNorm extends BatchNormalizationBase {
  static readonly className = 'FreezableBatchNorm';

  constructor(args: FreezableBatchNormArgs = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const training = this.trainable ? kwargs['training'] : false;
    return super.call(inputs, { ...kwargs, training });
  }
}

/**
 * Factory in the tfjs style.
 * @see notebooks/04-model-construction.ipynb
 */
export function freezableBatchNorm(args: FreezableBatchNormArgs = {}): FreezableBatchNorm {
  return new FreezableBatchNorm(args);
}

tf.serialization.registerClass(FreezableBatchNorm);
