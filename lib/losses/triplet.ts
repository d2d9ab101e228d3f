/**
 * Triplet loss (Schroff et al. 2015, FaceNet) over a batch of labelled embeddings, with batch-hard mining
 * (Hermans et al. 2017) or all valid triplets.
 *
 * For an anchor a, a positive p (same person, p ≠ a) and a negative n (another person), with a distance d:
 *
 *     L(a, p, n) = max(d(a, p) − d(a, n) + m, 0)
 *
 * and with a similarity s (`higherIsCloser`): `max(s(a, n) − s(a, p) + m, 0)`.
 * - `mining: 'batchHard'`: one term per anchor, its farthest positive against its nearest negative;
 *   anchors without a positive or a negative in the batch are skipped.
 * - `mining: 'all'`: one term per valid (a, p, n) triplet.
 * The reduction averages over valid anchors/triplets (`'mean'`) or over the non-zero ones
 * (`'meanNonZero'`); a batch with no valid triplet gives 0.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { checkEmbeddings, type Distance, type DistanceName } from '../distances/distance';
import { getDistance } from '../distances/get-distance';
import { checkReduction, reduceLoss, type Reduction } from './reduction';

export type TripletMining = 'batchHard' | 'all';

/** Configuration of {@link tripletLoss}. */
export interface TripletConfig {
  /** Margin m (FaceNet: 0.2 on unit-length embeddings). */
  readonly margin: number;
  readonly distance: DistanceName;
  readonly mining: TripletMining;
  readonly reduction: Reduction;
}

export const DEFAULT_TRIPLET: Readonly<TripletConfig> = Object.freeze({
  margin: 0.2,
  distance: 'euclidean',
  mining: 'batchHard',
  reduction: 'mean',
});

/**
 * Merges `partial` over the defaults and validates; errors name the bad value.
 * @see notebooks/04-model-construction.ipynb
 */
export function resolveTriplet(partial: Partial<TripletConfig> = {}): TripletConfig {
  const cfg = { ...DEFAULT_TRIPLET, ...partial };
  if (typeof cfg.margin !== 'number' || !Number.isFinite(cfg.margin)) throw new RangeError(`triplet margin must be a finite number, got ${cfg.margin}`);
  if (cfg.mining !== 'batchHard' && cfg.mining !== 'all') throw new RangeError(`triplet mining must be 'batchHard' or 'all', got ${JSON.stringify(cfg.mining)}`);
  getDistance(cfg.distance);
  checkReduction(cfg.reduction);
  return cfg;
}

export type TripletOptions = Partial<Omit<TripletConfig, 'distance'>> & { distance?: DistanceName | Distance };

/** A value far outside any distance or similarity, used to exclude masked entries from max/min. */
const FAR = 1e9;

/**
 * Triplet loss of `embeddings` `[n, d]` whose rows belong to the people `labels` `[n]` (any integer ids,
 * as a tensor or an array). Returns a scalar (or the per-anchor / per-triplet terms with `'none'`).
 * @see notebooks/04-model-construction.ipynb
 */
export function tripletLoss(embeddings: tf.Tensor2D, labels: tf.Tensor | readonly number[], options: TripletOptions = {}): tf.Tensor {
  const distance = getDistance(options.distance ?? DEFAULT_TRIPLET.distance);
  const cfg = resolveTriplet({ ...options, distance: distance.name });
  checkEmbeddings(embeddings, 'embeddings');
  const n = embeddings.shape[0];
  const size = Array.isArray(labels) ? labels.length : (labels as tf.Tensor).size;
  if (size !== n || (!Array.isArray(labels) && (labels as tf.Tensor).rank !== 1)) {
    throw new RangeError(`labels must be a 1-D list of ${n} person ids (one per embedding), got ${Array.isArray(labels) ? `${size} labels` : `shape [${(labels as tf.Tensor).shape.join(', ')}]`}`);
  }
  return tf.tidy(() => {
    const ids = Array.isArray(labels) ? tf.tensor1d(labels as number[], 'float32') : tf.cast(labels as tf.Tensor, 'float32');
    // D: larger = farther, for distances and similarities alike.
    const sign = distance.higherIsCloser ? -1 : 1;
    const dist = tf.mul(sign, distance.matrix(embeddings, embeddings));
    const same = tf.cast(tf.equal(tf.expandDims(ids, 1), tf.expandDims(ids, 0)), 'float32');
    const pos = tf.sub(same, tf.eye(n)); // same person, not the anchor itself
    const neg = tf.sub(1, same);
    if (cfg.mining === 'batchHard') {
      const hardestPos = tf.max(tf.where(tf.cast(pos, 'bool'), dist, tf.fill([n, n], -FAR)), 1);
      const hardestNeg = tf.min(tf.where(tf.cast(neg, 'bool'), dist, tf.fill([n, n], FAR)), 1);
      const valid = tf.mul(tf.cast(tf.greater(tf.sum(pos, 1), 0), 'float32'), tf.cast(tf.greater(tf.sum(neg, 1), 0), 'float32'));
      const terms = tf.relu(tf.add(tf.sub(tf.mul(hardestPos, valid), tf.mul(hardestNeg, valid)), cfg.margin));
      return reduceLoss(terms, cfg.reduction, valid);
    }
    // All triplets: terms[a, p, q] = D[a, p] − D[a, q] + m, valid where p is a positive and q a negative of a.
    const terms = tf.relu(tf.add(tf.sub(tf.expandDims(dist, 2), tf.expandDims(dist, 1)), cfg.margin));
    const valid = tf.mul(tf.expandDims(pos, 2), tf.expandDims(neg, 1));
    return reduceLoss(terms, cfg.reduction, valid);
  });
}
