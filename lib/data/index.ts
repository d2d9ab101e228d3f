/**
 * Data: datasets in identity folders, decoding and its cache, pair files, splits, the data resolver, analysis,
 * the LFW download (`download/`) and the built-in synthetic set (`synth/`). Imports only util.
 */
export type { IsSame, LabelledValues, ThresholdedValues, ImageRef, Pair, PairSource, PairList, Channels, DecodedImage, Preprocessing, Normalization } from './types';
export { NO_CROP, DEFAULT_LFW_CROP, resolveCrop, cropKey, cropRegion } from './crop';
export type { CropConfig, NoCrop, CenterCrop, BoxCrop, PixelBox } from './crop';
export {
  decodeImage, decodeImageBuffer, resolveLoadOptions, loadOptionsKey, sniffFormat, ImageDecodeError, DEFAULT_LOAD, MAX_INPUT_PIXELS, DECODER_VERSION,
  MAX_INPUT_BYTES, FLATTEN_BACKGROUND, TRANSPARENCY_WARNING_FRACTION, readImageFile, openImage, flattenAlpha, transparencyOf, transparencyWarning,
} from './image';
export type { LoadOptions, ImageFormat, OpenedImage, Transparency } from './image';
export { readPnm, readPnmHeader, writePnm, isPnm } from './pnm';
export type { PnmImage, PnmHeader } from './pnm';
export { DecodeCache, MemoryDecodeCache, pipelineMemoryBudget } from './cache';
export type { CacheStats } from './cache';
export { Dataset, DatasetError, ImageLoadError, IMAGE_EXTENSIONS, lfwFileName, lfwRef, refKey } from './dataset';
export type { DatasetLayout, DatasetProblem, OpenDatasetOptions } from './dataset';
export { projectRoot, dataHome, lfwMetaDir, decodeCacheDir, splitsDir } from './paths';
export {
  parseOfficialPairs, readOfficialPairs, loadOfficialPairs, formatOfficialPairs,
  parseSeed2Pairs, readSeed2Pairs, formatSeed2Pairs, writeSeed2Pairs,
  validatePairs, findMissing, makePairList, pairKey, pairFilesFor, PairFileError, OFFICIAL_PAIR_FILES,
} from './pairs';
// the Siamese CNN reference's pair-list format under its current name (the `Seed2` names are the old ones, kept)
export {
  parseSeed2Pairs as parseSiameseCnnPairs, readSeed2Pairs as readSiameseCnnPairs, formatSeed2Pairs as formatSiameseCnnPairs, writeSeed2Pairs as writeSiameseCnnPairs,
} from './pairs';
export type { PairIssue, ReadPairsOptions, OfficialPairFile } from './pairs';
export {
  makeSplit, makeView1Split, makeView2FoldSplit, view2PairList, view2ValidationFold, samplePairs, resolveSplitConfig, checkLeakage, assertNoLeakage, splitPairList,
  formatSplit, saveSplit, loadSplit, DEFAULT_SPLIT, SPLIT_PRESETS, SPLIT_PRESET_ALIASES, canonicalSplitPreset, legacySplitPreset, SPLIT_NAMES, splitRng, datasetFingerprint, pairFileHashes, splitInputs, staleInputs,
} from './split';
export type { Split, SplitConfig, SplitConfigInput, SplitName, LeakageReport, SplitInputs, SplitProtocol } from './split';
export { resolveData, openData, findDownloadedLfw, looksLikeDataset, existingSynthetic, setDefaultSyntheticStep } from './resolve';
export type { DataSource, ResolvedData, ResolveDataOptions, SyntheticStep, SyntheticResult } from './resolve';
export { imagesToTensor } from './tensor';
export {
  datasetSummary, peopleFrame, topPeople, imagesPerPersonDistribution, imageStats, imageStatsFrame, channelMeans, describeRows,
  pairListSummary, pairSummaryFrame, frameRows,
} from './analysis';
export type { DatasetSummary, ImageStats, ImageStatsOptions, PairListSummary } from './analysis';
export { ensureSynthetic, generateSynthetic, planSynthetic, resolveSynthConfig, readSynthManifest, manifestMatches, renderSyntheticImage, sampleIdentity, sampleVariation, faceSvg, renderFace, DEFAULT_SYNTH, SYNTH_VERSION, SYNTH_MANIFEST, SYNTH_CROP, DEFAULT_TAIL_EXPONENT, LFW_SINGLE_SHARE, imageCounts } from './synth/generate';
export type { SynthConfig, SynthManifest, SynthPerson, SynthPlan, SynthResult, GenerateOptions, FaceIdentity, FaceVariation, ImagesPerPerson, LfwLikeImages } from './synth/generate';
export { downloadLfw, fetchDataset, downloadFile, sha256File, hashFile, parseLfwVariant, LFW_ARCHIVES, LFW_VARIANTS, DownloadError, ChecksumError } from './download/download';
export type { ArchiveSource, LfwVariant, DownloadOptions, FetchResult, ProgressMode, FileSource, FileDownloadOptions, FileFetchResult } from './download/download';
export { extractTarGz, safeEntryPath, ArchiveError } from './download/tar';
export type { ExtractResult, TarEntryInfo } from './download/tar';
