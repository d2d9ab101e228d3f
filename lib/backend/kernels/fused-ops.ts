/**
 * Fused training ops for tfjs's wasm backend: batch normalisation in training mode and hard swish,
 * each one kernel forward and one kernel backward (src/kernels.c), where tfjs runs them as a dozen
 * element-wise ops each way (every one a full pass over the activation, most of them saved for the
 * backward pass). Registered as their own kernels with their own gradients, so tf.grad and the tape
 * see one node per layer. The batch norm can carry the activation that follows it (ReLU or hard swish, as
 * MobileNetV3's conv-BN-activation units) or a ReLU before it (the workshop CNN's conv-ReLU-BN units): then the pair
 * is one kernel each way, with no pass of its own for the activation or its gradient. ReLU's gradient is one kernel too (tfjs runs Step, Cast and Multiply). Sum's and
 * Mean's gradients broadcast dy without a full-size tf.ones. The input pipeline's colour augmentation runs each
 * stage as one kernel too (`fusedColourStage`: the bits of tfjs's op sequence in one pass).
 *
 * `fusedBatchNormTraining` and `fusedHardSwish` return null when the fused kernels are not active
 * (another backend, or `SIAMESE_WASM_FUSED=off`): callers then use tfjs's own ops.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { kernelModuleFor, type KernelVariant } from './kernel-module';
import type { TrainingKernel } from './training-kernels';
import { offsetOf, wasmBackend } from './wasm-backend-access';

/** Kernel names (project-owned, not tfjs's). */
export const BATCH_NORM_TRAIN = 'SiameseBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'SiameseBatchNormTrainGrad';
export const HARD_SWISH = 'SiameseHardSwish';
export const HARD_SWISH_GRAD = 'SiameseHardSwishGrad';
export const RELU_GRAD = 'SiameseReluGrad';
export const COLOUR_STAGE = 'SiameseColourStage';

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The activations a fused batch norm can carry, and their codes in src/kernels.c (`act`, `pre`; 0 is none). */
export type BatchNormActivation = 'relu' | 'hardSwish';
/** The activation a fused batch norm can apply to its input before normalising. */
export type BatchNormInputActivation = 'relu';
const ACTIVATION_CODES: Readonly<Record<BatchNormActivation, number>> = { relu: 1, hardSwish: 2 };

/** What each of the batch norm's activation attributes may name (the kernels' and FreezableBatchNorm's checks). */
export const BATCH_NORM_ACTIVATIONS = { activation: ['relu', 'hardSwish'], inputActivation: ['relu'] } as const;

/** The kernel code of an activation attribute (0: none); errors name the kernel, the attribute and the value. */
function activationCode(kernel: string, attr: keyof typeof BATCH_NORM_ACTIVATIONS, value: unknown): number {
  if (value === undefined || value === null || value === '') return 0;
  const allowed: readonly string[] = BATCH_NORM_ACTIVATIONS[attr];
  if (!allowed.includes(value as string)) {
    throw new Error(`lib/backend/kernels ${kernel}: ${attr} must be ${allowed.map((a) => `"${a}"`).join(' or ')}, got ${JSON.stringify(value)}`);
  }
  return ACTIVATION_CODES[value as BatchNormActivation];
}

