/** Two cores for training: data-parallel gradients with a worker_threads helper (see data-parallel.ts). */
export { DataParallel } from './data-parallel';
export type { DataParallelConfig, Replica } from './data-parallel';
export { EmbeddingParallel } from './embedding-parallel';
export type { EmbeddingParallelConfig, EmbeddingReplica, EmbeddingStep } from './embedding-parallel';
