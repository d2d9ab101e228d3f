/**
 * Losses as pure tidy functions, label 1 = same person; each doc comment gives the formula.
 *
 * @see notebooks/04-model-construction.ipynb
 */
export { contrastiveLoss, contrastiveFromValues, resolveContrastive, DEFAULT_CONTRASTIVE } from './contrastive';
export type { ContrastiveConfig, ContrastiveOptions } from './contrastive';
export { bceLoss, resolveBce, DEFAULT_BCE } from './bce';
export type { BceConfig } from './bce';
export { tripletLoss, resolveTriplet, DEFAULT_TRIPLET } from './triplet';
export type { TripletConfig, TripletOptions, TripletMining } from './triplet';
export { reduceLoss, checkReduction, REDUCTIONS } from './reduction';
export type { Reduction } from './reduction';
export { isSameTensor } from './labels';
export type { IsSameInput } from './labels';
export { batchContrastiveLoss } from './batch-contrastive';
export type { BatchContrastiveOptions } from './batch-contrastive';
