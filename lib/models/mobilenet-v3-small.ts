/**
 * MobileNetV3-Small (Howard et al. 2019) in torchvision's layout, with the MobileNetV3 notebook's embedding head.
 *
 * Backbone (torchvision `mobilenet_v3_small().features` + `avgpool`, Keras `MobileNetV3Small` without
 * top): a 3×3/2 stem conv with 16 filters and hard swish, eleven inverted-residual blocks (1×1 expand →
 * k×k depthwise → optional squeeze-excite with a `relu6(x+3)/6` gate → 1×1 linear projection, residual
 * when shape allows), a 1×1 conv to 576 channels with hard swish, and global average pooling: a 576-d
 * feature. Batch norm uses torchvision's eps 1e-3 and momentum 0.01 (tfjs momentum 0.99). At width 1.0
 * the backbone has 927 008 trainable parameters, torchvision's count for `features`.
 *
 * Heads (`head`):
 * - `'mnv3-notebook'`: the MobileNetV3 notebook's (assignment_2_parta.ipynb) `Linear(576,256) → Dropout(0.5) →
 *   ReLU → Linear(256,256) → ReLU → Linear(256,128) → Dropout(0.2) → ReLU → Linear(128,64)`; 64-d output.
 *   Its old name `'seed1'` still works (an alias: it resolves to `'mnv3-notebook'`).
 * - `'simple'`: `576 → 256 → ReLU → 64`, the training benchmark's head.
 * - `'none'`: the pooled 576-d feature itself.
 * Dropout is {@link SeededDropout}: a fresh mask every step, reproducible from `seed`.
 *
 * Each conv-BN-activation unit is a conv layer and a batch norm layer that carries the activation (hard swish or
 * ReLU; `FreezableBatchNorm`'s `activation`), as torchvision's `Conv2dNormActivation`: in training on wasm the
 * batch norm and its activation are one kernel each way.
 *
 * Layer names follow Keras' MobileNetV3 (`Conv`, `expanded_conv_3_depthwise_BatchNorm`, ...; `/` written
 * as `_`; Keras's separate activation layers are carried by the batch norms), so ImageNet weights converted from Keras load by name (`weights: 'imagenet'`, imagenet-weights.ts); head
 * layers start with `head_`. `trainableBackbone: false` freezes every backbone layer, its batch norms
 * included (they then use their moving statistics), leaving the head trainable.
 *
 * Padding: `'torchvision'` pads stride-2 convs symmetrically by (k−1)/2, as PyTorch does; `'keras'` pads
 * as TensorFlow's "same" (one more row/column after than before on even sizes). Pick the one that
 * matches the weights you load. The stride-2 convs carry their padding (`explicitPadding` of PaddedConv2D /
 * PaddedDepthwiseConv2D) where Keras has a separate ZeroPadding2D layer: the same result without a padded copy.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchNormActivation } from '../backend/kernels/fused-ops';
import type { Rng } from '../util/rng';
import { canonicalName } from '../util/aliases';
import { stream } from '../util/streams';
import { isBackboneLayer } from './backbone';
import { loadImagenetWeights, WEIGHTS_OPTIONS, type WeightsOption } from './imagenet-weights';
import { torchDefault, torchvisionConv, torchvisionDepthwise } from './init';
import { freezableBatchNorm } from './layers/freezable-batch-norm';
import { hardSigmoid } from './layers/hard-sigmoid';
import { paddedConv2d, paddedDepthwiseConv2d, type ExplicitPadding2D } from './layers/padded-conv';
import { seededDropout } from './layers/seeded-dropout';

export { isBackboneLayer } from './backbone';

/** Which embedding head sits on the 576-d pooled feature (`'seed1'`: the old name of `'mnv3-notebook'`, still accepted). */
export type MobileNetHead = 'mnv3-notebook' | 'simple' | 'none' | 'seed1';

