/**
 * Converting Keras's MobileNetV3Small ImageNet file (HDF5) into the project's MobileNetV3-Small, and
 * fetching it: what `siamese weights fetch mobilenet-v3-small` runs.
 *
 * Mapping: every weight of the project's backbone is looked up in the Keras file by name: the project's
 * layer names are Keras 2's with `/` written as `_`, and {@link kerasLayerName} puts the slashes back
 * (`expanded_conv_3_depthwise_BatchNorm` ← `expanded_conv_3/depthwise/BatchNorm`,
 * `expanded_conv_squeeze_excite_Conv_1` ← `expanded_conv/squeeze_excite/Conv_1`, `Conv_1_BatchNorm` ←
 * `Conv_1/BatchNorm`); the weight keeps its Keras name (`kernel`, `depthwise_kernel`, `bias`, `gamma`, `beta`,
 * `moving_mean`, `moving_variance`). Its shape must be the model's exactly: no transposes, Keras and tfjs share
 * the layouts (imagenet-weights.ts). The first weight that is missing or has another shape stops the
 * conversion with an error naming it and both shapes. Tensors the backbone has no place for are an error too,
 * except the classifier of Keras's `include_top` file (`Conv_2`, `Logits`), which is left out and reported.
 *
 * The result is written as a tfjs weights manifest (model.json without a topology, plus weights.bin) under
 * `<data home>/weights/mobilenet-v3-small-imagenet/`, with the source file's MD5 and SHA-256 and weights.bin's
 * SHA-256 (checked on every load).
 *
 * @see notebooks/04-model-construction.ipynb
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ChecksumError, downloadFile, hashFile, type DownloadOptions, type FileFetchResult, type FileSource } from '../data/download/download';
import { dataHome } from '../util/paths';
import { writeFileAtomicSafe } from '../util/files';
import {
  CONVERTER_VERSION, imagenetWeightsDir, ImagenetWeightsError, KERAS_MOBILENET_V3_SMALL, readConvertedMetadata, weightsHome, type ConvertedMetadata,
} from './imagenet-weights';
import { readKerasWeights, type KerasTensor } from './keras-h5';
import { mobileNetV3Small } from './mobilenet-v3-small';
import { MODEL_JSON, WEIGHTS_BIN } from './save-load';

/** The layers of Keras's `include_top` classifier, which the backbone does not use. */
const KERAS_TOP_LAYERS: ReadonlySet<string> = new Set(['Conv_2', 'Logits']);

/**
 * The Keras 2 layer name of a project layer of MobileNetV3-Small (see the module doc):
 * `expanded_conv_3_depthwise_BatchNorm` → `expanded_conv_3/depthwise/BatchNorm`.
 * @see notebooks/04-model-construction.ipynb
 */
export function kerasLayerName(projectLayer: string): string {
  return projectLayer
    .replace(/_(expand|depthwise|project|squeeze_excite)(?=_|$)/g, '/$1')
    .replace(/_BatchNorm$/, '/BatchNorm')
    .replace(/\/squeeze_excite_(Conv_1|Conv)$/, '/squeeze_excite/$1');
}

/** One converted tensor: the project's weight name (`layer/weight`), its shape and values. */
export interface ConvertedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
  /** Where it came from in the Keras file. */
  readonly from: string;
}

/** What {@link convertKerasMobileNetV3Small} made. */
export interface Conversion {
  /** Every backbone weight of the project's model, layer by layer. */
  readonly tensors: readonly ConvertedTensor[];
  /** Keras tensors left out (the `include_top` classifier), by path. */
  readonly ignored: readonly string[];
  readonly kerasVersion: string | null;
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * The project's backbone weights, layer by layer (name `layer/weight` and shape), from a model built as the
 * ImageNet weights need it; the input size does not change any weight's shape.
 */
async function projectBackbone(): Promise<{ layer: string; weight: string; shape: number[] }[]> {
  await tf.ready();
  const model = mobileNetV3Small({ head: 'none', inputSize: 32, padding: 'keras', inputScaling: 'minusOneToOne' });
  try {
    return model.layers.flatMap((l) => l.weights.map((w) => {
      const name = w.originalName;
      return { layer: name.slice(0, name.lastIndexOf('/')), weight: name.slice(name.lastIndexOf('/') + 1), shape: w.shape as number[] };
    }));
  } finally {
    model.dispose();
  }
}

/**
 * Converts Keras's MobileNetV3Small (alpha 1.0) HDF5 weights (`file`) to the project's weight names, every
 * tensor matched by name and shape (see the module doc). Throws, naming `file`, the first tensor that is
 * missing or has another shape (both shapes), or the first the model has no place for.
 * @see notebooks/04-model-construction.ipynb
 */
export async function convertKerasMobileNetV3Small(file: string): Promise<Conversion> {
  const keras = await readKerasWeights(file);
  const byKey = new Map<string, KerasTensor>();
  for (const t of keras.tensors) {
    const key = `${t.layer}/${t.weight}`;
    if (byKey.has(key)) throw new Error(`${file}: two tensors named ${key} (${byKey.get(key)!.path} and ${t.path})`);
    byKey.set(key, t);
  }
  const tensors: ConvertedTensor[] = [];
  for (const w of await projectBackbone()) {
    const key = `${kerasLayerName(w.layer)}/${w.weight}`;
    const t = byKey.get(key);
    if (t === undefined) {
      throw new Error(`${file}: tensor ${key} (for the model's ${w.layer}/${w.weight}, shape ${shapeText(w.shape)}) is missing from the file: ` +
        `is it Keras's MobileNetV3Small at alpha 1.0 (${KERAS_MOBILENET_V3_SMALL.noTop.file})?`);
    }
    if (!tf.util.arraysEqual(t.shape as number[], w.shape)) {
      throw new Error(`${file}: tensor ${key} has shape ${shapeText(t.shape)} but the model's ${w.layer}/${w.weight} has shape ${shapeText(w.shape)}`);
    }
    tensors.push({ name: `${w.layer}/${w.weight}`, shape: w.shape, values: t.values, from: t.path });
    byKey.delete(key);
  }
  const ignored: string[] = [];
  for (const [key, t] of byKey) {
    if (!KERAS_TOP_LAYERS.has(t.layer)) {
      throw new Error(`${file}: tensor ${key} (shape ${shapeText(t.shape)}) has no place in the model's backbone: ` +
        'is the file MobileNetV3Small at alpha 1.0, not Large, minimalistic or alpha 0.75?');
    }
    ignored.push(t.path);
  }
  return { tensors, ignored, kerasVersion: keras.kerasVersion };
}

/**
 * Writes converted tensors to `dir` as a tfjs weights manifest (model.json with no topology, weights.bin),
 * atomically file by file (weights.bin first, model.json last), with the metadata loading checks.
 * @see notebooks/04-model-construction.ipynb
 */
export function writeConvertedWeights(dir: string, tensors: readonly ConvertedTensor[], source: ConvertedMetadata['source']): ConvertedMetadata {
  const bin = Buffer.concat(tensors.map((t) => Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength)));
  const meta: ConvertedMetadata = {
    converter: CONVERTER_VERSION,
    source,
    weightsSha256: createHash('sha256').update(bin).digest('hex'),
    tensors: tensors.length,
    build: { alpha: 1, padding: 'keras', inputScaling: 'minusOneToOne' },
  };
  const json = {
    format: 'weights-manifest',
    generatedBy: CONVERTER_VERSION,
    convertedBy: null,
    modelTopology: null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: tensors.map((t) => ({ name: t.name, shape: [...t.shape], dtype: 'float32' })) }],
    userDefinedMetadata: meta,
  };
  writeFileAtomicSafe(path.join(dir, WEIGHTS_BIN), [bin]);
  writeFileAtomicSafe(path.join(dir, MODEL_JSON), [`${JSON.stringify(json)}\n`]);
  return meta;
}

