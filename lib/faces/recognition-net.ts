/**
 * face-api's dlib-derived face-recognition ResNet, written out here with tfjs ops so that it can be split
 * in two and its top trained:
 *
 * - the **trunk** (150x150 RGB chip -> 4x4x256 activations: the stem and 14 residual blocks) stays frozen;
 *   its output is what {@link trunkActivations} returns and what a fine-tuning run caches once per image;
 * - the **top** (the last down-sampling residual block `conv256_down_out`, global average pooling and the
 *   256 -> 128 projection `fc`) is small (1.2 M weights, about 1.2 M multiply-adds per face) and is what
 *   fine-tuning trains, starting from face-api's weights, so step 0 reproduces the zero-shot descriptor.
 *
 * The weights are read from the package's weight files by `readWeightsManifest` (the same files face-api
 * loads), and the forward pass is face-api's own (`FaceRecognitionNet.forwardInput`): each conv is
 * conv + bias, then dlib's affine "scale" layer (x * weights + biases), then ReLU except after a block's
 * second conv; a down-sampling block adds a 2x2 average pool of its input (zero channels appended when the
 * width doubles, the conv branch zero-padded when it comes out one pixel smaller) before the ReLU. The test
 * checks it against face-api's `computeFaceDescriptor` on the same chip.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { toFloat16 } from '../util/float16';
import { FACE_API_NETS, faceApiModelDir, readWeightsManifest } from './face-api';

/** The recognition net's input side, in pixels. */
export const RECOGNITION_INPUT = 150;
/** The trunk's output: 4x4 positions of 256 channels for a 150 px chip. */
export const TRUNK_SHAPE = Object.freeze([4, 4, 256] as const);
export const TRUNK_SIZE = 4 * 4 * 256;
/** The descriptor's length. */
export const DESCRIPTOR_SIZE = 128;
/** dlib's per-channel mean (RGB, 0..255) subtracted before the first conv. */
const MEAN_RGB = [122.782, 117.001, 104.298];

const TRUNK_BLOCKS = [
  ['conv32_1', 'same'], ['conv32_2', 'same'], ['conv32_3', 'same'],
  ['conv64_down', 'down'], ['conv64_1', 'same'], ['conv64_2', 'same'], ['conv64_3', 'same'],
  ['conv128_down', 'down'], ['conv128_1', 'same'], ['conv128_2', 'same'],
  ['conv256_down', 'down'], ['conv256_1', 'same'], ['conv256_2', 'same'],
] as const;

/**
 * The trainable top's weights: one down-sampling residual block and the projection, and, in a top trained
 * deeper, the trunk's last blocks before them (`blocks`, {@link OPEN_BLOCKS}: then it takes the activations
 * of a trunk run with that many blocks left out, {@link trunkActivations}' `open`).
 */
export interface RecognitionTop {
  /** The trunk's last `blocks.length` residual blocks, in the order they run (absent: none). */
  readonly blocks?: readonly ResidualBlock[];
  readonly conv1: ConvScale;
  readonly conv2: ConvScale;
  /** [256, 128]. */
  readonly fc: tf.Tensor2D;
}

/** One conv with its bias and dlib's affine scale layer. */
export interface ConvScale {
  readonly filters: tf.Tensor4D;
  readonly bias: tf.Tensor1D;
  readonly scaleWeights: tf.Tensor1D;
  readonly scaleBiases: tf.Tensor1D;
}

/** The whole network's weights. */
export interface RecognitionNet {
  readonly weights: tf.NamedTensorMap;
  readonly top: RecognitionTop;
  /** Frees every weight tensor. */
  dispose(): void;
}

function convScale(w: tf.NamedTensorMap, prefix: string, file: string): ConvScale {
  const get = (name: string): tf.Tensor => {
    const t = w[`${prefix}/${name}`];
    if (!t) throw new Error(`${file}: no tensor ${prefix}/${name} (not face-api's recognition weights?)`);
    return t;
  };
  return { filters: get('conv/filters') as tf.Tensor4D, bias: get('conv/bias') as tf.Tensor1D, scaleWeights: get('scale/weights') as tf.Tensor1D, scaleBiases: get('scale/biases') as tf.Tensor1D };
}

