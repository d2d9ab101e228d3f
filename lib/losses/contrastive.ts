/**
 * Contrastive loss (Hadsell, Chopra & LeCun 2006), written for this project's labels: y = 1 = same person.
 *
 * For a distance d (Euclidean; `higherIsCloser` false), per pair:
 *
 *     L = y · max(d − m⁺, 0)^p + (1 − y) · max(m − d, 0)^p        (default m⁺ = 0, p = 2: y·d² + (1−y)·max(m−d, 0)²)
 *
 * For a similarity s (cosine; `higherIsCloser` true) the inequalities flip:
 *
 *     L = y · max(m⁺ − s, 0)^p + (1 − y) · max(s − m, 0)^p        (default m⁺ = 1)
 *
 * Same-person pairs are pulled together; different people are pushed apart until they are past the
 * margin m, after which they cost nothing. The Siamese CNN reference uses m = 1 (the default), the MobileNetV3
 * notebook m = 2. Beware the MobileNetV3 notebook's code: it computes `(1−y)·d² + y·max(m−d,0)²` with y = 1 meaning same person, i.e. Hadsell's formula
 * with the label inverted, which pushes same-person pairs apart. This implementation does not repeat it.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { checkPairShapes, type Distance, type DistanceName } from '../distances/distance';
import { getDistance } from '../distances/get-distance';
import { isSameTensor, type IsSameInput } from './labels';
import { checkReduction, reduceLoss, type Reduction } from './reduction';

/** Configuration of {@link contrastiveLoss}. */
export interface ContrastiveConfig {
  /** Margin m for different-person pairs (a distance, or a similarity for cosine). */
  readonly margin: number;
  /** Margin m⁺ for same-person pairs; null means the distance's `identical` value (0, or 1 for cosine). */
  readonly posMargin: number | null;
  readonly distance: DistanceName;
  /** Exponent p of the hinge terms (2 in the seeds). */
  readonly power: number;
  readonly reduction: Reduction;
}

export const DEFAULT_CONTRASTIVE: Readonly<ContrastiveConfig> = Object.freeze({
  margin: 1,
  posMargin: null,
  distance: 'euclidean',
  power: 2,
  reduction: 'mean',
});

/**
 * Merges `partial` over the defaults and validates; errors name the bad value.
 * @see notebooks/04-model-construction.ipynb
 */
export function resolveContrastive(partial: Partial<ContrastiveConfig> = {}): ContrastiveConfig {
  const cfg = { ...DEFAULT_CONTRASTIVE, ...partial };
  if (typeof cfg.margin !== 'number' || !Number.isFinite(cfg.margin)) throw new RangeError(`contrastive margin must be a finite number, got ${cfg.margin}`);
  if (cfg.posMargin !== null && (typeof cfg.posMargin !== 'number' || !Number.isFinite(cfg.posMargin))) {
    throw new RangeError(`contrastive posMargin must be a finite number or null, got ${cfg.posMargin}`);
  }
  if (typeof cfg.power !== 'number' || !(cfg.power > 0)) throw new RangeError(`contrastive power must be a positive number, got ${cfg.power}`);
  getDistance(cfg.distance);
  checkReduction(cfg.reduction);
  return cfg;
}

/** Options: the config, where `distance` may also be a Distance object. */
export type ContrastiveOptions = Partial<Omit<ContrastiveConfig, 'distance'>> & { distance?: DistanceName | Distance };

function split(options: ContrastiveOptions): { cfg: ContrastiveConfig; distance: Distance } {
  const distance = getDistance(options.distance ?? DEFAULT_CONTRASTIVE.distance);
  return { cfg: resolveContrastive({ ...options, distance: distance.name }), distance };
}

/**
 * Contrastive loss from already computed distances (or similarities) `values` `[n]` and labels `[n]`.
 * Used by {@link contrastiveLoss} and to plot the loss against the distance.
 * @see notebooks/04-model-construction.ipynb
 */
export function contrastiveFromValues(values: tf.Tensor, isSame: IsSameInput, options: ContrastiveOptions = {}): tf.Tensor {
  const { cfg, distance } = split(options);
  if (values.rank !== 1) throw new RangeError(`values must be a 1-D [n] tensor, got shape [${values.shape.join(', ')}]`);
  const n = values.shape[0];
  return tf.tidy(() => {
    const y = isSameTensor(isSame, n);
    const posMargin = cfg.posMargin ?? distance.identical;
    // sign = +1 for distances, −1 for similarities: `sign · (v − t)` is "how much farther than t".
    const sign = distance.higherIsCloser ? -1 : 1;
    const pos = tf.relu(tf.mul(sign, tf.sub(values, posMargin)));
    const neg = tf.relu(tf.mul(sign, tf.sub(cfg.margin, values)));
    const terms = tf.add(tf.mul(y, tf.pow(pos, cfg.power)), tf.mul(tf.sub(1, y), tf.pow(neg, cfg.power)));
    return reduceLoss(terms, cfg.reduction);
  });
}

/**
 * Contrastive loss of embedding pairs: `a`, `b` are `[n, d]`, `isSame` `[n]` (1 = same person).
 * Returns a scalar (or `[n]` with `reduction: 'none'`); 0 for an empty batch.
 * @see notebooks/04-model-construction.ipynb
 */
export function contrastiveLoss(a: tf.Tensor2D, b: tf.Tensor2D, isSame: IsSameInput, options: ContrastiveOptions = {}): tf.Tensor {
  const { distance } = split(options);
  checkPairShapes(a, b);
  return tf.tidy(() => contrastiveFromValues(distance.pairwise(a, b), isSame, options));
}