/** Old head names → new ones (configs, saved runs and checkpoints may use either). */
export const MOBILENET_HEAD_ALIASES: Readonly<Record<string, string>> = Object.freeze({ seed1: 'mnv3-notebook' });
/** How stride-2 convolutions are padded. */
export type PaddingStyle = 'torchvision' | 'keras';
/** How the `[0, 1]` input is rescaled before the stem: not at all, or to `[-1, 1]` (Keras ImageNet weights). */
export type InputScaling = 'none' | 'minusOneToOne';

/** Configuration of {@link mobileNetV3Small}. */
export interface MobileNetV3SmallConfig {
  /** Side of the square RGB input (224 as in the MobileNetV3 notebook; 112, 96 ... train faster). At least 32. */
  readonly inputSize: number;
  /** Width multiplier (torchvision `width_mult`, Keras `alpha`); channels are rounded to multiples of 8. */
  readonly alpha: number;
  readonly head: MobileNetHead;
  /** False freezes the backbone (a fixed feature extractor); the head stays trainable. */
  readonly trainableBackbone: boolean;
  readonly padding: PaddingStyle;
  readonly inputScaling: InputScaling;
  /** Seed of every initialiser and dropout mask. */
  readonly seed: number;
  /**
   * `'none'`: seeded random init. `'imagenet'`: the backbone gets Keras's ImageNet weights, converted once by
   * `siamese weights fetch mobilenet-v3-small` (see imagenet-weights.ts); it implies `padding: 'keras'` and
   * `inputScaling: 'minusOneToOne'` (what the weights were trained with; other values are an error) and
   * needs alpha 1. The head keeps its seeded init.
   */
  readonly weights: WeightsOption;
}

export const DEFAULT_MOBILENET_V3_SMALL: Readonly<MobileNetV3SmallConfig> = Object.freeze({
  inputSize: 224,
  alpha: 1,
  head: 'mnv3-notebook',
  trainableBackbone: true,
  padding: 'torchvision',
  inputScaling: 'none',
  seed: 0,
  weights: 'none',
});

/** What `weights: 'imagenet'` implies: Keras's padding and input range. */
const IMAGENET_BUILD = { padding: 'keras', inputScaling: 'minusOneToOne' } as const;

/** One inverted-residual block: kernel, expanded channels, output channels, squeeze-excite, hard swish, stride. */
interface BlockSpec {
  readonly k: number;
  readonly exp: number;
  readonly out: number;
  readonly se: boolean;
  readonly hs: boolean;
  readonly stride: 1 | 2;
}

/** torchvision's `_mobilenet_v3_conf('mobilenet_v3_small')` table at width 1.0. */
const SMALL_BLOCKS: readonly BlockSpec[] = [
  { k: 3, exp: 16, out: 16, se: true, hs: false, stride: 2 },
  { k: 3, exp: 72, out: 24, se: false, hs: false, stride: 2 },
  { k: 3, exp: 88, out: 24, se: false, hs: false, stride: 1 },
  { k: 5, exp: 96, out: 40, se: true, hs: true, stride: 2 },
  { k: 5, exp: 240, out: 40, se: true, hs: true, stride: 1 },
  { k: 5, exp: 240, out: 40, se: true, hs: true, stride: 1 },
  { k: 5, exp: 120, out: 48, se: true, hs: true, stride: 1 },
  { k: 5, exp: 144, out: 48, se: true, hs: true, stride: 1 },
  { k: 5, exp: 288, out: 96, se: true, hs: true, stride: 2 },
  { k: 5, exp: 576, out: 96, se: true, hs: true, stride: 1 },
  { k: 5, exp: 576, out: 96, se: true, hs: true, stride: 1 },
];

/**
 * Rounds channels as torchvision's `_make_divisible` (and Keras' `_depth`) do.
 * @see notebooks/04-model-construction.ipynb
 */
export function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

const HEADS: readonly MobileNetHead[] = ['mnv3-notebook', 'simple', 'none'];

