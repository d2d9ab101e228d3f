/**
 * The workshop CNN: seed2's design scaled down to train on two CPU cores.
 *
 * Same pattern as {@link seed2Cnn} (conv → ReLU → batch norm → 2×2 max pool, then flatten → dense →
 * ReLU → batch norm) but at 64 px, with 16/32/64/128 filters (5×5, 5×5, 3×3, 3×3), a pooling after
 * every block and a 128-d embedding. Defaults: 369 408 trainable parameters (plus 736 batch-norm moving
 * statistics), about 55 MFLOP per image forward, against seed2's 136 M parameters and 3.3 GFLOP.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { stream } from '../util/streams';
import { torchDefault } from './init';
import { freezableBatchNorm } from './layers/freezable-batch-norm';

/** Configuration of {@link workshopCnn}. */
export interface WorkshopCnnConfig {
  /** Side of the square RGB input; a multiple of 2^(number of blocks). */
  readonly inputSize: number;
  /** Filters of each conv block (each block ends with a 2×2 max pool). */
  readonly filters: readonly number[];
  /** Kernel size of each conv block (same length as `filters`). */
  readonly kernelSizes: readonly number[];
  /** Size of the embedding. */
  readonly embeddingDim: number;
  /** Seed of every initialiser. */
  readonly seed: number;
}

export const DEFAULT_WORKSHOP_CNN: Readonly<WorkshopCnnConfig> = Object.freeze({
  inputSize: 64,
  filters: [16, 32, 64, 128],
  kernelSizes: [5, 5, 3, 3],
  embeddingDim: 128,
  seed: 0,
});

/**
 * Merges `partial` over the defaults and validates; errors name the bad value.
 * @see notebooks/04-model-construction.ipynb
 */
export function resolveWorkshopCnn(partial: Partial<WorkshopCnnConfig> = {}): WorkshopCnnConfig {
  const cfg = { ...DEFAULT_WORKSHOP_CNN, ...partial };
  const { filters, kernelSizes } = cfg;
  if (!Array.isArray(filters) || filters.length === 0 || !filters.every((f) => Number.isInteger(f) && f > 0)) {
    throw new RangeError(`workshopCnn filters must be a non-empty list of positive integers, got ${JSON.stringify(filters)}`);
  }
  if (!Array.isArray(kernelSizes) || kernelSizes.length !== filters.length || !kernelSizes.every((k) => Number.isInteger(k) && k > 0)) {
    throw new RangeError(`workshopCnn kernelSizes must list one positive integer per block (${filters.length}), got ${JSON.stringify(kernelSizes)}`);
  }
  const div = 2 ** filters.length;
  if (!Number.isInteger(cfg.inputSize) || cfg.inputSize < div || cfg.inputSize % div !== 0) {
    throw new RangeError(`workshopCnn inputSize must be a positive multiple of ${div} (2^blocks), got ${cfg.inputSize}`);
  }
  if (!Number.isInteger(cfg.embeddingDim) || cfg.embeddingDim <= 0) {
    throw new RangeError(`workshopCnn embeddingDim must be a positive integer, got ${cfg.embeddingDim}`);
  }
  if (!Number.isInteger(cfg.seed)) throw new RangeError(`workshopCnn seed must be an integer, got ${cfg.seed}`);
  return cfg;
}

/**
 * Builds the workshop CNN: `[n, s, s, 3]` images in, `[n, embeddingDim]` embeddings out.
 * @see notebooks/04-model-construction.ipynb
 */
export function workshopCnn(partial: Partial<WorkshopCnnConfig> = {}): tf.LayersModel {
  const cfg = resolveWorkshopCnn(partial);
  const rng = stream(cfg.seed, 'workshopCnn');
  const input = tf.input({ shape: [cfg.inputSize, cfg.inputSize, 3], name: 'image' });
  let x: tf.SymbolicTensor = input;
  let inC = 3;
  cfg.filters.forEach((filters, i) => {
    const k = cfg.kernelSizes[i];
    const n = i + 1;
    x = tf.layers.conv2d({ filters, kernelSize: k, padding: 'same', name: `conv${n}`, ...torchDefault(k * k * inC, rng.fork(`conv${n}`)) }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: `relu${n}` }).apply(x) as tf.SymbolicTensor;
    x = freezableBatchNorm({ epsilon: 1e-5, momentum: 0.9, name: `bn${n}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${n}` }).apply(x) as tf.SymbolicTensor;
    inC = filters;
  });
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const fanIn = x.shape[1] as number;
  x = tf.layers.dense({ units: cfg.embeddingDim, name: 'fc', ...torchDefault(fanIn, rng.fork('fc')) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'fc_relu' }).apply(x) as tf.SymbolicTensor;
  x = freezableBatchNorm({ epsilon: 1e-5, momentum: 0.9, name: 'fc_bn' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'workshopCnn' });
}
