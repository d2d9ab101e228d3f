/**
 * The pair-batch pipeline: pair lists (or an identity sampler drawing each epoch from the training people) and a
 * dataset in, augmented and normalised `(a, b, isSame)` batches out, made in a worker thread. It sits above data and augment, and below models and train.
 *
 * @see notebooks/03-augmentation-previews.ipynb
 */
export {
  createPairPipeline, createIdentityPipeline, PairPipeline, resolvePipelineConfig, DEFAULT_PIPELINE, normalizeImages, resolvePreprocessing, DEFAULT_PREPROCESSING,
  NORMALIZATIONS, IMAGENET_MEAN, IMAGENET_STD,
} from './pipeline';
export type {
  PipelineConfig, PipelineConfigInput, PipelineState, PipelinePosition, PairBatch, PipelineStats, CreatePipelineOptions, Preprocessing, Normalization, DistinctImages,
} from './pipeline';
export { IdentitySampler, checkIdentitySampling, IDENTITY_SAMPLINGS, DEFAULT_PER_PERSON } from './identity-sampler';
export type { IdentitySampling, ResolvedIdentitySampling, IdentitySamplerOptions } from './identity-sampler';
