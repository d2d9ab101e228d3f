/**
 * seed2's embedding CNN, exactly as `shared/seeds/seed2-architecture.md` lists it.
 *
 * Input 128×128×3. Four blocks of conv → ReLU → batch norm, the first three followed by 2×2 max
 * pooling: 64 filters 5×5 (padding 2, i.e. "same"), 128 filters 5×5, 256 filters 3×3, 512 filters 3×3.
 * Then flatten (16·16·512 = 131 072), a fully connected layer to 1024 units, ReLU and batch norm. The
 * embedding is the 1024-d output of that last batch norm.
 *
 * Size at 128 px: the FC layer alone has 131 072 · 1024 + 1024 = 134 218 752 weights (512.0 MiB in
 * float32, 99 % of the network); the whole network has 135 907 840 trainable weights plus 3 968
 * batch-norm moving statistics, 135 911 808 in all = 518.5 MiB in float32. Adam keeps two more copies
 * while training (≈ 1.5 GiB before activations), which is why the workshop uses {@link workshopCnn}.
 *
 * Initialisation follows PyTorch's defaults (U(±1/√fanIn) for weights and biases) with seeds from an
 * `Rng`; batch norm uses PyTorch's eps 1e-5 and momentum 0.1 (tfjs momentum 0.9).
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { convBnCnn } from './conv-bn-cnn';

/** Configuration of {@link seed2Cnn}. */
export interface Seed2CnnConfig {
  /** Side of the square RGB input; seed2 uses 128. Must be a multiple of 8 (three 2×2 poolings). */
  readonly inputSize: number;
  /** Seed of every initialiser. */
  readonly seed: number;
}

export const DEFAULT_SEED2_CNN: Readonly<Seed2CnnConfig> = Object.freeze({ inputSize: 128, seed: 0 });

/** The four conv blocks: filters, kernel size, whether a 2×2 max pool follows. */
const BLOCKS: ReadonlyArray<readonly [number, number, boolean]> = [
  [64, 5, true],
  [128, 5, true],
  [256, 3, true],
  [512, 3, false],
];
const FC_UNITS = 1024;

/**
 * Merges `partial` over the defaults and validates; errors name the bad value.
 * @see notebooks/04-model-construction.ipynb
 */
export function resolveSeed2Cnn(partial: Partial<Seed2CnnConfig> = {}): Seed2CnnConfig {
  const cfg = { ...DEFAULT_SEED2_CNN, ...partial };
  if (!Number.isInteger(cfg.inputSize) || cfg.inputSize < 8 || cfg.inputSize % 8 !== 0) {
    throw new RangeError(`seed2Cnn inputSize must be a positive multiple of 8, got ${cfg.inputSize}`);
  }
  if (!Number.isInteger(cfg.seed)) throw new RangeError(`seed2Cnn seed must be an integer, got ${cfg.seed}`);
  return cfg;
}

/**
 * Parameter counts of seed2's CNN at `inputSize`, computed from the architecture (no model built).
 * @see notebooks/04-model-construction.ipynb
 */
export function seed2CnnParamCount(inputSize = 128): { fc: number; trainable: number; nonTrainable: number; total: number } {
  const cfg = resolveSeed2Cnn({ inputSize });
  let inC = 3;
  let trainable = 0;
  let nonTrainable = 0;
  let side = cfg.inputSize;
  for (const [filters, k, pool] of BLOCKS) {
    trainable += k * k * inC * filters + filters + 2 * filters;
    nonTrainable += 2 * filters;
    inC = filters;
    if (pool) side /= 2;
  }
  const fc = side * side * inC * FC_UNITS + FC_UNITS;
  trainable += fc + 2 * FC_UNITS;
  nonTrainable += 2 * FC_UNITS;
  return { fc, trainable, nonTrainable, total: trainable + nonTrainable };
}

/**
 * Builds seed2's CNN (see the module doc): `[n, s, s, 3]` images in, `[n, 1024]` embeddings out.
 * At the default 128 px this allocates 518.5 MiB of weights.
 * @see notebooks/04-model-construction.ipynb
 */
export function seed2Cnn(partial: Partial<Seed2CnnConfig> = {}): tf.LayersModel {
  const { inputSize, seed } = resolveSeed2Cnn(partial);
  const blocks = BLOCKS.map(([filters, kernelSize, pool]) => ({ filters, kernelSize, pool }));
  return convBnCnn({ name: 'seed2Cnn', seed, inputSize, blocks, units: FC_UNITS });
}
