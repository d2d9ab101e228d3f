/**
 * Loads pretrained weights (e.g. MobileNetV3-Small's ImageNet weights) from a file the user provides
 * into a model built here. No npm package we know of ships these weights, so models start from a
 * seeded random init and this is an explicit, optional step.
 *
 * For MobileNetV3-Small's ImageNet weights the project has its own route, no Python needed: `siamese
 * weights fetch mobilenet-v3-small` downloads Keras's HDF5 file and converts it (imagenet-convert.ts), and
 * `mobileNetV3Small({weights: 'imagenet'})` loads it through this module. The route below is for weights
 * of your own.
 *
 * Getting a file with Python (TensorFlow and the `tensorflowjs` pip package, once):
 *
 *     import tensorflow as tf
 *     m = tf.keras.applications.MobileNetV3Small(input_shape=(224, 224, 3), include_top=False,
 *                                                weights='imagenet', include_preprocessing=False)
 *     m.save('mnv3s.h5')
 *     # shell: tensorflowjs_converter --input_format keras mnv3s.h5 mnv3s_tfjs/
 *
 * then `await loadPretrainedWeights(model, 'mnv3s_tfjs/model.json')` on a model built with
 * `mobileNetV3Small({padding: 'keras', inputScaling: 'minusOneToOne'})` (Keras' preprocessing maps
 * [0, 255] to [−1, 1]; this project's images are in [0, 1]). Only the weights manifest and binary
 * files are read, never the Keras topology, so Keras layers tfjs cannot deserialize do not matter.
 *
 * Matching: by name first. Layer names here follow Keras' MobileNetV3 with `/` written as `_`
 * (`expanded_conv_3/depthwise/BatchNorm/gamma` in the file matches `expanded_conv_3_depthwise_BatchNorm`
 * here), and a prefix of whole path components such as the source model's name is allowed. If some
 * weight has no name match, weights are matched in order instead, every shape checked: layer by layer
 * (kernel, bias, gamma, beta, moving mean, moving variance; Keras' order) or tfjs's saving order (all
 * trainable weights, then all moving statistics). Extra source weights may only follow the matched
 * ones in that case. Either way every target weight must be filled, or nothing is.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { isBackboneLayer } from './backbone';
import { readWeights, type NamedWeight } from './save-load';

/** Options of {@link loadPretrainedWeights}. */
export interface PretrainedOptions {
  /** Which layers receive weights (default: backbone layers, i.e. not `head_*`). */
  readonly layers?: (layer: tf.layers.Layer) => boolean;
  /** `'auto'` (default): by name, else by order. */
  readonly match?: 'auto' | 'name' | 'order';
}

/** What {@link loadPretrainedWeights} did. */
export interface PretrainedReport {
  readonly matchedBy: 'name' | 'order';
  /** Number of weight tensors written. */
  readonly assigned: number;
  /** Source weights that were not used (e.g. a classifier the model does not have). */
  readonly unusedSource: readonly string[];
}

interface Target {
  readonly name: string;
  readonly variable: tf.LayerVariable;
}

const ORDER = ['kernel', 'depthwise_kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance'];

/**
 * `a/b/c:0` → `a_b_c`.
 * @see notebooks/04-model-construction.ipynb
 */