/**
 * Reads the recognition net's weights (default: the installed package's files). Throws naming the file
 * when a tensor is missing or has the wrong shape.
 * @see notebooks/06-test-evaluation.ipynb
 */
export function loadRecognitionNet(modelDir = faceApiModelDir()): RecognitionNet {
  const file = path.join(modelDir, `${FACE_API_NETS.recognition}-weights_manifest.json`);
  const weights = readWeightsManifest(file);
  try {
    const top = topOf(weights, file);
    for (const [name] of TRUNK_BLOCKS) { convScale(weights, `${name}/conv1`, file); convScale(weights, `${name}/conv2`, file); }
    convScale(weights, 'conv32_down', file);
    return { weights, top, dispose: () => tf.dispose(Object.values(weights)) };
  } catch (err) {
    tf.dispose(Object.values(weights));
    throw err;
  }
}

/** face-api's name of the top's block; its tensors are `<TOP_BLOCK>/conv1/conv/filters` and so on, and `fc`. */
const TOP_BLOCK = 'conv256_down_out';
const CONV_SCALE_PARTS = [['conv/filters', 'filters'], ['conv/bias', 'bias'], ['scale/weights', 'scaleWeights'], ['scale/biases', 'scaleBiases']] as const;

/**
 * The top's tensors by face-api's names, in the order of a trainable copy's variables (conv1's filters, bias,
 * scale weights and biases, conv2's, then `fc`).
 */
export function topTensors(top: RecognitionTop): [string, tf.Tensor][] {
  const cs = (c: ConvScale, n: string): [string, tf.Tensor][] => CONV_SCALE_PARTS.map(([file, field]) => [`${n}/${file}`, c[field]]);
  const names = blockNames(top.blocks?.length ?? 0);
  const blocks = (top.blocks ?? []).flatMap((b, i) => [...cs(b.conv1, `${names[i]}/conv1`), ...cs(b.conv2, `${names[i]}/conv2`)]);
  return [...blocks, ...cs(top.conv1, `${TOP_BLOCK}/conv1`), ...cs(top.conv2, `${TOP_BLOCK}/conv2`), ['fc', top.fc]];
}

/** face-api's names of the trunk's last `open` blocks, in the order they run. */
function blockNames(open: number): string[] {
  return TRUNK_BLOCKS.slice(TRUNK_BLOCKS.length - checkOpen(open)).map(([name]) => name);
}

/** The top's tensors among `weights` (face-api's names); throws naming `file` when one is missing or not the top's shape. */
function topOf(weights: tf.NamedTensorMap, file: string, withBlocks = false): RecognitionTop {
  const fc = weights.fc;
  if (!fc || fc.shape.join('x') !== '256x128') throw new Error(`${file}: tensor fc should be 256x128, got ${fc ? fc.shape.join('x') : 'none'}`);
  const want: Record<string, string> = { filters: '3x3x256x256', bias: '256', scaleWeights: '256', scaleBiases: '256' };
  const cs = (n: string): ConvScale => {
    const c = convScale(weights, n, file);
    for (const [, field] of CONV_SCALE_PARTS) {
      if (c[field].shape.join('x') !== want[field]) throw new Error(`${file}: ${n} ${field} should be ${want[field]}, got ${c[field].shape.join('x')}`);
    }
    return c;
  };
  // a top trained deeper holds the trunk's last blocks too: as many as it has, counted from the end
  let open = 0;
  while (withBlocks && open < OPEN_BLOCKS.length && weights[`${OPEN_BLOCKS[open]}/conv1/conv/filters`]) open++;
  const blocks = blockNames(open).map((n) => ({ conv1: cs(`${n}/conv1`), conv2: cs(`${n}/conv2`) }));
  return { ...(blocks.length ? { blocks } : {}), conv1: cs(`${TOP_BLOCK}/conv1`), conv2: cs(`${TOP_BLOCK}/conv2`), fc: fc as tf.Tensor2D };
}

/** Tensors at least this large are stored at half precision by {@link saveRecognitionTop} (the filters and `fc`). */
const HALF_FROM = 1024;

/**
 * Writes a top's weights (`values` in {@link topTensors}' order, shaped like `like`'s tensors) as a tfjs weights
 * manifest `<dir>/<name>-weights_manifest.json` and its `<name>.bin`: the filters and the projection at half
 * precision (float16, half the bytes; their rounding is far below what training changes), the 256-long vectors
 * as float32. Returns the manifest's path; {@link loadRecognitionTop} reads it back.
 */
