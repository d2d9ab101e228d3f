/**
 * Augmentation: transforms as typed configs, policies (the `siamese-cnn` preset, the project's `default`,
 * `none`), sampling per-image params from an rng, and applying them as batched tensor ops on any backend.
 *
 * @see notebooks/03-augmentation-previews.ipynb
 */
export { TRANSFORM_KINDS, FULL_CROP, IDENTITY_PARAMS, isIdentity, isGeometricIdentity, isColourIdentity, describeParams } from './params';
export type { TransformKind, CropBox, AugmentParams } from './params';
export { DEFAULT_TRANSFORMS, resolveTransform, sampleTransform } from './transforms';
export type {
  TransformConfig, TransformInput, ResizedCropConfig, FlipConfig, ScaleConfig, RotateConfig, TranslateConfig,
  BrightnessConfig, ContrastConfig, SaturationConfig, GrayscaleConfig, NoiseConfig,
} from './transforms';
export { projectiveMatrix } from './matrix';
export { applyAugment, DEFAULT_APPLY } from './apply';
export type { ApplyOptions, FillMode, Interpolation } from './apply';
export {
  DEFAULT_POLICY, SIAMESE_CNN_POLICY, SEED2_POLICY, NO_AUGMENT, POLICY_PRESETS, POLICY_PRESET_ALIASES, resolvePolicy, singleTransformPolicy, applyOptions, samplePolicy,
} from './policy';
export type { AugmentPolicy, AugmentPolicyInput, Selection } from './policy';
export { augmentBatch } from './augment';
export type { AugmentedBatch } from './augment';