export function normalizeWeightName(name: string): string {
  return name.replace(/:\d+$/, '').replace(/\//g, '_');
}

function suffix(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** The weights of the selected layers, recursing into nested models, in Keras' order (layer by layer). */
function targets(model: tf.LayersModel, select: (layer: tf.layers.Layer) => boolean): Target[] {
  const out: Target[] = [];
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) {
      out.push(...targets(layer, select));
      continue;
    }
    if (!select(layer)) continue;
    const ws = layer.weights.map((v) => ({ name: v.originalName, variable: v }));
    ws.sort((x, y) => ORDER.indexOf(suffix(x.name)) - ORDER.indexOf(suffix(y.name)));
    out.push(...ws);
  }
  return out;
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.join(', ')}]`;
}

function byName(ts: Target[], source: NamedWeight[]): { pairs: [Target, NamedWeight][] } | { error: string } {
  const raw = source.map((s) => s.name.replace(/:\d+$/, ''));
  const norm = raw.map((n) => n.replace(/\//g, '_'));
  const pairs: [Target, NamedWeight][] = [];
  for (const t of ts) {
    const want = normalizeWeightName(t.name);
    let idx = norm.indexOf(want);
    if (idx < 0) {
      // A prefix is allowed only as whole path components: `Model/Conv/kernel` matches `Conv/kernel`,
      // `Model/expanded_conv_squeeze_excite_Conv/kernel` does not.
      const hits = norm.flatMap((n, i) => {
        const cut = n.length - want.length;
        return cut > 0 && n.endsWith(want) && raw[i][cut - 1] === '/' ? [i] : [];
      });
      if (hits.length > 1) return { error: `weight ${t.name} matches several source weights (${hits.map((i) => source[i].name).join(', ')})` };
      idx = hits.length === 1 ? hits[0] : -1;
    }
    if (idx < 0) return { error: `no source weight named like ${t.name}` };
    const s = source[idx];
    if (!tf.util.arraysEqual(s.tensor.shape, t.variable.shape as number[])) {
      return { error: `${t.name} has shape ${shapeText(t.variable.shape)} but source ${s.name} has ${shapeText(s.tensor.shape)}` };
    }
    pairs.push([t, s]);
  }
  return { pairs };
}

function byOrder(ts: Target[], source: NamedWeight[]): { pairs: [Target, NamedWeight][] } | { error: string } {
  if (source.length < ts.length) return { error: `the source has ${source.length} weights, the model needs ${ts.length}` };
  const pairs: [Target, NamedWeight][] = [];
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    const s = source[i];
    if (!tf.util.arraysEqual(s.tensor.shape, t.variable.shape as number[])) {
      return { error: `weight #${i} ${t.name} has shape ${shapeText(t.variable.shape)} but source #${i} ${s.name} has ${shapeText(s.tensor.shape)}` };
    }
    pairs.push([t, s]);
  }
  return { pairs };
}

/**
 * Copies weights from `source` (a model.json path or folder, or weights already read) into the selected
 * layers of `model` (default: its backbone). Throws, changing nothing, if any target weight cannot be
 * matched with the right shape; the message says which.
 * @see notebooks/04-model-construction.ipynb
 */
export async function loadPretrainedWeights(
  model: tf.LayersModel,
  source: string | NamedWeight[],
  options: PretrainedOptions = {},
): Promise<PretrainedReport> {
  return loadPretrainedWeightsSync(model, source, options);
}

/**
 * {@link loadPretrainedWeights} without the promise (it reads files synchronously anyway): what a model
 * builder that loads weights as it builds (`mobileNetV3Small({weights: 'imagenet'})`) calls.
 * @see notebooks/04-model-construction.ipynb
 */
export function loadPretrainedWeightsSync(
  model: tf.LayersModel,
  source: string | NamedWeight[],
  options: PretrainedOptions = {},
): PretrainedReport {
  const match = options.match ?? 'auto';
  if (!['auto', 'name', 'order'].includes(match)) throw new RangeError(`match must be 'auto', 'name' or 'order', got ${JSON.stringify(match)}`);
  const owned = typeof source === 'string';
  const weights = typeof source === 'string' ? readWeights(source) : source;
  try {
    const ts = targets(model, options.layers ?? isBackboneLayer);
    if (ts.length === 0) throw new Error(`${model.name} has no weights in the selected layers`);
    // tfjs saves all trainable weights first, then the non-trainable ones (moving statistics).
    const selected = new Set(ts.map((t) => t.variable));
    const tfjsOrder = model.weights.filter((v) => selected.has(v)).map((v) => ts.find((t) => t.variable === v) as Target);
    const named = match === 'order' ? null : byName(ts, weights);
    let result: { pairs: [Target, NamedWeight][] } | { error: string };
    let matchedBy: 'name' | 'order' = 'name';
    if (named !== null && 'pairs' in named) {
      result = named;
    } else if (match === 'name') {
      result = named as { error: string };
    } else {
      result = byOrder(ts, weights);
      if ('error' in result) {
        const second = byOrder(tfjsOrder, weights);
        if ('pairs' in second) result = second;
      }
      matchedBy = 'order';
    }
    if ('error' in result) {
      const why = named !== null && 'error' in named && match === 'auto' ? `by name: ${named.error}; by order: ${result.error}` : result.error;
      throw new Error(`Cannot load pretrained weights into ${model.name}: ${why}`);
    }
    for (const [t, s] of result.pairs) {
      tf.tidy(() => {
        t.variable.write(tf.cast(s.tensor, t.variable.dtype));
      });
    }
    const used = new Set(result.pairs.map(([, s]) => s));
    return { matchedBy, assigned: result.pairs.length, unusedSource: weights.filter((w) => !used.has(w)).map((w) => w.name) };
  } finally {
    if (owned) weights.forEach((w) => w.tensor.dispose());
  }
}