export function saveRecognitionTop(dir: string, name: string, values: readonly Float32Array[], like: RecognitionTop): string {
  const named = topTensors(like);
  if (values.length !== named.length) throw new RangeError(`a top has ${named.length} tensors, got ${values.length} arrays`);
  const weights: tf.io.WeightsManifestEntry[] = [];
  const parts: Buffer[] = [];
  named.forEach(([n, t], i) => {
    if (values[i].length !== t.size) throw new RangeError(`${n}: ${values[i].length} values for shape [${t.shape.join(', ')}]`);
    const half = t.size >= HALF_FROM;
    weights.push({ name: n, shape: t.shape, dtype: 'float32', ...(half ? { quantization: { dtype: 'float16' as const } } : {}) });
    const data = half ? toFloat16(values[i]) : Float32Array.from(values[i]);
    parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  fs.mkdirSync(dir, { recursive: true });
  const bin = `${name}.bin`;
  fs.writeFileSync(path.join(dir, bin), Buffer.concat(parts));
  const manifest = path.join(dir, `${name}-weights_manifest.json`);
  fs.writeFileSync(manifest, `${JSON.stringify([{ paths: [bin], weights }], null, 1)}\n`);
  return manifest;
}

/**
 * Reads a top written by {@link saveRecognitionTop} (or any manifest with the top's tensors under face-api's names).
 * Throws naming the file when a tensor is missing or its shape is not the top's.
 */
export function loadRecognitionTop(manifestFile: string): RecognitionTop {
  const weights = readWeightsManifest(manifestFile);
  try {
    const top = topOf(weights, manifestFile, true);
    const kept = new Set<tf.Tensor>(topTensors(top).map(([, t]) => t));
    tf.dispose(Object.values(weights).filter((t) => !kept.has(t)));
    return top;
  } catch (err) {
    tf.dispose(Object.values(weights));
    throw err;
  }
}

function conv(x: tf.Tensor4D, c: ConvScale, stride: number, relu: boolean, pad: 'same' | 'valid' = 'same'): tf.Tensor4D {
  const y = tf.add(tf.mul(tf.add(tf.conv2d(x, c.filters, stride, pad), c.bias), c.scaleWeights), c.scaleBiases) as tf.Tensor4D;
  return relu ? tf.relu(y) as tf.Tensor4D : y;
}

function sameBlock(x: tf.Tensor4D, c1: ConvScale, c2: ConvScale): tf.Tensor4D {
  return tf.relu(tf.add(conv(conv(x, c1, 1, true), c2, 1, false), x)) as tf.Tensor4D;
}

/** face-api's down-sampling residual block (see the module comment for its padding quirks). */
function downBlock(x: tf.Tensor4D, c1: ConvScale, c2: ConvScale): tf.Tensor4D {
  let e = conv(conv(x, c1, 2, true, 'valid'), c2, 1, false);
  let r = tf.avgPool(x, 2, 2, 'valid') as tf.Tensor4D;
  if (r.shape[1] !== e.shape[1] || r.shape[2] !== e.shape[2]) {
    e = tf.pad(e, [[0, 0], [0, r.shape[1] - e.shape[1]], [0, r.shape[2] - e.shape[2]], [0, 0]]);
  }
  if (r.shape[3] !== e.shape[3]) r = tf.pad(r, [[0, 0], [0, 0], [0, 0], [0, e.shape[3] - r.shape[3]]]);
  return tf.relu(tf.add(r, e)) as tf.Tensor4D;
}

/**
 * The trunk's residual blocks that may be left out of the frozen part and trained with the top (from the end:
 * `conv256_2`, then `conv256_1`). Their inputs and outputs are all `[n, 4, 4, 256]`.
 */
export const OPEN_BLOCKS = Object.freeze(['conv256_2', 'conv256_1'] as const);
/** How many of the trunk's last blocks are trained with the top: 0 (the top alone), 1 or 2 ({@link OPEN_BLOCKS}). */
export type OpenBlocks = 0 | 1 | 2;

/** Checks an open-block count (0, 1 or 2), naming `what` in the error. */
export function checkOpen(open: number, what = 'open blocks'): OpenBlocks {
  if (!(Number.isInteger(open) && open >= 0 && open <= OPEN_BLOCKS.length)) throw new RangeError(`${what}: 0, 1 or 2 of the trunk's last blocks may be opened, got ${open}`);
  return open as OpenBlocks;
}

/** One of the trunk's residual blocks ("same" blocks: the input's shape out). */
export interface ResidualBlock {
  readonly conv1: ConvScale;
  readonly conv2: ConvScale;
}

/**
 * The trunk's last `open` blocks, in the order they run (conv256_1 before conv256_2), with the net's weights:
 * what a top trained with them starts from.
 */
export function openBlocks(net: RecognitionNet, open: number): ResidualBlock[] {
  return blockNames(open).map((name) => ({ conv1: convScale(net.weights, `${name}/conv1`, 'recognition net'), conv2: convScale(net.weights, `${name}/conv2`, 'recognition net') }));
}

/**
 * face-api's own top for activations `open` blocks short of the trunk's output: its top with the trunk's last
 * `open` blocks in front (the same tensors as the net's; nothing to dispose). With `open` 0, `net.top` itself.
 */
export function zeroShotTop(net: RecognitionNet, open: number): RecognitionTop {
  return checkOpen(open) ? { ...net.top, blocks: openBlocks(net, open) } : net.top;
}

/** Runs residual blocks (from {@link openBlocks}, or trained copies of them) over `[n, 4, 4, 256]` activations. */
export function runBlocks(blocks: readonly ResidualBlock[], x: tf.Tensor4D): tf.Tensor4D {
  if (!blocks.length) return x;
  return tf.tidy(() => blocks.reduce((a, b) => sameBlock(a, b.conv1, b.conv2), x));
}

/**
 * The frozen trunk: chips `[n, 150, 150, 3]` (RGB 0..255, any numeric dtype) to `[n, 4, 4, 256]`. With
 * `open` > 0 the trunk's last `open` blocks are left out ({@link OPEN_BLOCKS}): the activations are their input,
 * of the same shape.
 * @see notebooks/06-test-evaluation.ipynb
 */
export function trunkActivations(net: RecognitionNet, chips: tf.Tensor4D, open = 0): tf.Tensor4D {
  const blocks = TRUNK_BLOCKS.slice(0, TRUNK_BLOCKS.length - checkOpen(open));
  if (chips.shape[1] !== RECOGNITION_INPUT || chips.shape[2] !== RECOGNITION_INPUT || chips.shape[3] !== 3) {
    throw new RangeError(`the recognition net takes [n, ${RECOGNITION_INPUT}, ${RECOGNITION_INPUT}, 3] chips, got [${chips.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const w = net.weights;
    const c = (name: string) => convScale(w, name, 'recognition net');
    const x = tf.div(tf.sub(tf.cast(chips, 'float32'), tf.tensor1d(MEAN_RGB)), 255) as tf.Tensor4D;
    let a = conv(x, c('conv32_down'), 2, true, 'valid');
    a = tf.maxPool(a, 3, 2, 'valid');
    for (const [name, kind] of blocks) {
      a = kind === 'same' ? sameBlock(a, c(`${name}/conv1`), c(`${name}/conv2`)) : downBlock(a, c(`${name}/conv1`), c(`${name}/conv2`));
    }
    return a;
  });
}

/**
 * The top: trunk activations `[n, 4, 4, 256]` to descriptors `[n, 128]`, with the given weights (face-api's,
 * or trained ones; they may be `tf.Variable`s, so this is differentiable).
 * @see notebooks/06-test-evaluation.ipynb
 */
export function topDescriptors(top: RecognitionTop, trunk: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(tf.mean(downBlock(runBlocks(top.blocks ?? [], trunk), top.conv1, top.conv2), [1, 2]) as tf.Tensor2D, top.fc));
}

/**
 * The whole network: chips to descriptors (what face-api's `computeFaceDescriptor` returns).
 * @see notebooks/06-test-evaluation.ipynb
 */
export function describeChips(net: RecognitionNet, chips: tf.Tensor4D, top: RecognitionTop = net.top): tf.Tensor2D {
  return tf.tidy(() => topDescriptors(top, trunkActivations(net, chips, top.blocks?.length ?? 0)));
}
