/**
 * Models: embedding networks (the Siamese CNN reference's CNN, the workshop CNN, MobileNetV3-Small), the Siamese wrapper,
 * custom layers, saving/loading and pretrained weights (Keras HDF5 files, MobileNetV3-Small's ImageNet weights).
 *
 * @see notebooks/04-model-construction.ipynb
 */
export { seed2Cnn, seed2CnnParamCount, resolveSeed2Cnn, DEFAULT_SEED2_CNN } from './seed2-cnn';
export type { Seed2CnnConfig } from './seed2-cnn';
// the Siamese CNN reference's network under its current name (`seed2Cnn` & co. are the old names, kept)
export { seed2Cnn as siameseCnn, seed2CnnParamCount as siameseCnnParamCount, resolveSeed2Cnn as resolveSiameseCnn, DEFAULT_SEED2_CNN as DEFAULT_SIAMESE_CNN } from './seed2-cnn';
export type { Seed2CnnConfig as SiameseCnnConfig } from './seed2-cnn';
export { workshopCnn, resolveWorkshopCnn, DEFAULT_WORKSHOP_CNN } from './workshop-cnn';
export type { WorkshopCnnConfig } from './workshop-cnn';
export {
  mobileNetV3Small, resolveMobileNetV3Small, DEFAULT_MOBILENET_V3_SMALL, MOBILENET_HEAD_ALIASES, setBackboneTrainable, isBackboneLayer, makeDivisible,
} from './mobilenet-v3-small';
export type { MobileNetV3SmallConfig, MobileNetHead, PaddingStyle, InputScaling } from './mobilenet-v3-small';
export { HardSwish, hardSwish } from './layers/hard-swish';
export { HardSigmoid, hardSigmoid } from './layers/hard-sigmoid';
export { SeededDropout, seededDropout, maskSeed } from './layers/seeded-dropout';
export type { SeededDropoutArgs } from './layers/seeded-dropout';
export { FreezableBatchNorm, freezableBatchNorm } from './layers/freezable-batch-norm';
export type { FreezableBatchNormArgs } from './layers/freezable-batch-norm';
export { PaddedConv2D, PaddedDepthwiseConv2D, paddedConv2d, paddedDepthwiseConv2d } from './layers/padded-conv';
export type { ExplicitPadding2D, PaddedConv2DArgs, PaddedDepthwiseConv2DArgs } from './layers/padded-conv';
export { torchDefault, torchvisionConv, torchvisionDepthwise } from './init';
export { AbsoluteDifference, absoluteDifference } from './layers/absolute-difference';
export { siamese, siameseOutput, resolveSiamese, DEFAULT_SIAMESE, SIAMESE_HEADS, siameseHead } from './siamese';
export type { SiameseConfig, SiameseHead, SiameseOutput } from './siamese';
export { saveModel, loadModel, fileHandler, readModelArtifacts, readModelMetadata, readWeights, MODEL_JSON, WEIGHTS_BIN } from './save-load';
export type { NamedWeight } from './save-load';
export { loadPretrainedWeights, loadPretrainedWeightsSync, normalizeWeightName } from './pretrained';
export type { PretrainedOptions, PretrainedReport } from './pretrained';
export { countParams, summaryRows } from './summary';
export type { ParamCounts, SummaryRow } from './summary';
export { measureForwardSpeed } from './forward-speed';
export type { ForwardSpeed, ForwardSpeedOptions } from './forward-speed';
export { buildEmbedding, preprocessingFor, MODEL_KINDS, MODEL_KIND_ALIASES, canonicalModelKind, canonicalModelSpec } from './build';
export type { ModelSpec } from './build';
export { L2Normalize, l2Normalize, l2NormalizeRows } from './layers/l2-normalize';
export type { L2NormalizeArgs } from './layers/l2-normalize';
export { readKerasWeights, writeKerasWeights, loadH5wasm } from './keras-h5';
export type { KerasTensor, KerasWeightsFile, KerasLayerToWrite } from './keras-h5';
export {
  KERAS_MOBILENET_V3_SMALL, PRETRAINED_MODELS, WEIGHTS_OPTIONS, FETCH_COMMAND, CONVERTER_VERSION, weightsHome, imagenetWeightsDir, readConvertedMetadata,
  loadImagenetWeights, requireConvertedWeights, ImagenetWeightsError,
} from './imagenet-weights';
export type { PretrainedModelName, WeightsOption, ConvertedMetadata } from './imagenet-weights';
export { convertKerasMobileNetV3Small, writeConvertedWeights, fetchImagenetWeights, kerasLayerName } from './imagenet-convert';
export type { Conversion, ConvertedTensor, FetchWeightsOptions, FetchWeightsResult } from './imagenet-convert';