/** Options of {@link fetchImagenetWeights}. */
export interface FetchWeightsOptions extends Omit<DownloadOptions, 'archive' | 'dir'> {
  /** A Keras file already on disk (MD5-checked; either of Keras's two files); nothing is downloaded. */
  readonly file?: string;
  /** Download from this URL instead (a mirror); the file is still MD5-checked. */
  readonly url?: string;
  /** Convert again even if converted weights are already there. */
  readonly force?: boolean;
  /** The data home (default `SIAMESE_DATA` or `<project>/data`). */
  readonly home?: string;
  /** The files accepted, first the one downloaded (default Keras's no-top and top files, with their MD5s). */
  readonly sources?: readonly FileSource[];
}

/** What {@link fetchImagenetWeights} did. */
export interface FetchWeightsResult {
  /** The converted weights' folder. */
  readonly dir: string;
  /** False when converted weights were already there (nothing read or downloaded). */
  readonly converted: boolean;
  readonly metadata: ConvertedMetadata;
  /** The Keras file used, when converted. */
  readonly download: FileFetchResult | null;
  readonly ignored: readonly string[];
}

/**
 * Makes MobileNetV3-Small's ImageNet weights ready for `mobileNetV3Small({weights: 'imagenet'})`: reuses the
 * converted weights if there (unless `force` or `file`), else gets Keras's file (`file`, or the copy already in
 * `<data home>/weights/`, or a resumable, MD5-checked download: see `downloadFile`), records its SHA-256 and
 * converts it. Offline, the error names the URL and says to download it elsewhere and pass `--file PATH`.
 * @see notebooks/04-model-construction.ipynb
 */
export async function fetchImagenetWeights(options: FetchWeightsOptions = {}): Promise<FetchWeightsResult> {
  const home = options.home ?? dataHome();
  const dir = imagenetWeightsDir(home);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!options.force && !options.file) {
    let existing: ConvertedMetadata | null = null;
    try {
      existing = readConvertedMetadata(dir);
    } catch (err) {
      if (!(err instanceof ImagenetWeightsError)) throw err;
      log(`${err.message.split(';')[0]}; converting again`);
    }
    if (existing) return { dir, converted: false, metadata: existing, download: null, ignored: [] };
  }
  const sources = options.sources ?? [KERAS_MOBILENET_V3_SMALL.noTop, KERAS_MOBILENET_V3_SMALL.top];
  if (sources.length === 0) throw new RangeError('fetchImagenetWeights: sources must not be empty');
  let source = options.url ? { ...sources[0], url: options.url } : sources[0];
  if (options.file) {
    // Either published file will do: its MD5 says which it is.
    const { md5 } = await hashFile(path.resolve(options.file)).catch(() => ({ md5: '' }));
    const match = sources.find((s) => s.md5 === md5);
    if (match) source = match;
    else if (md5 && sources.length > 1) {
      throw new ChecksumError(path.resolve(options.file), sources.map((s) => `${s.md5} (${s.file})`).join(' or '), md5,
        `It is not one of Keras's MobileNetV3Small weight files, or it is damaged or truncated: fetch ${sources[0].url} again.`, 'MD5');
    }
  }
  const download = await downloadFile(source, { ...options, dir: weightsHome(home), file: options.file, flag: '--file' });
  log(`converting ${download.path} ...`);
  const conversion = await convertKerasMobileNetV3Small(download.path);
  const metadata = writeConvertedWeights(dir, conversion.tensors, { file: source.file, url: source.url, md5: download.md5, sha256: download.sha256 });
  return { dir, converted: true, metadata, download, ignored: conversion.ignored };
}
