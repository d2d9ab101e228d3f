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
import { convBnCnn } from './conv-bn-cnn';

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
  const blocks = cfg.filters.map((filters, i) => ({ filters, kernelSize: cfg.kernelSizes[i], pool: true }));
  return convBnCnn({ name: 'workshopCnn', seed: cfg.seed, inputSize: cfg.inputSize, blocks, units: cfg.embeddingDim });
}
