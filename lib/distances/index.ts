/**
 * Distances between embeddings. Each declares `higherIsCloser`, so nothing downstream branches on names.
 *
 * @see notebooks/04-model-construction.ipynb
 */
export { euclidean } from './euclidean';
export { cosine } from './cosine';
export { euclideanDistance, cosineSimilarity } from './arrays';
export { getDistance, DISTANCES } from './get-distance';
export { EuclideanDistance, euclideanDistanceLayer, EUCLIDEAN_EPSILON } from './euclidean-distance-layer';
export type { EuclideanDistanceArgs } from './euclidean-distance-layer';
export { checkEmbeddings, checkPairShapes, checkMatrixShapes } from './distance';
export type { Distance, DistanceName } from './distance';
