/**
 * Face-pretrained networks shipped in the npm package `@vladmandic/face-api` (MIT licence, about 24 MB
 * unpacked, 12.7 MB download), used frozen:
 *
 * - `recognition`: the dlib-derived ResNet face descriptor (150x150 RGB in, 0-255; 128-d out; compared by
 *   Euclidean distance; its author publishes 99.38 % on LFW, trained on outside data, about 3 million
 *   faces, none of them LFW's test people by dlib's account);
 * - `ssd` (SSD MobileNet v1) and `tiny` (Tiny Face Detector): face detectors;
 * - `landmarks`: the 68-point landmark net used to align a detected face before description.
 *
 * The package's weight files are uint8-quantised tfjs weight manifests (`*-weights_manifest.json` + `.bin`)
 * without a topology: the networks are built by face-api's own JavaScript. This module reads and checks the
 * weight files itself (sizes, names, shapes, through `tf.io.decodeWeights`) and hands the weights to the
 * package's `face-api.node-wasm.js` build, which needs only `@tensorflow/tfjs` (not tfjs-node) and runs on
 * whichever backend `initBackend()` chose (it does not switch backends).
 *
 * @see notebooks/07-personal-images.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/**
 * The npm package the weights and network code come from.
 * @see notebooks/04-model-construction.ipynb
 */
export const FACE_API_PACKAGE = '@vladmandic/face-api';

/**
 * The networks this module can load, and their files in the package's `model/` folder.
 * @see notebooks/04-model-construction.ipynb
 */
export const FACE_API_NETS = Object.freeze({
  recognition: 'face_recognition_model',
  ssd: 'ssd_mobilenetv1_model',
  tiny: 'tiny_face_detector_model',
  landmarks: 'face_landmark_68_model',
});

export type FaceApiNetName = keyof typeof FACE_API_NETS;

/** A 2-D point in image pixels. */
export interface Point2 {
  readonly x: number;
  readonly y: number;
}

/** The minimal shape of face-api's module that this project uses (its own .d.ts does not compile here). */
export interface FaceApiModule {
  readonly nets: {
    readonly faceRecognitionNet: FaceApiNet & { computeFaceDescriptor(input: tf.Tensor | tf.Tensor[]): Promise<Float32Array | Float32Array[]> };
    readonly ssdMobilenetv1: FaceApiNet;
    readonly tinyFaceDetector: FaceApiNet;
    readonly faceLandmark68Net: FaceApiNet & { detectLandmarks(input: tf.Tensor3D): Promise<unknown> };
  };
  readonly SsdMobilenetv1Options: new (o: { minConfidence?: number; maxResults?: number }) => unknown;
  readonly TinyFaceDetectorOptions: new (o: { inputSize?: number; scoreThreshold?: number }) => unknown;
  detectAllFaces(input: tf.Tensor3D, options: unknown): {
    withFaceLandmarks(): Promise<FaceApiResult[]>;
  } & Promise<{ box: FaceApiBox; score: number }[]>;
  /** Each detection's box cut from the image (clipped to it; boxes left empty are dropped). */
  extractFaceTensors(input: tf.Tensor3D, detections: readonly unknown[]): Promise<tf.Tensor3D[]>;
  extendWithFaceDetection<T extends object>(obj: T, detection: unknown): T & { detection: unknown };
  /** The landmarks (relative to the detection's box) shifted onto the image, and face-api's aligned box. */
  extendWithFaceLandmarks(obj: { detection: unknown }, landmarks: unknown): FaceApiResult;
  readonly version?: string;
}

/** One face-api network object. */
export interface FaceApiNet {
  readonly isLoaded: boolean;
  loadFromWeightMap(weights: tf.NamedTensorMap): void;
  dispose(throwOnRedispose?: boolean): void;
}

/** face-api's box (fields are getters on a class). */
export interface FaceApiBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** What `detectAllFaces(...).withFaceLandmarks()` returns per face. */
export interface FaceApiResult {
  readonly detection: { readonly box: FaceApiBox; readonly score: number };
  readonly landmarks: {
    readonly positions: readonly Point2[];
    align(detection?: unknown, options?: { useDlibAlignment?: boolean; minBoxPadding?: number }): FaceApiBox;
  };
}

let faceApiModule: FaceApiModule | null = null;

/**
 * face-api's tfjs-only build (loaded once).
 * @see notebooks/04-model-construction.ipynb
 */
export function faceApi(): FaceApiModule {
  if (faceApiModule) return faceApiModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    faceApiModule = require(`${FACE_API_PACKAGE}/dist/face-api.node-wasm.js`) as FaceApiModule;
  } catch (err) {
    throw new Error(`cannot load ${FACE_API_PACKAGE} (npm install ${FACE_API_PACKAGE}): ${(err as Error).message}`);
  }
  return faceApiModule;
}

