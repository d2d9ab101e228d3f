/**
 * The plain CNN that seed2's model and the workshop's share: blocks of conv → ReLU → batch norm (each
 * optionally followed by a 2×2 max pool), then flatten → dense → ReLU → batch norm. Each ReLU is carried by
 * the batch norm after it (`FreezableBatchNorm`'s `inputActivation`): in training the two are one kernel each
 * way. Layer names are `conv{n}`, `bn{n}`, `pool{n}` (n from 1), then `flatten`, `fc`, `fc_bn`: saved models and
 * checkpoints depend on them (models saved before the ReLUs were carried also have `relu{n}` and `fc_relu`
 * layers, and still load).
 *
 * Initialisation follows PyTorch's defaults (U(±1/√fanIn) for weights and biases), each layer seeded by
 * its own fork of the model's stream; batch norm uses PyTorch's eps 1e-5 and momentum 0.1 (tfjs momentum 0.9).
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { stream, type StreamName } from '../util/streams';
import { torchDefault } from './init';
import { freezableBatchNorm } from './layers/freezable-batch-norm';

/** One conv block: `filters` kernels of `kernelSize`² ("same" padding), and whether a 2×2 max pool follows. */
export interface ConvBnBlock {
  readonly filters: number;
  readonly kernelSize: number;
  readonly pool: boolean;
}

/** What {@link convBnCnn} builds. */
export interface ConvBnCnnSpec {
  /** The model's name, also the name of its seeded stream. */
  readonly name: StreamName;
  readonly seed: number;
  /** Side of the square RGB input. */
  readonly inputSize: number;
  readonly blocks: readonly ConvBnBlock[];
  /** Units of the final dense layer: the embedding size. */
  readonly units: number;
}

/**
 * `[n, s, s, 3]` images in, `[n, units]` embeddings out (see the module doc).
 * @see notebooks/04-model-construction.ipynb
 */
export function convBnCnn(spec: ConvBnCnnSpec): tf.LayersModel {
  const rng = stream(spec.seed, spec.name);
  const input = tf.input({ shape: [spec.inputSize, spec.inputSize, 3], name: 'image' });
  let x: tf.SymbolicTensor = input;
  let inC = 3;
  spec.blocks.forEach(({ filters, kernelSize: k, pool }, i) => {
    const n = i + 1;
    x = tf.layers.conv2d({ filters, kernelSize: k, padding: 'same', name: `conv${n}`, ...torchDefault(k * k * inC, rng.fork(`conv${n}`)) }).apply(x) as tf.SymbolicTensor;
    x = freezableBatchNorm({ epsilon: 1e-5, momentum: 0.9, inputActivation: 'relu', name: `bn${n}` }).apply(x) as tf.SymbolicTensor;
    if (pool) x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${n}` }).apply(x) as tf.SymbolicTensor;
    inC = filters;
  });
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const fanIn = x.shape[1] as number;
  x = tf.layers.dense({ units: spec.units, name: 'fc', ...torchDefault(fanIn, rng.fork('fc')) }).apply(x) as tf.SymbolicTensor;
  x = freezableBatchNorm({ epsilon: 1e-5, momentum: 0.9, inputActivation: 'relu', name: 'fc_bn' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: spec.name });
}
