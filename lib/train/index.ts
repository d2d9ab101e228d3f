/** Training: optimizers, learning-rate schedules, checkpoints, the trainer and experiment runs. */
export { Optimizer, resolveOptimizer, DEFAULT_OPTIMIZER, OPTIMIZERS } from './optimizer';
export type { OptimizerConfig, OptimizerName, OptimizerState } from './optimizer';
export { learningRateAt, resolveSchedule, DEFAULT_SCHEDULE, SCHEDULES } from './schedule';
export type { ScheduleConfig, ScheduleName } from './schedule';
export { writeCheckpoint, readCheckpoint } from './checkpoint';
export type { Checkpoint, TensorRecord } from './checkpoint';
export { trainSiamese, predictPairs, lossOf, NonFiniteLossError } from './trainer';
export type { TrainOptions, TrainResult, EpochRecord, LossConfig, EarlyStopping } from './trainer';
export { readModelWeights, restoreModelWeights, readMaskSteps, restoreMaskSteps } from './state';
export { ProgressBar, formatDuration } from './progress';
export { runExperiment, loadOrTrain, resolveExperiment, readRunResult, readRunPredictions, runDir, DEFAULT_EXPERIMENT } from './experiment';
export type { ExperimentConfig, ExperimentInput, ExperimentResult, RunOptions, TestResult, TestPredictions } from './experiment';
export { EXPERIMENT_PRESETS, experimentPreset } from './presets';
export { runGrid } from './grid';
export type { GridAxes, GridResult } from './grid';
export { trainHead, resolveHead, DEFAULT_HEAD } from './head';
export type { HeadConfig, HeadPairs, HeadLayer, TrainedHead } from './head';
