/**
 * The same distances on plain vectors (numbers, not tensors): what embedders, caches, the applications
 * and the synthetic-set baselines compare with once embeddings have left the tensor world. The tensor
 * forms are `euclidean` and `cosine`; these agree with them up to the tensor forms' ε clamps.
 *
 * @see notebooks/04-model-construction.ipynb
 */

/**
 * Euclidean distance between two plain vectors of the same length: `√Σᵢ (aᵢ − bᵢ)²` (lower is closer).
 * @see notebooks/04-model-construction.ipynb
 */
export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`embeddings differ in length: ${a.length} and ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/**
 * Cosine similarity of two plain vectors: `a·b / √(‖a‖²‖b‖²)` (higher is closer); 0 when either is zero.
 * @see notebooks/08-applications.ipynb
 */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}
