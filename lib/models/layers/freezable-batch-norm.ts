/**
 * Batch normalisation that runs in inference mode when its layer is frozen.
 *
 * tfjs's `BatchNormalization` looks only at the `training` flag: a frozen (`trainable = false`) layer
 * still normalises with batch statistics and overwrites its moving mean and variance during training.
 * A frozen backbone used as a feature extractor must not drift like that (Keras 2+ behaves this way
 * too), so this subclass forces `training: false` while `trainable` is false. Otherwise it is tfjs's
 * layer, with the same arguments and weights (gamma, beta, moving mean, moving variance).
 *
 * On the wasm backend with the project's kernels, training mode over the last axis runs as one fused
 * kernel forward and one backward (lib/backend/kernels fused-ops) instead of tfjs's dozen element-wise
 * ops; the moving statistics are updated with the same arithmetic as tfjs's layer.
 *
 * `activation` ('relu' or 'hardSwish') makes the layer apply that activation to its output, like
 * torchvision's Conv2dNormActivation units and a Keras layer's `activation` argument: the layer is then
 * "batch norm + activation" in one. In training on wasm the pair runs as the same single kernel each way,
 * which saves the activation's pass over the output and its gradient's pass (MobileNetV3 at 224 px: about a
 * tenth of a training step); everywhere else the layer applies the activation after normalising.
 * `inputActivation: 'relu'` does the same for a ReLU before the batch norm (conv → ReLU → batch norm, the workshop
 * CNN's units): the layer normalises `max(x, 0)`.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchNormalizationLayerArgs } from '@tensorflow/tfjs-layers/dist/layers/normalization';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { BATCH_NORM_ACTIVATIONS, fusedBatchNormTraining, type BatchNormActivation, type BatchNormInputActivation } from '../../backend/kernels/fused-ops';
import { hardSwishOp } from './hard-swish';

/** The fields of tfjs's BatchNormalization the fused path reads. */
interface BatchNormInternals {
  axis: number;
  epsilon: number;
  momentum: number;
  center: boolean;
  scale: boolean;
  gamma: { read(): tf.Tensor } | null;
  beta: { read(): tf.Tensor } | null;
  movingMean: { read(): tf.Tensor; write(t: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(t: tf.Tensor): void };
}

type LayerClass = (new (args: BatchNormalizationLayerArgs) => tf.layers.Layer) & Pick<typeof tf.layers.Layer, 'fromConfig'>;

/** tfjs's BatchNormalization class (only its factory is exported), taken from the serialization map. */
const entry = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization'];
if (!entry) throw new Error('tfjs BatchNormalization is not registered; is @tensorflow/tfjs loaded?');
const BatchNormalizationBase = entry[0] as unknown as LayerClass;

/** Arguments: tfjs's `BatchNormalizationLayerArgs`, and the activations applied to the output and to the input. */
export type FreezableBatchNormArgs = BatchNormalizationLayerArgs & {
  /** Applied to the normalised output: 'relu' (`max(x, 0)`), 'hardSwish', or none (absent or null). */
  activation?: BatchNormActivation | null;
  /** Applied to the input before normalising: 'relu', or none (absent or null). */
  inputActivation?: BatchNormInputActivation | null;
};

/**
 * `BatchNormalization` that ignores `training: true` while frozen.
 * @see notebooks/04-model-construction.ipynb
 */
export class FreezableBatchNorm extends BatchNormalizationBase {
  static readonly className = 'FreezableBatchNorm';

  /** The activation applied to the output, or null. */
  readonly activation: BatchNormActivation | null;
  /** The activation applied to the input, or null. */
  readonly inputActivation: BatchNormInputActivation | null;

  constructor(args: FreezableBatchNormArgs = {}) {
    const { activation = null, inputActivation = null, ...rest } = args;
    for (const [attr, value] of [['activation', activation], ['inputActivation', inputActivation]] as const) {
      const allowed: readonly string[] = BATCH_NORM_ACTIVATIONS[attr];
      if (value !== null && !allowed.includes(value)) {
        throw new Error(`FreezableBatchNorm${rest.name ? ` ${rest.name}` : ''}: ${attr} must be ${allowed.map((a) => `"${a}"`).join(', ')} or null, got ${JSON.stringify(value)}`);
      }
    }
    super(rest);
    this.activation = activation;
    this.inputActivation = inputActivation;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const training = this.trainable ? kwargs['training'] : false;
    if (training === true) {
      const fused = this.fusedTrainingCall(Array.isArray(inputs) ? inputs[0] : inputs);
      if (fused !== null) return fused;
    }
    if (this.activation === null && this.inputActivation === null) return super.call(inputs, { ...kwargs, training });
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const y = super.call(this.inputActivation === 'relu' ? tf.relu(x) : x, { ...kwargs, training });
      const z = Array.isArray(y) ? y[0] : y;
      return this.activation === null ? z : this.activation === 'relu' ? tf.relu(z) : hardSwishOp(z);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config = super.getConfig();
    return {
      ...config,
      ...(this.activation === null ? {} : { activation: this.activation }),
      ...(this.inputActivation === null ? {} : { inputActivation: this.inputActivation }),
    };
  }

  /** Training mode through the fused wasm kernel, or null where it does not apply. */
  private fusedTrainingCall(x: tf.Tensor): tf.Tensor | null {
    const self = this as unknown as BatchNormInternals;
    const lastAxis = self.axis === -1 || self.axis === x.rank - 1;
    if (!lastAxis || !self.center || !self.scale || self.gamma === null || self.beta === null || x.rank < 2) return null;
    const gamma = self.gamma.read(), beta = self.beta.read();
    return tf.tidy(() => {
      const r = fusedBatchNormTraining(x, gamma, beta, self.epsilon, this.activation, this.inputActivation);
      if (r === null) return null as unknown as tf.Tensor;
      const [y, mean, variance] = r;
      // tfjs-layers' doMovingAverage: moving -= (moving - batch) * (1 - momentum).
      for (const [v, value] of [[self.movingMean, mean], [self.movingVariance, variance]] as const) {
        tf.tidy(() => {
          const orig = v.read();
          v.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - self.momentum)));
        });
      }
      return y;
    });
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
