/**
 * Applications of face embeddings: 2-D maps of who is near whom (PCA, UMAP), retrieval (a gallery searched
 * with one photo; rank-1, rank-k, mAP) and clustering (unlabelled faces grouped by identity at the
 * verification threshold; purity, pairwise F1).
 *
 * @see notebooks/08-applications.ipynb
 */
export { pca, umap, project2d } from './projection';
export type { PcaResult, UmapOptions, ProjectionMethod } from './projection';
export { EUCLIDEAN, COSINE, metricOf, pairwiseValues } from './metric';
export type { Metric } from './metric';
export { rankOrder, firstHitRank, rankKAccuracy, averagePrecision, meanAveragePrecision, retrievalScores, GalleryIndex } from './retrieval';
export type { RetrievalScores, GalleryEntry, SearchHit } from './retrieval';
export { agglomerative, clusterEmbeddings, purity, pairwiseScores, clusterScores } from './clustering';
export type { Linkage, ClusterOptions, Clustering, PairwiseScores } from './clustering';
export {
  faceModelNames, openFaceModel, readFaceFolder, embedFaces, runSplit, fitThresholdOnPairs, untrainedEmbedder, embedPeople, indexGalleryFolder, indexDataset, descriptorsOf, cacheVariantOf,
} from './faces';
export type { FolderFace, EmbeddedFolderFace } from './faces';
export { searchRows, clusterLines } from './report';