/**
 * Merges `partial` over the defaults and validates; errors name the bad value.
 * @see notebooks/04-model-construction.ipynb
 */
export function resolveMobileNetV3Small(partial: Partial<MobileNetV3SmallConfig> = {}): MobileNetV3SmallConfig {
  const merged = { ...DEFAULT_MOBILENET_V3_SMALL, ...(partial.weights === 'imagenet' ? IMAGENET_BUILD : {}), ...partial };
  const cfg = { ...merged, head: (typeof merged.head === 'string' ? canonicalName(merged.head, MOBILENET_HEAD_ALIASES) : merged.head) as MobileNetHead };
  if (!Number.isInteger(cfg.inputSize) || cfg.inputSize < 32) {
    throw new RangeError(`mobileNetV3Small inputSize must be an integer >= 32, got ${cfg.inputSize}`);
  }
  if (typeof cfg.alpha !== 'number' || !(cfg.alpha > 0 && cfg.alpha <= 4)) {
    throw new RangeError(`mobileNetV3Small alpha must be in (0, 4], got ${cfg.alpha}`);
  }
  if (!HEADS.includes(cfg.head)) throw new RangeError(`mobileNetV3Small head must be one of ${HEADS.join(', ')}, got ${JSON.stringify(cfg.head)}`);
  if (cfg.padding !== 'torchvision' && cfg.padding !== 'keras') {
    throw new RangeError(`mobileNetV3Small padding must be 'torchvision' or 'keras', got ${JSON.stringify(cfg.padding)}`);
  }
  if (cfg.inputScaling !== 'none' && cfg.inputScaling !== 'minusOneToOne') {
    throw new RangeError(`mobileNetV3Small inputScaling must be 'none' or 'minusOneToOne', got ${JSON.stringify(cfg.inputScaling)}`);
  }
  if (typeof cfg.trainableBackbone !== 'boolean') throw new TypeError(`mobileNetV3Small trainableBackbone must be a boolean, got ${cfg.trainableBackbone}`);
  if (!Number.isInteger(cfg.seed)) throw new RangeError(`mobileNetV3Small seed must be an integer, got ${cfg.seed}`);
  if (!WEIGHTS_OPTIONS.includes(cfg.weights)) throw new RangeError(`mobileNetV3Small weights must be one of ${WEIGHTS_OPTIONS.join(', ')}, got ${JSON.stringify(cfg.weights)}`);
  if (cfg.weights === 'imagenet') {
    if (cfg.alpha !== 1) throw new RangeError(`mobileNetV3Small weights 'imagenet' needs alpha 1 (the width of Keras's published file), got ${cfg.alpha}`);
    for (const key of ['padding', 'inputScaling'] as const) {
      if (cfg[key] !== IMAGENET_BUILD[key]) {
        throw new RangeError(`mobileNetV3Small weights 'imagenet' needs ${key} '${IMAGENET_BUILD[key]}' (what Keras's ImageNet weights were trained with), ` +
          `got ${JSON.stringify(cfg[key])}; leave ${key} out and 'imagenet' sets it`);
      }
    }
  }
  return cfg;
}

