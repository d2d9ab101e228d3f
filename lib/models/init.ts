/**
 * Seeded weight initialisers that follow PyTorch's defaults, so the networks of the MobileNetV3 notebook and the
 * Siamese CNN reference start from the same distributions as in their PyTorch code. Every initialiser takes its seed from an `Rng`.
 *
 * - `torchDefault(fanIn, rng)`: `nn.Linear` / `nn.Conv2d` defaults, weights and bias both
 *   U(-1/√fanIn, 1/√fanIn) (kaiming_uniform with a = √5).
 * - `torchvisionConv(rng)`: torchvision MobileNetV3's conv init, kaiming_normal(mode='fan_out'), bias 0.
 *   For depthwise kernels PyTorch's fan_out is channels·k·k, which tfjs calls fan_in for a
 *   `[k, k, C, 1]` kernel, so `torchvisionDepthwise` uses fanIn.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** Kernel and bias initialisers of one layer. */
export interface LayerInit {
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
}

/**
 * PyTorch's default for `nn.Linear` and `nn.Conv2d`: weights and bias U(±1/√fanIn).
 * @see notebooks/04-model-construction.ipynb
 */
export function torchDefault(fanIn: number, rng: Rng): LayerInit {
  if (!Number.isInteger(fanIn) || fanIn <= 0) throw new RangeError(`fanIn must be a positive integer, got ${fanIn}`);
  const bound = 1 / Math.sqrt(fanIn);
  return {
    kernelInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: rng.seed() }),
    biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: rng.seed() }),
  };
}

/**
 * torchvision MobileNetV3's init for a regular conv: kaiming normal over fan_out, zero bias.
 * @see notebooks/04-model-construction.ipynb
 */
export function torchvisionConv(rng: Rng): LayerInit {
  return {
    kernelInitializer: tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal', seed: rng.seed() }),
    biasInitializer: tf.initializers.zeros(),
  };
}

/**
 * torchvision MobileNetV3's init for a depthwise conv (PyTorch's fan_out = tfjs's fan_in here).
 * @see notebooks/04-model-construction.ipynb
 */
export function torchvisionDepthwise(rng: Rng): Initializer {
  return tf.initializers.varianceScaling({ scale: 2, mode: 'fanIn', distribution: 'normal', seed: rng.seed() });
}