function float32(kernel: string, ...ts: tf.TensorInfo[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new Error(`lib/backend/kernels ${kernel}: expected float32 inputs, got ${t.dtype}`);
}

function channelsOf(kernel: string, x: tf.TensorInfo, ...perChannel: tf.TensorInfo[]): { rows: number; C: number } {
  if (x.shape.length < 1) throw new Error(`lib/backend/kernels ${kernel}: x must have rank >= 1, got [${x.shape}]`);
  const C = x.shape[x.shape.length - 1];
  for (const t of perChannel) {
    if (t.shape.length !== 1 || t.shape[0] !== C) {
      throw new Error(`lib/backend/kernels ${kernel}: per-channel tensor has shape [${t.shape}], expected [${C}] (x is [${x.shape}])`);
    }
  }
  return { rows: x.shape.slice(0, -1).reduce((a, b) => a * b, 1), C };
}

function batchNormTrain(variant: KernelVariant): TrainingKernel {
  return {
    kernelName: BATCH_NORM_TRAIN,
    kernelFunc(args: KernelArgs) {
      const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
      const { epsilon, activation, inputActivation } = args.attrs as unknown as { epsilon: number; activation?: string; inputActivation?: string };
      const act = activationCode(BATCH_NORM_TRAIN, 'activation', activation);
      const pre = activationCode(BATCH_NORM_TRAIN, 'inputActivation', inputActivation);
      float32(BATCH_NORM_TRAIN, x, gamma, beta);
      const { rows, C } = channelsOf(BATCH_NORM_TRAIN, x, gamma, beta);
      const be = wasmBackend(args.backend);
      const km = kernelModuleFor(be, variant);
      const y = be.makeOutput([...x.shape], 'float32');
      const mean = be.makeOutput([C], 'float32'), variance = be.makeOutput([C], 'float32'), invstd = be.makeOutput([C], 'float32');
      if (rows === 0 || C === 0) {
        if (rows === 0 && C > 0) throw new Error(`lib/backend/kernels ${BATCH_NORM_TRAIN}: batch statistics of an empty batch [${x.shape}]`);
        return [y, mean, variance, invstd] as unknown as tf.TensorInfo;
      }
      km.exports.bn_train_forward(offsetOf(be, x), offsetOf(be, gamma), offsetOf(be, beta), offsetOf(be, y), offsetOf(be, mean),
        offsetOf(be, variance), offsetOf(be, invstd), rows, C, epsilon, km.scratch(4 * C), act, pre);
      return [y, mean, variance, invstd] as unknown as tf.TensorInfo;
    },
  };
}

function batchNormTrainGrad(variant: KernelVariant): TrainingKernel {
  return {
    kernelName: BATCH_NORM_TRAIN_GRAD,
    kernelFunc(args: KernelArgs) {
      const { x, dy, gamma, beta, mean, invstd } = args.inputs as Record<'x' | 'dy' | 'gamma' | 'beta' | 'mean' | 'invstd', tf.TensorInfo>;
      const attrs = args.attrs as unknown as { activation?: string; inputActivation?: string };
      const act = activationCode(BATCH_NORM_TRAIN_GRAD, 'activation', attrs.activation);
      const pre = activationCode(BATCH_NORM_TRAIN_GRAD, 'inputActivation', attrs.inputActivation);
      float32(BATCH_NORM_TRAIN_GRAD, x, dy, gamma, beta, mean, invstd);
      const { rows, C } = channelsOf(BATCH_NORM_TRAIN_GRAD, x, gamma, beta, mean, invstd);
      if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new Error(`lib/backend/kernels ${BATCH_NORM_TRAIN_GRAD}: dy [${dy.shape}] and x [${x.shape}] differ`);
      const be = wasmBackend(args.backend);
      const km = kernelModuleFor(be, variant);
      const dx = be.makeOutput([...x.shape], 'float32'), dgamma = be.makeOutput([C], 'float32'), dbeta = be.makeOutput([C], 'float32');
      if (rows > 0 && C > 0) {
        km.exports.bn_train_backward(offsetOf(be, x), offsetOf(be, dy), offsetOf(be, gamma), offsetOf(be, beta), offsetOf(be, mean),
          offsetOf(be, invstd), offsetOf(be, dx), offsetOf(be, dgamma), offsetOf(be, dbeta), rows, C, km.scratch(5 * C), act, pre);
      }
      return [dx, dgamma, dbeta] as unknown as tf.TensorInfo;
    },
  };
}

function hardSwishKernel(variant: KernelVariant): TrainingKernel {
  return {
    kernelName: HARD_SWISH,
    kernelFunc(args: KernelArgs) {
      const { x } = args.inputs as { x: tf.TensorInfo };
      float32(HARD_SWISH, x);
      const be = wasmBackend(args.backend);
      const y = be.makeOutput([...x.shape], 'float32');
      const n = tf.util.sizeFromShape(x.shape);
      if (n > 0) kernelModuleFor(be, variant).exports.hard_swish_forward(offsetOf(be, x), offsetOf(be, y), n);
      return y;
    },
  };
}

/** dx from x and dy, element by element, by one export of the module (hard swish's and ReLU's gradients). */
function elementwiseGrad(variant: KernelVariant, kernelName: string, run: 'hard_swish_backward' | 'relu_backward'): TrainingKernel {
  return {
    kernelName,
    kernelFunc(args: KernelArgs) {
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      float32(kernelName, x, dy);
      if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new Error(`lib/backend/kernels ${kernelName}: dy [${dy.shape}] and x [${x.shape}] differ`);
      const be = wasmBackend(args.backend);
      const dx = be.makeOutput([...x.shape], 'float32');
      const n = tf.util.sizeFromShape(x.shape);
      if (n > 0) kernelModuleFor(be, variant).exports[run](offsetOf(be, x), offsetOf(be, dy), offsetOf(be, dx), n);
      return dx;
    },
  };
}

/** A stage of the colour augmentation (src/kernels.c `colour_stage`); see {@link fusedColourStage}. */
function colourStage(variant: KernelVariant): TrainingKernel {
  return {
    kernelName: COLOUR_STAGE,
    kernelFunc(args: KernelArgs) {
      const { x, f, a, noise, slot } = args.inputs as { x: tf.TensorInfo; f: tf.TensorInfo; a: tf.TensorInfo; noise: tf.TensorInfo; slot: tf.TensorInfo };
      const { mode, clampFirst, clampLast } = args.attrs as unknown as { mode: number; clampFirst: boolean; clampLast: boolean };
      float32(COLOUR_STAGE, x, f, a, noise);
      const [N, H, W, C] = x.shape;
      const P = H * W * C;
      const need = mode === 1 || mode === 5 ? N : mode === 2 ? N * H * W : 0;
      if (x.shape.length !== 4 || f.shape[0] !== (mode === 5 ? 2 * N : N) || slot.dtype !== 'int32' || slot.shape[0] !== N ||
        tf.util.sizeFromShape(a.shape) < need || (mode >= 4 && C !== 3)) {
        throw new Error(`lib/backend/kernels ${COLOUR_STAGE}: x [${x.shape}], f [${f.shape}], a [${a.shape}] and slot [${slot.shape}] do not fit mode ${mode}`);
      }
      const be = wasmBackend(args.backend);
      const out = be.makeOutput([...x.shape], 'float32');
      if (N * P > 0) {
        kernelModuleFor(be, variant).exports.colour_stage(offsetOf(be, x), offsetOf(be, out), N, P, C, offsetOf(be, f), offsetOf(be, a), mode,
          offsetOf(be, noise), offsetOf(be, slot), clampFirst ? 1 : 0, clampLast ? 1 : 0);
      }
      return out;
    },
  };
}

/** The fused kernels, for one build of the module. */
export function fusedKernels(variant: KernelVariant): TrainingKernel[] {
  return [batchNormTrain(variant), batchNormTrainGrad(variant), hardSwishKernel(variant),
    elementwiseGrad(variant, HARD_SWISH_GRAD, 'hard_swish_backward'), elementwiseGrad(variant, RELU_GRAD, 'relu_backward'), colourStage(variant)];
}

let gradientsRegistered = false;
/** Registers the fused ops' gradients (once; gradients are global in tfjs, keyed by kernel name). */
export function registerFusedGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN,
    inputsToSave: ['x', 'gamma', 'beta'],
    outputsToSave: [false, true, false, true],
    // Outputs 1-3 (mean, variance, 1/std) feed the moving statistics only: their gradients are not used.
    gradFunc(dy, saved, attrs) {
      const [x, gamma, beta, mean, invstd] = saved;
      const g = Array.isArray(dy) ? dy[0] : dy;
      const { activation, inputActivation } = attrs as unknown as { activation?: string; inputActivation?: string };
      // All three at once (one kernel, through the carried activations' derivatives); a gradient nobody asks for is
      // freed by the caller's tidy.
      const [dx, dgamma, dbeta] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { x, dy: g, gamma, beta, mean, invstd },
        { activation: activation ?? '', inputActivation: inputActivation ?? '' } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
  // Sum's and Mean's gradients (global average pooling, squeeze-excite): tfjs-core multiplies dy by a
  // tf.ones of the input's full shape, filled in JavaScript and copied in (about 15 ms per MobileNetV3
  // step at 224 px), then divides the whole result; broadcasting dy (divided first, while small) gives
  // the same values with one Tile.
  for (const [kernelName, mean] of [[tf.Sum, false], [tf.Mean, true]] as const) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc(dy, saved, attrs) {
        const [x] = saved;
        const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
        return {
          x: () => tf.tidy(() => {
            const g = tf.reshape(dy as tf.Tensor, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
            return tf.broadcastTo(mean ? tf.div(g, axes.reduce((n, a) => n * x.shape[a], 1)) : g, x.shape);
          }),
        };
      },
    });
  }
  // ReLU's gradient in one kernel where it is registered (wasm with the fused set), the same values as
  // tfjs-core's mul(dy, cast(step(x))) bit for bit; tfjs-core's own everywhere else.
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc(dy, saved) {
      const [x] = saved;
      const g = dy as tf.Tensor;
      return {
        x: () => (active(RELU_GRAD) && x.dtype === 'float32' && g.dtype === 'float32'
          ? tf.engine().runKernel(RELU_GRAD, { x, dy: g }, {}) as tf.Tensor
          : tf.mul(g, tf.cast(tf.step(x), 'float32'))),
      };
    },
  });
  tf.registerGradient({
    kernelName: HARD_SWISH,
    inputsToSave: ['x'],
    gradFunc(dy, saved) {
      const [x] = saved;
      return { x: () => tf.engine().runKernel(HARD_SWISH_GRAD, { x, dy: dy as tf.Tensor }, {}) as tf.Tensor };
    },
  });
}

