/**
 * MobileNetV3-Small's ImageNet weights: where Keras publishes them, where the project keeps them once
 * converted, and loading them into a model (`mobileNetV3Small({weights: 'imagenet'})` calls
 * {@link loadImagenetWeights}). Fetching and converting is imagenet-convert.ts (`siamese weights fetch
 * mobilenet-v3-small`).
 *
 * The weights are Keras's `MobileNetV3Small(weights='imagenet')` (68.1 % ImageNet top-1, Keras's table),
 * trained with TensorFlow, not torchvision's `mobilenet_v3_small(weights=IMAGENET1K_V1)` that the MobileNetV3 notebook's
 * PyTorch notebook loaded (67.7 %): no npm package ships torchvision's, Keras's are one pinned file. The
 * network is the same, two details differ, and a model built with `weights: 'imagenet'` takes Keras's:
 * - preprocessing: Keras maps pixels to [−1, 1] (`Rescaling(1/127.5, −1)` on 0–255; here `inputScaling:
 *   'minusOneToOne'`, `x·2 − 1` on [0, 1]); torchvision subtracts ImageNet's mean and divides by its std.
 * - padding of stride-2 convolutions: TensorFlow's "same" (one more row/column after than before on even
 *   sizes; `padding: 'keras'`), where torchvision pads (k−1)/2 on both sides.
 * Hard swish (`x·relu6(x+3)/6`), the squeeze-excite gate (hard sigmoid `relu6(x+3)/6`, on a 1×1 conv with
 * bias after a ReLU 1×1 conv with bias, `_depth(channels/4)` wide) and batch norm's epsilon 1e-3 are the
 * same in both and here. Layouts need no transposes: Keras and tfjs both keep conv kernels as
 * `[kh, kw, in, out]`, depthwise kernels as `[kh, kw, channels, 1]`, all channels-last.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { FileSource } from '../data/download/download';
import { dataHome } from '../util/paths';
import { loadPretrainedWeightsSync, type PretrainedReport } from './pretrained';
import { readWeights, MODEL_JSON, WEIGHTS_BIN } from './save-load';

const KERAS_BASE = 'https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/';

/**
 * Keras's published MobileNetV3Small (alpha 1.0, 224, float) weight files and their MD5s, exactly as
 * `keras/src/applications/mobilenet_v3.py` names them (`WEIGHTS_HASHES['small_224_1.0_float']`): the
 * backbone only (`include_top=False`, the `_no_top_v2` file Keras 2.6+ and 3 load), and the whole
 * classifier (`include_top=True`; its extra `Conv_2` and `Logits` layers are not used here). `siamese
 * weights fetch` downloads the backbone file; `--file` takes either.
 */
export const KERAS_MOBILENET_V3_SMALL: Readonly<Record<'noTop' | 'top', FileSource>> = Object.freeze({
  noTop: {
    file: 'weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5',
    url: `${KERAS_BASE}weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5`,
    md5: 'd3e8ec802a04aa4fc771ee12a9a9b836',
    sha256: null,
    approxSize: '~4 MB',
  },
  top: {
    file: 'weights_mobilenet_v3_small_224_1.0_float.h5',
    url: `${KERAS_BASE}weights_mobilenet_v3_small_224_1.0_float.h5`,
    md5: '8768d4c2e7dee89b9d02b2d03d65d862',
    sha256: null,
    approxSize: '~10 MB',
  },
});

/** The model names `siamese weights fetch` knows. */
export const PRETRAINED_MODELS = ['mobilenet-v3-small'] as const;
export type PretrainedModelName = (typeof PRETRAINED_MODELS)[number];

/** The weights options of a model config: none (seeded random init) or ImageNet. */
export const WEIGHTS_OPTIONS = ['none', 'imagenet'] as const;
export type WeightsOption = (typeof WEIGHTS_OPTIONS)[number];

/** Where downloaded and converted weights live: `<data home>/weights` (`SIAMESE_DATA` moves it). */
export function weightsHome(home: string = dataHome()): string {
  return path.join(home, 'weights');
}

/** The converted ImageNet weights of MobileNetV3-Small: `<data home>/weights/mobilenet-v3-small-imagenet/`. */
export function imagenetWeightsDir(home: string = dataHome()): string {
  return path.join(weightsHome(home), 'mobilenet-v3-small-imagenet');
}

/** The command that makes the converted file, as the errors print it. */
export const FETCH_COMMAND = 'siamese weights fetch mobilenet-v3-small';

/** Converted weights that are absent or damaged; the message says which file and the command that makes it. */
export class ImagenetWeightsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImagenetWeightsError';
  }
}

