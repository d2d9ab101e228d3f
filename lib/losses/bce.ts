/**
 * Binary cross-entropy on same-person probabilities (the Siamese CNN reference's BCE head: features → dense → sigmoid).
 *
 *     L = −[ y · log(p) + (1 − y) · log(1 − p) ],   p clipped to [ε, 1 − ε]
 *
 * with y = 1 = same person and p the model's probability that the pair is the same person.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { isSameTensor, type IsSameInput } from './labels';
import { checkReduction, reduceLoss, type Reduction } from './reduction';

/** Configuration of {@link bceLoss}. */
export interface BceConfig {
  /** Clip of p away from 0 and 1 (Keras uses 1e-7). */
  readonly epsilon: number;
  readonly reduction: Reduction;
}

export const DEFAULT_BCE: Readonly<BceConfig> = Object.freeze({ epsilon: 1e-7, reduction: 'mean' });

/**
 * Merges `partial` over the defaults and validates; errors name the bad value.
 * @see notebooks/04-model-construction.ipynb
 */
export function resolveBce(partial: Partial<BceConfig> = {}): BceConfig {
  const cfg = { ...DEFAULT_BCE, ...partial };
  if (typeof cfg.epsilon !== 'number' || !(cfg.epsilon > 0 && cfg.epsilon < 0.5)) throw new RangeError(`bce epsilon must be in (0, 0.5), got ${cfg.epsilon}`);
  checkReduction(cfg.reduction);
  return cfg;
}

/**
 * BCE of probabilities `p` (`[n]` or `[n, 1]`, e.g. a Siamese BCE head's output) against `isSame` `[n]`.
 * Returns a scalar (or `[n]` with `reduction: 'none'`); 0 for an empty batch.
 * @see notebooks/04-model-construction.ipynb
 */
export function bceLoss(p: tf.Tensor, isSame: IsSameInput, options: Partial<BceConfig> = {}): tf.Tensor {
  const cfg = resolveBce(options);
  if (!(p.rank === 1 || (p.rank === 2 && p.shape[1] === 1))) {
    throw new RangeError(`bce probabilities must be [n] or [n, 1], got shape [${p.shape.join(', ')}]`);
  }
  const n = p.shape[0];
  return tf.tidy(() => {
    const y = isSameTensor(isSame, n);
    const q = tf.clipByValue(tf.reshape(p, [n]), cfg.epsilon, 1 - cfg.epsilon);
    const terms = tf.neg(tf.add(tf.mul(y, tf.log(q)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, q)))));
    return reduceLoss(terms, cfg.reduction);
  });
}