function active(kernelName: string): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(kernelName, 'wasm') !== undefined;
}

/**
 * Training-mode batch norm over the last axis of `x`: `[y, mean, variance]` (batch statistics, variance
 * divided by the count, as tf.moments), or null when the fused kernels are not active. With `activation`, y is
 * that activation of the normalised values (ReLU `max(z, 0)` or hard swish), in the same kernel; with
 * `inputActivation` ('relu'), what is normalised is `max(x, 0)` (statistics included). Differentiable in
 * `x`, `gamma` and `beta` through `y` (mean and variance are for the moving statistics). Does not dispose
 * its inputs.
 * @see notebooks/04-model-construction.ipynb
 */
export function fusedBatchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number,
  activation?: BatchNormActivation | null, inputActivation?: BatchNormInputActivation | null): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] | null {
  if (!active(BATCH_NORM_TRAIN) || x.dtype !== 'float32' || gamma.dtype !== 'float32' || beta.dtype !== 'float32') return null;
  // the kernel checks the activations (before it allocates anything)
  const outs = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta },
    { epsilon, activation: activation ?? '', inputActivation: inputActivation ?? '' } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  outs[3].dispose();
  return [outs[0], outs[1] as tf.Tensor1D, outs[2] as tf.Tensor1D];
}