/**
 * The package's `model/` folder.
 * @see notebooks/04-model-construction.ipynb
 */
export function faceApiModelDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve(`${FACE_API_PACKAGE}/package.json`);
  } catch {
    throw new Error(`${FACE_API_PACKAGE} is not installed; run \`npm install ${FACE_API_PACKAGE}\``);
  }
  return path.join(path.dirname(pkg), 'model');
}

interface ManifestGroup {
  readonly paths: readonly string[];
  readonly weights: readonly tf.io.WeightsManifestEntry[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

/** Bytes one weight takes in the file (quantised weights take their quantised dtype's size). */
function entryBytes(w: tf.io.WeightsManifestEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  return n * (BYTES[w.quantization?.dtype ?? w.dtype] ?? NaN);
}

/**
 * Reads a tfjs weights manifest (`<name>-weights_manifest.json` and its `.bin` files) into named tensors,
 * checking that it parses and that the binary files have exactly the bytes the manifest describes. Errors
 * name the file and what is wrong.
 * @see notebooks/04-model-construction.ipynb
 */
export function readWeightsManifest(manifestFile: string): tf.NamedTensorMap {
  let groups: ManifestGroup[];
  try {
    groups = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as ManifestGroup[];
  } catch (err) {
    throw new Error(`${manifestFile}: not a readable tfjs weights manifest (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!Array.isArray(groups) || groups.some((g) => !Array.isArray(g?.paths) || !Array.isArray(g?.weights))) {
    throw new Error(`${manifestFile}: not a tfjs weights manifest (expected a JSON array of {paths, weights} groups)`);
  }
  const dir = path.dirname(manifestFile);
  const buffers: Buffer[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const g of groups) {
    const data = Buffer.concat(g.paths.map((p) => {
      const file = path.join(dir, p);
      try {
        return fs.readFileSync(file);
      } catch (err) {
        throw new Error(`${manifestFile}: weight file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }));
    const expected = g.weights.reduce((s, w) => s + entryBytes(w), 0);
    if (data.length !== expected) {
      throw new Error(`${manifestFile}: ${g.paths.join(', ')} has ${data.length} bytes but the manifest describes ${expected} (wrong or truncated weight file?)`);
    }
    buffers.push(data);
    specs.push(...g.weights);
  }
  const all = Buffer.concat(buffers);
  return tf.io.decodeWeights(all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer, specs);
}

function netObject(api: FaceApiModule, name: FaceApiNetName): FaceApiNet {
  switch (name) {
    case 'recognition': return api.nets.faceRecognitionNet;
    case 'ssd': return api.nets.ssdMobilenetv1;
    case 'tiny': return api.nets.tinyFaceDetector;
    case 'landmarks': return api.nets.faceLandmark68Net;
  }
}

/** Options of {@link loadFaceApi}. */
export interface LoadFaceApiOptions {
  /** Folder with the weight files (default: the installed package's `model/`). */
  readonly modelDir?: string;
}

/**
 * Loads the named face-api networks (once; later calls return at once) and returns the module. Throws,
 * naming the file, when a weight file is missing, truncated, or belongs to another network.
 * @see notebooks/04-model-construction.ipynb
 */
export async function loadFaceApi(names: readonly FaceApiNetName[], options: LoadFaceApiOptions = {}): Promise<FaceApiModule> {
  const api = faceApi();
  const dir = options.modelDir ?? faceApiModelDir();
  for (const name of names) {
    if (!(name in FACE_API_NETS)) throw new RangeError(`unknown face-api network ${JSON.stringify(name)}; use one of ${Object.keys(FACE_API_NETS).join(', ')}`);
    const net = netObject(api, name);
    if (net.isLoaded) continue;
    const file = path.join(dir, `${FACE_API_NETS[name]}-weights_manifest.json`);
    const weights = readWeightsManifest(file);
    try {
      net.loadFromWeightMap(weights);
    } catch (err) {
      tf.dispose(Object.values(weights));
      throw new Error(`${file} does not fit face-api's ${name} network: ${(err as Error).message}`);
    }
    // face-api keeps every tensor of the map it was given (unused entries are few and small), so none is freed here
  }
  return api;
}

/**
 * Frees a loaded network's weights (it can be loaded again).
 * @see notebooks/04-model-construction.ipynb
 */
export function disposeFaceApi(names: readonly FaceApiNetName[]): void {
  const api = faceApi();
  for (const name of names) {
    const net = netObject(api, name);
    if (net.isLoaded) net.dispose();
  }
}
