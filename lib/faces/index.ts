/**
 * Faces: the pretrained face-api networks (detector, landmarks, the dlib descriptor), face detection and
 * crops for photos, the is-it-a-face checks, face embedders (face-api, raw pixels, a trained network) and
 * their descriptor caches, and verification (`Verifier`, its committed threshold, the report lines).
 * Faces feed distances to `eval` and embeddings to `apps`; eval never imports this room.
 *
 * @see notebooks/07-personal-images.ipynb
 */
export { loadFaceApi, disposeFaceApi, faceApi, faceApiModelDir, readWeightsManifest, FACE_API_PACKAGE, FACE_API_NETS } from './face-api';
export type { FaceApiNetName, LoadFaceApiOptions, FaceApiModule, Point2 } from './face-api';
export { readPhoto, detectFaces, detectChosenFace, warmUpDetection, detectPasses, equalizeContrast, FOUND_BY, padImage, dedupeFaces, boxIou, tinyInputFor, cropBox, cropFace, squareAround, eyeCentres, resolveDetect, DEFAULT_DETECT } from './detect';
export type { DetectConfig, DetectedFace, FoundBy, PaddedImage, Photo } from './detect';
export { checkLandmarks, landmarksOfCrop, readFaceCheck, faceCheckFile } from './face-check';
export type { FaceCheck, FaceCheckSettings } from './face-check';
export { NON_FACE_FAMILIES, nonFace, nonFaces, parseNonFaceFamily, tightCrop, tightCropSpec } from './probe-images';
export type { NonFaceFamily, TightCropSpec } from './probe-images';
export { prepareFace, prepareDecoded, cropDetectedFace, cropFoundFace, parseFaceCrop, MIN_PHOTO_SIDE, FACE_CROPS, DEFAULT_FACE_CROP } from './prepare-face';
export type { PrepareOptions, PreparedFace, FaceCrop } from './prepare-face';
export { faceApiEmbedder, tunedFaceApiEmbedder, embedCrops, EMBED_BATCH } from './face-embedder';
export type { FaceEmbedder } from './face-embedder';
export { rawPixelsEmbedder } from './raw-pixels';
export { trainedEmbedder, embeddingNetOf } from './trained-embedder';
export { embedDataset, pairImages } from './embed-dataset';
export { readEmbeddingCache, pairValues } from './embedding-cache';
export type { EmbeddingRecord } from './embedding-cache';
export { readVerifyModel, writeVerifyModel, verifyModelsFile, verifySettingsKey, hasVerifyModel, settingsWeightsFile, tunedModelRows } from './verify-model';
export type { VerifyModelSettings } from './verify-model';
export { Verifier, decide, faceCheckThreshold, VERIFY_MODELS, DEFAULT_VERIFY_MODEL, TUNED_MODEL } from './verify';
export { PhotoHelper } from './photo-helper';
export type { PhotoHelperConfig } from './photo-helper';
export type { VerifierOptions, EmbeddedFace, Verdict, FolderRow } from './verify';
export { loadRecognitionNet, loadRecognitionTop, saveRecognitionTop, topTensors, trunkActivations, topDescriptors, describeChips, openBlocks, runBlocks, checkOpen, OPEN_BLOCKS, RECOGNITION_INPUT, TRUNK_SIZE, DESCRIPTOR_SIZE } from './recognition-net';
export type { RecognitionNet, RecognitionTop, ConvScale } from './recognition-net';
export { TrunkCache, fillTrunkCache, deriveTrunkCache, emptyFoundCounts, lfwTrunkDir, TRUNK_RECORD, TRUNK_DETECT } from './trunk-cache';
export type { TrunkRecord, TrunkFoundBy, FillResult } from './trunk-cache';
export { readLfwResults, writeLfwResults, lfwResultsFile } from './lfw-results';
export type { LfwResults, ResultRow } from './lfw-results';
export { faceApiDemoPhotos, mirrorImage, groupPhotoFaces, embedGroupFaces, groupPairs, groupSummary, groupTableRows, groupMatrix, groupMarks, closestPairs, describeGroupSummary, TRUTH_WHY } from './group-photos';
export type { GroupFace, GroupPhoto, GroupVerifier, GroupPair, PairTruth, KnownCounts, FaceMark } from './group-photos';
export { formatVerdict, folderTableRows, folderSummary, textTable, pairMatrix } from './verify-report';
