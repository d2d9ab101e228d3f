/**
 * Evaluation: metrics as pure functions on plain arrays (values + isSame + direction), the LFW View 2
 * protocol, bootstrap intervals, worst errors and the synthetic set's difficulty check. Takes distances or
 * scores as plain arrays; face detection, embedders and verification are in `faces`.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
export { AS_DISTANCE, AS_SCORE, checkScored, closeness, accepts, countLabels } from './scored';
export type { Direction } from './scored';
export { confusionAt, accuracyAt, accuracyOf, tarOf, farOf } from './confusion';
export type { Confusion } from './confusion';
export { bestThreshold } from './threshold';
export type { ThresholdFit } from './threshold';
export { roc, auc, eer, tarAtFar } from './roc';
export type { Roc, EerResult, TarAtFarResult } from './roc';
export { bootstrapCi, quantile, resolveBootstrap, DEFAULT_BOOTSTRAP } from './bootstrap';
export type { BootstrapConfig, ConfidenceInterval } from './bootstrap';
export { METRICS, METRIC_NAMES, computeMetrics, selectMetrics } from './metrics';
export type { Metric, MetricName, MetricContext, MetricSelection } from './metrics';
export {
  crossValidate, crossValidateWith, fixedVsCalibrated, summarizeFolds, foldIds, foldLeakage, assertNoFoldLeakage,
} from './view2';
export type { FoldResult, FoldSummary, CrossValidation, FoldTask, FoldValues, FixedVsCalibrated, TrainingData, FoldLeak } from './view2';
export { fitUncertainBand } from './uncertain';
export type { UncertainBand } from './uncertain';
export { worstErrors } from './worst-errors';
export type { PairError } from './worst-errors';
export { summarizeModel, thresholdGrid, accuracySweep } from './summary';
export type { ScoredSet } from './summary';
export { measureSynthDifficulty } from './synth-difficulty';
export type { SynthDifficulty, BaselineScore, DifficultyOptions } from './synth-difficulty';