/** What the converter stores in the converted model.json (`userDefinedMetadata`). */
export interface ConvertedMetadata {
  readonly converter: string;
  /** The Keras file it was converted from: name, URL, MD5 and SHA-256. */
  readonly source: { readonly file: string; readonly url: string; readonly md5: string; readonly sha256: string };
  /** SHA-256 of weights.bin, checked on every load. */
  readonly weightsSha256: string;
  readonly tensors: number;
  /** How a model must be built to use these weights. */
  readonly build: { readonly alpha: 1; readonly padding: 'keras'; readonly inputScaling: 'minusOneToOne' };
}

/** The converter's version: a converted file from another version is converted again. */
export const CONVERTER_VERSION = 'keras-h5-mobilenet-v3-small/1';

/**
 * The metadata of the converted weights in `dir`, checked: null when there is no model.json; an
 * {@link ImagenetWeightsError} naming the file when it is damaged or from another converter version.
 * @see notebooks/04-model-construction.ipynb
 */
export function readConvertedMetadata(dir: string = imagenetWeightsDir()): ConvertedMetadata | null {
  const jsonPath = path.join(dir, MODEL_JSON);
  if (!fs.existsSync(jsonPath)) return null;
  const damaged = (why: string): never => {
    throw new ImagenetWeightsError(`${jsonPath}: ${why}; run \`${FETCH_COMMAND} --force\` to convert it again`);
  };
  let meta: Partial<ConvertedMetadata> | undefined;
  try {
    meta = (JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as { userDefinedMetadata?: Partial<ConvertedMetadata> }).userDefinedMetadata;
  } catch (err) {
    return damaged(`not valid JSON (${(err as Error).message})`);
  }
  if (!meta || typeof meta.weightsSha256 !== 'string' || typeof meta.source?.md5 !== 'string') return damaged('not a converted ImageNet weights file (no converter metadata)');
  if (meta.converter !== CONVERTER_VERSION) return damaged(`converted by ${JSON.stringify(meta.converter)}, this version reads ${CONVERTER_VERSION}`);
  return meta as ConvertedMetadata;
}

/**
 * Loads the converted ImageNet weights into the backbone of `model` (a MobileNetV3-Small built with
 * `padding: 'keras', inputScaling: 'minusOneToOne'`, alpha 1, any input size), by name, every shape
 * checked. Missing: the error names the file and says to run `siamese weights fetch mobilenet-v3-small`.
 * @see notebooks/04-model-construction.ipynb
 */
export function loadImagenetWeights(model: tf.LayersModel, dir: string = imagenetWeightsDir()): PretrainedReport {
  const meta = requireConvertedWeights(dir);
  const bin = path.join(dir, WEIGHTS_BIN);
  const actual = fs.existsSync(bin) ? createHash('sha256').update(fs.readFileSync(bin)).digest('hex') : null;
  if (actual !== meta.weightsSha256) {
    throw new ImagenetWeightsError(`${bin}: ${actual === null ? 'missing' : 'damaged (its SHA-256 is not the one model.json records)'}; run \`${FETCH_COMMAND} --force\` to convert it again`);
  }
  const weights = readWeights(dir);
  try {
    return loadPretrainedWeightsSync(model, weights, { match: 'name' });
  } catch (err) {
    throw new ImagenetWeightsError(`${path.join(dir, MODEL_JSON)}: ${(err as Error).message} (ImageNet weights need alpha 1; build with mobileNetV3Small({weights: 'imagenet'}))`);
  } finally {
    weights.forEach((w) => w.tensor.dispose());
  }
}

/**
 * The metadata of the converted ImageNet weights in `dir`; when there are none, an error naming the file
 * and saying to run `siamese weights fetch mobilenet-v3-small` (what a training run checks before it starts).
 * @see notebooks/04-model-construction.ipynb
 */
export function requireConvertedWeights(dir: string = imagenetWeightsDir()): ConvertedMetadata {
  const meta = readConvertedMetadata(dir);
  if (meta === null) {
    throw new ImagenetWeightsError(`MobileNetV3-small's ImageNet weights are not here yet: ${path.join(dir, MODEL_JSON)} does not exist. ` +
      `Run \`${FETCH_COMMAND}\` to download Keras's file (${KERAS_MOBILENET_V3_SMALL.noTop.url}, MD5-checked) and convert it; ` +
      `on a machine without internet, download that file elsewhere and run \`${FETCH_COMMAND} --file PATH\`.`);
  }
  return meta;
}
