/** Two cores for training: a step's images embedded on two threads, the loss's gradient split by the chain rule (see embedding-parallel.ts). */
export { EmbeddingParallel } from './embedding-parallel';
export type { EmbeddingParallelConfig, EmbeddingReplica, EmbeddingStep } from './embedding-parallel';