/** Applies `layer` to `x` (shorthand that keeps the builder readable). */
function ap(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

/** Builder state shared by the helpers below. */
interface Ctx {
  readonly cfg: MobileNetV3SmallConfig;
  readonly rng: Rng;
}

/**
 * Conv (no bias) + batch norm (+ activation, carried by the batch norm layer: one kernel each way in training); a
 * stride-2 conv pads explicitly as the padding style asks, inside the conv (PaddedConv2D: no padded copy).
 */
function convBn(ctx: Ctx, x: tf.SymbolicTensor, name: string, filters: number, k: number, stride: 1 | 2, depthwise: boolean,
  activation: BatchNormActivation | null): tf.SymbolicTensor {
  let pads: ExplicitPadding2D | null = null;
  if (stride === 2) {
    pads = ([1, 2] as const).map((axis) => {
      const size = x.shape[axis] as number;
      const p = Math.floor((k - 1) / 2);
      // TensorFlow "same" with stride 2: total padding max(k - 2, 0) on even sizes, k - 1 on odd.
      if (ctx.cfg.padding === 'keras') {
        const total = size % 2 === 0 ? Math.max(k - 2, 0) : k - 1;
        return [Math.floor(total / 2), total - Math.floor(total / 2)] as [number, number];
      }
      return [p, p] as [number, number];
    }) as ExplicitPadding2D;
  }
  // Only the initialiser this layer uses draws its seed from the fork (a second draw would move the first one's seed).
  const r = ctx.rng.fork(name);
  const common = { kernelSize: k, strides: stride, useBias: false, name };
  let conv: tf.layers.Layer;
  if (depthwise) {
    const dw = { ...common, depthwiseInitializer: torchvisionDepthwise(r) };
    conv = pads === null ? tf.layers.depthwiseConv2d({ ...dw, padding: 'same' }) : paddedDepthwiseConv2d({ ...dw, explicitPadding: pads });
  } else {
    const full = { ...common, filters, kernelInitializer: torchvisionConv(r).kernelInitializer };
    conv = pads === null ? tf.layers.conv2d({ ...full, padding: 'same' }) : paddedConv2d({ ...full, explicitPadding: pads });
  }
  x = ap(conv, x);
  return ap(freezableBatchNorm({ epsilon: 1e-3, momentum: 0.99, activation, name: `${name}_BatchNorm` }), x);
}

function squeezeExcite(ctx: Ctx, x: tf.SymbolicTensor, prefix: string, channels: number): tf.SymbolicTensor {
  const squeeze = makeDivisible(channels / 4);
  const p = `${prefix}_squeeze_excite`;
  let s = ap(tf.layers.globalAveragePooling2d({ name: `${p}_AvgPool` }), x);
  s = ap(tf.layers.reshape({ targetShape: [1, 1, channels], name: `${p}_reshape` }), s);
  const c1 = torchvisionConv(ctx.rng.fork(`${p}_Conv`));
  s = ap(tf.layers.conv2d({ filters: squeeze, kernelSize: 1, ...c1, name: `${p}_Conv` }), s);
  s = ap(tf.layers.reLU({ name: `${p}_Relu` }), s);
  const c2 = torchvisionConv(ctx.rng.fork(`${p}_Conv_1`));
  s = ap(tf.layers.conv2d({ filters: channels, kernelSize: 1, ...c2, name: `${p}_Conv_1` }), s);
  s = ap(hardSigmoid({ name: `${p}_HardSigmoid` }), s);
  return ap(tf.layers.multiply({ name: `${p}_Mul` }), [x, s]);
}

function invertedResidual(ctx: Ctx, x: tf.SymbolicTensor, index: number, spec: BlockSpec): tf.SymbolicTensor {
  const prefix = index === 0 ? 'expanded_conv' : `expanded_conv_${index}`;
  const inC = x.shape[3] as number;
  const exp = makeDivisible(spec.exp * ctx.cfg.alpha);
  const out = makeDivisible(spec.out * ctx.cfg.alpha);
  const shortcut = x;
  if (exp !== inC) {
    x = convBn(ctx, x, `${prefix}_expand`, exp, 1, 1, false, spec.hs ? 'hardSwish' : 'relu');
  }
  x = convBn(ctx, x, `${prefix}_depthwise`, exp, spec.k, spec.stride, true, spec.hs ? 'hardSwish' : 'relu');
  if (spec.se) x = squeezeExcite(ctx, x, prefix, exp);
  x = convBn(ctx, x, `${prefix}_project`, out, 1, 1, false, null);
  if (spec.stride === 1 && inC === out) x = ap(tf.layers.add({ name: `${prefix}_Add` }), [shortcut, x]);
  return x;
}

/** Appends the MobileNetV3 notebook's, the simple or no head to the pooled feature. */
function head(ctx: Ctx, x: tf.SymbolicTensor): tf.SymbolicTensor {
  const rng = ctx.rng.fork('head');
  let dense = 0;
  let drop = 0;
  const linear = (units: number): void => {
    dense += 1;
    const name = `head_dense_${dense}`;
    x = ap(tf.layers.dense({ units, name, ...torchDefault(x.shape[1] as number, rng.fork(name)) }), x);
  };
  const relu = (): void => {
    x = ap(tf.layers.reLU({ name: `head_relu_${dense}` }), x);
  };
  const dropout = (rate: number): void => {
    drop += 1;
    x = ap(seededDropout({ rate, seed: rng.fork(`dropout_${drop}`).seed(), name: `head_dropout_${drop}` }), x);
  };
  switch (ctx.cfg.head) {
    case 'mnv3-notebook':
      linear(256), dropout(0.5), relu();
      linear(256), relu();
      linear(128), dropout(0.2), relu();
      linear(64);
      break;
    case 'simple':
      linear(256), relu();
      linear(64);
      break;
    case 'none':
      break;
  }
  return x;
}


/**
 * Builds MobileNetV3-Small with the chosen head (see the module doc): `[n, s, s, 3]` images in `[0, 1]`,
 * `[n, 64]` embeddings out (`[n, 576]` with `head: 'none'`). Random, seeded init, or with `weights:
 * 'imagenet'` Keras's ImageNet backbone (converted once by `siamese weights fetch mobilenet-v3-small`).
 * @see notebooks/04-model-construction.ipynb
 */
export function mobileNetV3Small(partial: Partial<MobileNetV3SmallConfig> = {}): tf.LayersModel {
  const cfg = resolveMobileNetV3Small(partial);
  const ctx: Ctx = { cfg, rng: stream(cfg.seed, 'mobileNetV3Small') };
  const input = tf.input({ shape: [cfg.inputSize, cfg.inputSize, 3], name: 'image' });
  let x: tf.SymbolicTensor = input;
  if (cfg.inputScaling === 'minusOneToOne') x = ap(tf.layers.rescaling({ scale: 2, offset: -1, name: 'rescaling' }), x);
  x = convBn(ctx, x, 'Conv', makeDivisible(16 * cfg.alpha), 3, 2, false, 'hardSwish');
  SMALL_BLOCKS.forEach((spec, i) => {
    x = invertedResidual(ctx, x, i, spec);
  });
  const lastC = 6 * (x.shape[3] as number);
  x = convBn(ctx, x, 'Conv_1', lastC, 1, 1, false, 'hardSwish');
  x = ap(tf.layers.globalAveragePooling2d({ name: 'avg_pool' }), x);
  x = head(ctx, x);
  // (a model saved before the rename is named `mobileNetV3Small_seed1`: names are labels only, weights and checkpoints go by weight names)
  const model = tf.model({ inputs: input, outputs: x, name: `mobileNetV3Small_${cfg.head}` });
  if (cfg.weights === 'imagenet') {
    try {
      loadImagenetWeights(model);
    } catch (err) {
      model.dispose();
      throw err;
    }
  }
  if (!cfg.trainableBackbone) setBackboneTrainable(model, false);
  return model;
}

/**
 * Freezes (`false`) or unfreezes (`true`) the backbone layers of a model built by this module, or of a
 * Siamese model that contains one; head layers keep their state. Frozen batch norms use their moving
 * statistics. Returns the number of layers changed. Recompile a model trained with `fit` afterwards.
 * @see notebooks/04-model-construction.ipynb
 */
export function setBackboneTrainable(model: tf.LayersModel, trainable: boolean): number {
  let changed = 0;
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) {
      changed += setBackboneTrainable(layer, trainable);
    } else if (isBackboneLayer(layer) && layer.getClassName() !== 'InputLayer') {
      if (layer.trainable !== trainable) changed += 1;
      layer.trainable = trainable;
    }
  }
  return changed;
}
