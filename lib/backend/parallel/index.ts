/** Two cores for training: data-parallel gradients with a worker_threads helper (see dataParallel.ts). */
export { DataParallel } from './dataParallel';
export type { DataParallelConfig, Replica } from './dataParallel';
