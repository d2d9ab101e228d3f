/**
 * Dropout whose mask is fresh on every training call yet reproducible from the run's seed.
 *
 * tfjs's own `dropout({rate, seed})` passes the same seed to `randomUniform` on every call, so a seeded
 * tfjs dropout repeats one mask for the whole run (and an unseeded one is not reproducible). This layer
 * keeps a call counter: training call number `n` draws its mask from `hash(seed, n)`. Two runs built
 * with the same seed therefore see the same sequence of masks, and consecutive steps see different
 * ones. The two branches of a Siamese network are two calls, so they get different masks, as in
 * PyTorch. Inference calls (`training` false or absent) pass the input through and do not advance the
 * counter. A resumed run restores the counter with `maskStep`.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { hash128 } from '../../util/rng';

/** Arguments of {@link SeededDropout}. */
export interface SeededDropoutArgs extends LayerArgs {
  /** Fraction of units to drop, in [0, 1). */
  rate: number;
  /** Base seed (a non-negative 31-bit integer, e.g. from `rng.seed()`). */
  seed: number;
}

/**
 * The seed of the mask drawn on training call `step` of a layer seeded with `seed`.
 * @see notebooks/04-model-construction.ipynb
 */
export function maskSeed(seed: number, step: number): number {
  return hash128(`dropout/${seed}/${step}`)[0] >>> 1;
}

/**
 * Inverted dropout (kept units scaled by `1 / (1 - rate)`) with a per-call seed; see the module doc.
 * @see notebooks/04-model-construction.ipynb
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'SeededDropout';
  readonly rate: number;
  readonly seed: number;
  /** Number of training calls so far; the next mask uses `maskSeed(seed, maskStep)`. */
  maskStep = 0;

  constructor(args: SeededDropoutArgs) {
    super(args);
    if (typeof args.rate !== 'number' || !(args.rate >= 0 && args.rate < 1)) {
      throw new RangeError(`SeededDropout rate must be a number in [0, 1), got ${args.rate}`);
    }
    if (!Number.isInteger(args.seed) || args.seed < 0 || args.seed > 0x7fffffff) {
      throw new RangeError(`SeededDropout seed must be an integer in [0, 2^31), got ${args.seed}`);
    }
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = kwargs['training'] === true;
    if (!training || this.rate === 0) return tf.tidy(() => tf.clone(x));
    const seed = maskSeed(this.seed, this.maskStep);
    this.maskStep += 1;
    return tf.tidy(() => tf.dropout(x, this.rate, undefined, seed));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

/**
 * Factory in the tfjs style: `seededDropout({rate, seed})`.
 * @see notebooks/04-model-construction.ipynb
 */
export function seededDropout(args: SeededDropoutArgs): SeededDropout {
  return new SeededDropout(args);
}

tf.serialization.registerClass(SeededDropout);