/**
 * Hard swish `x · relu6(x + 3) / 6` as one kernel (and one for its gradient), or null when the fused
 * kernels are not active.
 * @see notebooks/04-model-construction.ipynb
 */
export function fusedHardSwish(x: tf.Tensor): tf.Tensor | null {
  if (!active(HARD_SWISH) || x.dtype !== 'float32') return null;
  return tf.engine().runKernel(HARD_SWISH, { x }, {}) as tf.Tensor;
}

/** What one {@link fusedColourStage} computes per image (see src/kernels.c `colour_stage`). */
export interface ColourStage {
  /**
   * `scale`: x·f; `image`: x·f + a·(1 − f) with a per image `[n]`; `pixel`: the same with a per pixel `[n, h, w, 1]`;
   * `luma`: `pixel` with a = each pixel's luma, computed in the kernel from x (RGB only; `aux` unused): the bits of
   * lib/augment's `grey(x)` matrix product, without its pass and its tensor; `contrastLuma`: the `image` stage
   * (clamped, no noise) and then the `luma` stage in one pass (RGB only): `factors` holds the n contrast factors and
   * then the n saturation factors, `aux` the n mean lumas, and the clamps and noise are the `luma` stage's; `none`: x.
   */
  readonly mode: 'scale' | 'image' | 'pixel' | 'luma' | 'contrastLuma' | 'none';
  /** Per-image factors (`none`: unused; `contrastLuma`: two per image, see `mode`). */
  readonly factors: readonly number[] | null;
  readonly aux: tf.Tensor | null;
  /** Clamp to [0, 1] after the blend. */
  readonly clampFirst: boolean;
  /** Per-image noise added after that (`values`: the noisy images' values one after another; `slots[i]`: image i's index among them, or -1). */
  readonly noise: { readonly values: Float32Array; readonly slots: Int32Array } | null;
  /** Clamp to [0, 1] at the end. */
  readonly clampLast: boolean;
}

const COLOUR_MODES = { scale: 0, image: 1, pixel: 2, none: 3, luma: 4, contrastLuma: 5 } as const;

/**
 * One stage of the colour augmentation (lib/augment/apply.ts) as one kernel, bit for bit what its tfjs ops give
 * (one pass over the batch instead of three to six: at 224 px, 64 images' colour took 136 ms of tfjs ops), or null
 * when the fused kernels are not active. Images `[n, h, w, c]` float32; does not dispose its inputs.
 * @see notebooks/03-augmentation-previews.ipynb
 */
export function fusedColourStage(x: tf.Tensor4D, stage: ColourStage): tf.Tensor4D | null {
  if (!active(COLOUR_STAGE) || x.dtype !== 'float32') return null;
  const n = x.shape[0];
  return tf.tidy(() => {
    const f = tf.tensor1d(stage.factors ? [...stage.factors] : new Array<number>(n).fill(1), 'float32');
    const a = stage.aux ?? tf.zeros([1], 'float32');
    const noise = stage.noise ? tf.tensor1d(stage.noise.values.length > 0 ? stage.noise.values : new Float32Array(1), 'float32') : tf.zeros([1], 'float32');
    const slot = tf.tensor1d(stage.noise ? stage.noise.slots : new Int32Array(n).fill(-1), 'int32');
    return tf.engine().runKernel(COLOUR_STAGE, { x, f, a, noise, slot },
      { mode: COLOUR_MODES[stage.mode], clampFirst: stage.clampFirst, clampLast: stage.clampLast } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  });
}
