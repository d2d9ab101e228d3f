/**
 * The wasm kernels the project adds for training: tfjs kernel configs whose work is done by
 * src/kernels.c on the backend's own tensors (no copies). Each one replaces or fills in a kernel of
 * tfjs-backend-wasm 4.22:
 * - BatchMatMul (replaces XNNPACK's, whose transposed products run at ~2 GFLOP/s), any transposes;
 * - Conv2DBackpropFilter (missing), Conv2DBackpropInput (replaces a slow one): im2col / col2im
 *   blocks and the packed SGEMM (the filter gradient of a first convolution on 1-4 channels: a direct
 *   loop); both honour an optional `dilations` attribute. The input gradient of a fused convolution whose
 *   input needs none (a model's first layer) is skipped (see frugal-gradients.ts);
 * - DepthwiseConv2dNativeBackpropFilter / BackpropInput (missing): direct SIMD loops, any channel
 *   multiplier (1: sums held in registers, 16 channels at a time; 2 vectorised), strides, dilations;
 * - Tile (replaces one that copies element by element; batch-norm gradients tile whole activations),
 *   Sum and Mean over leading axes (replace ones that transpose NHWC first; batch norm reduces over
 *   N, H, W) and, with the fused set, over inner axes (H, W: global pooling, squeeze-excite):
 *   block copies and blocked column sums;
 * - with the fused set (default; `SIAMESE_WASM_FUSED=off` leaves it out, for A/B measurements):
 *   Identity and same-type Cast without a copy, MaxPoolGrad (SIMD first-maximum scatter), Slice by block copies, and the
 *   forward Conv2D / FusedConv2D (bias, relu, relu6) through im2col and the packed SGEMM,
 *   _FusedMatMul (Dense) on the same SGEMM with no cached packed copy of the weights, the forward
 *   DepthwiseConv2dNative (multiplier 1), PadV2 by block copies and Transform (the augmentation's geometry,
 *   bit for bit the built-in's); for inference (face-api's detectors, landmark and recognition nets), Concat by
 *   copy loops and FusedBatchNorm with given statistics in one SIMD pass; Add, Sub, Multiply and RealDiv by a
 *   per-channel constant (ImageNet normalisation); all bit for bit the built-ins'. The fused batch-norm and
 *   hard-swish ops are in fused-ops.ts.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { convSpec, type ConvGeometry } from './conv-geometry';
import { convInputGradientUnneeded } from './frugal-gradients';
import { kernelModuleFor, type KernelModule, type KernelVariant } from './kernel-module';
import { heapView, offsetOf, wasmBackend, type WasmBackendInternals } from './wasm-backend-access';

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Strides = [number, number] | number;
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** A kernel the project registers, and the built-in one it replaced (if any) for unsupported cases. */
export interface TrainingKernel {
  readonly kernelName: string;
  readonly kernelFunc: (args: KernelArgs, fallback: tf.KernelFunc | null) => tf.TensorInfo;
}

/** What a kernel's implementation is given besides tfjs's arguments. */
interface KernelContext {
  readonly kernelName: string;
  readonly variant: KernelVariant;
  /** The built-in kernel it replaced, if any: cases the project's kernel does not take go to it. */
  readonly fallback: tf.KernelFunc | null;
}

/** One kernel's work; trainingKernels binds each to its name and module build. */
type KernelImpl = (args: KernelArgs, ctx: KernelContext) => tf.TensorInfo;

/** A case the project's kernel does not take: the built-in's result, or (there is none) an error saying why. */
function builtIn(args: KernelArgs, { kernelName, fallback }: KernelContext, why: string): tf.TensorInfo {
  if (fallback === null) throw new Error(`lib/backend/kernels ${kernelName}: ${why}`);
  return fallback(args) as tf.TensorInfo;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function moduleOf(backend: unknown, variant: KernelVariant): { be: WasmBackendInternals; km: KernelModule } {
  const be = wasmBackend(backend);
  return { be, km: kernelModuleFor(be, variant) };
}

function requireFloat32(kernel: string, ...ts: tf.TensorInfo[]): void {
  for (const t of ts) {
    if (t.dtype !== 'float32') throw new Error(`lib/backend/kernels ${kernel}: expected float32 inputs, got ${t.dtype}`);
  }
}

function sameShape(kernel: string, what: string, got: readonly number[], want: readonly number[]): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new Error(`lib/backend/kernels ${kernel}: ${what} has shape [${got}], expected [${want}]`);
  }
}

/** Epilogue activations the project's kernels apply (src/kernels.c bias_activation). */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2 };

/** BatchMatMul: a [...batch, M, K] (or [..., K, M] when transposeA) times b, any transposes. */
function batchMatMul(args: KernelArgs, { variant, fallback }: KernelContext): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  if ((a.dtype !== 'float32' || b.dtype !== 'float32') && fallback !== null) return fallback(args) as tf.TensorInfo;
  requireFloat32('BatchMatMul', a, b);
  return matMulInto(args.backend, variant, a, b, transposeA, transposeB);
}

/**
 * _FusedMatMul (what tf.layers' Dense runs) with a bias of N values and a linear / relu / relu6
 * activation; other cases go to the built-in. Replacing XNNPACK's also drops the packed copy of the
 * weights it caches per weight tensor (seed2's FC layer: 512 MiB more heap, repacked every step once the
 * optimizer renews the weights' id).
 */
function fusedMatMul(args: KernelArgs, ctx: KernelContext): tf.TensorInfo {
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation } = args.attrs as unknown as tf.BatchMatMulAttrs & { activation?: string };
  const act = ACTIVATIONS[activation ?? 'linear'];
  const N = transposeB ? b!.shape[b!.shape.length - 2] : b!.shape[b!.shape.length - 1];
  const ok = act !== undefined && preluActivationWeights == null && a!.dtype === 'float32' && b!.dtype === 'float32' &&
    (bias == null || (bias.dtype === 'float32' && size(bias.shape) === N && bias.shape.length <= 2));
  if (!ok) return builtIn(args, ctx, `unsupported case (activation ${activation})`);
  const out = matMulInto(args.backend, ctx.variant, a!, b!, transposeA, transposeB);
  const total = size(out.shape);
  if (total > 0 && (bias != null || act !== 0)) {
    const { be, km } = moduleOf(args.backend, ctx.variant);
    km.exports.bias_activation(offsetOf(be, out), bias != null ? offsetOf(be, bias) : 0, total / N, N, act);
  }
  return out;
}

/** a times b (any transposes, broadcast batch) into a new float32 output, by the packed SGEMM. */
function matMulInto(backend: unknown, variant: KernelVariant, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean,
  transposeB: boolean): tf.TensorInfo {
  const { be, km } = moduleOf(backend, variant);
  const ra = a.shape.length, rb = b.shape.length;
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== Kb) {
    throw new Error(`lib/backend/kernels BatchMatMul: inner dimensions differ (${K} and ${Kb}) in [${a.shape}] x [${b.shape}]` +
      ` with transposeA=${transposeA} transposeB=${transposeB}`);
  }
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batchA = size(outerA), batchB = size(outerB), batch = Math.max(batchA, batchB);
  const out = be.makeOutput([...outer, M, N], 'float32');
  if (batch * M * N === 0) return out;
  const work = km.scratch(km.exports.gemm_work_floats());
  const pa = offsetOf(be, a), pb = offsetOf(be, b), pc = offsetOf(be, out);
  const [rsA, csA] = transposeA ? [1, M] : [K, 1];
  const [rsB, csB] = transposeB ? [1, K] : [N, 1];
  for (let i = 0; i < batch; ++i) {
    km.exports.sgemm(M, N, K, pa + (i % batchA) * M * K * 4, rsA, csA, pb + (i % batchB) * K * N * 4, rsB, csB,
      pc + i * M * N * 4, N, 0, work);
  }
  return out;
}

interface ConvBackpropAttrs {
  strides: Strides;
  pad: Pad;
  dataFormat?: string;
  dimRoundingMode?: Rounding;
  dilations?: Strides;
}

/** What a convolution gradient hands its src/kernels.c routine once the shared checks are done. */
interface ConvGradientCall {
  readonly km: KernelModule;
  readonly info: tf.backend_util.Conv2DInfo;
  readonly geometry: ConvGeometry;
  /** The two inputs' and the output's heap offsets, in src/kernels.c's order: (x, dy, dW) or (dy, filter, dX). */
  readonly ptrs: readonly [number, number, number];
  readonly filterShape: readonly number[];
  /** The gradient's element count (> 0). */
  readonly total: number;
}

/**
 * The glue the four convolution gradients share: the gradient with respect to the filter (inputs x and dy,
 * attribute filterShape) or to the input (inputs dy and filter, attribute inputShape), float32 checks,
 * tfjs's conv geometry (depthwise or not), dy's shape checked against it and a float32 output of the
 * gradient's shape; `run` calls the kernel unless that output is empty.
 */
function convGradient(wrt: 'filter' | 'input', depthwise: boolean, run: (call: ConvGradientCall) => void): KernelImpl {
  return (args, { kernelName, variant }) => {
    const inputs = args.inputs as Record<string, tf.TensorInfo>;
    const attrs = args.attrs as unknown as ConvBackpropAttrs & { filterShape: number[]; inputShape: number[] };
    const [a, b] = wrt === 'filter' ? [inputs.x, inputs.dy] : [inputs.dy, inputs.filter];
    requireFloat32(kernelName, a, b);
    const { be, km } = moduleOf(args.backend, variant);
    const inShape = wrt === 'filter' ? inputs.x.shape : attrs.inputShape;
    const filterShape = wrt === 'filter' ? attrs.filterShape : inputs.filter.shape;
    // tfjs's depthwise gradient ops carry no dataFormat: NHWC.
    const { info, geometry } = convSpec(inShape, filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad,
      attrs.dimRoundingMode, depthwise, depthwise ? undefined : attrs.dataFormat);
    sameShape(kernelName, 'dy', inputs.dy.shape, info.outShape);
    const outShape = wrt === 'filter' ? filterShape : inShape;
    const out = be.makeOutput([...outShape], 'float32');
    const total = size(outShape);
    if (total > 0) run({ km, info, geometry, ptrs: [offsetOf(be, a), offsetOf(be, b), offsetOf(be, out)], filterShape, total });
    return out;
  };
}

/** Scratch for the im2col / col2im blocks of one convolution on the packed SGEMM. */
function convWork(km: KernelModule, info: tf.backend_util.Conv2DInfo): number {
  return km.scratch(km.exports.conv_work_floats(info.filterHeight * info.filterWidth * info.inChannels));
}

/** Conv2DBackpropFilter: dW[KH,KW,C,CO] from x and dy. */
const conv2dBackpropFilter = convGradient('filter', false, ({ km, info, geometry, ptrs }) => {
  km.exports.conv2d_backprop_filter(...ptrs, ...geometry, convWork(km, info));
});

/** Conv2DBackpropInput: dX[N,H,W,C] from dy and the filter. */
const conv2dBackpropInput = convGradient('input', false, ({ km, info, geometry, ptrs, total }) => {
  if (convInputGradientUnneeded()) {
    // A fused convolution's gradient function asks for dx although its input needs no gradient (a
    // model's first convolution, on the images): zeros stand in, nobody reads them.
    km.exports.fill_f32(ptrs[2], total, 0);
    return;
  }
  km.exports.conv2d_backprop_input(...ptrs, ...geometry, convWork(km, info));
});

/** DepthwiseConv2dNativeBackpropFilter: dW[KH,KW,C,M] from x and dy. */
const depthwiseBackpropFilter = convGradient('filter', true, ({ km, geometry, ptrs, filterShape }) => {
  km.exports.depthwise_backprop_filter(...ptrs, filterShape[3], ...geometry);
});

/** DepthwiseConv2dNativeBackpropInput: dX[N,H,W,C] from dy and the filter. */
const depthwiseBackpropInput = convGradient('input', true, ({ km, info, geometry, ptrs, filterShape }) => {
  km.exports.depthwise_backprop_input(...ptrs, filterShape[3], ...geometry,
    km.scratch(km.exports.depthwise_work_floats(info.inWidth, info.filterHeight, info.filterWidth)));
});

/** Tile: float32 any rank, by block copies; other dtypes go to the built-in. */
function tile(args: KernelArgs, { variant, fallback }: KernelContext): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { reps } = args.attrs as unknown as { reps: number[] };
  if ((x.dtype !== 'float32' || x.shape.length === 0) && fallback !== null) return fallback(args) as tf.TensorInfo;
  requireFloat32('Tile', x);
  const { be, km } = moduleOf(args.backend, variant);
  const rank = x.shape.length;
  if (reps.length !== rank) throw new Error(`lib/backend/kernels Tile: reps [${reps}] do not match the rank of [${x.shape}]`);
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const out = be.makeOutput(outShape, 'float32');
  if (size(outShape) === 0) return out;
  const meta = km.scratch(4 * rank);
  const ints = new Int32Array(be.wasm.asm.memory.buffer, meta, 4 * rank);
  for (let d = rank - 1, xs = 1, ys = 1; d >= 0; --d) {
    ints[d] = x.shape[d];
    ints[rank + d] = reps[d];
    ints[2 * rank + d] = xs;
    ints[3 * rank + d] = ys;
    xs *= x.shape[d];
    ys *= outShape[d];
  }
  km.exports.tile_f32(offsetOf(be, x), offsetOf(be, out), rank, meta);
  return out;
}

/**
 * Sum or Mean of float32 over the leading axes (0..k-1, k < rank), the reductions batch norm and
 * bias gradients do on NHWC tensors; any other reduction goes to the built-in.
 */
function leadingReduction(mean: boolean, middle: boolean): KernelImpl {
  return (args, ctx) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
    // A contiguous run of axes ending before the last one: [outer, rows, cols] -> [outer, cols].
    // Leading runs (batch norm) always; inner runs (global average pooling, squeeze-excite) when `middle`.
    const contiguous = axes.length > 0 && axes.every((a, i) => a === axes[0] + i) && axes[axes.length - 1] < rank - 1;
    const ok = contiguous && (axes[0] === 0 || middle);
    if (!ok || x.dtype !== 'float32') return builtIn(args, ctx, `no built-in kernel for axes [${axes}] of [${x.shape}]`);
    const { be, km } = moduleOf(args.backend, ctx.variant);
    const first = axes[0], last = axes[axes.length - 1] + 1;
    const outer = size(x.shape.slice(0, first)), rows = size(x.shape.slice(first, last)), cols = size(x.shape.slice(last));
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const out = be.makeOutput(outShape, 'float32');
    if (cols * outer === 0) return out;
    const scale = mean ? 1 / rows : 1;
    const px = offsetOf(be, x), py = offsetOf(be, out), acc = km.scratch(cols);
    for (let o = 0; o < outer; o++) km.exports.sum_rows(px + o * rows * cols * 4, py + o * cols * 4, rows, cols, scale, acc);
    return out;
  };
}

/**
 * Identity without a copy: the output shares the input's buffer (reference-counted, as tfjs's cpu
 * backend does), where tfjs-wasm copies it. Training steps call it over a thousand times (gradient
 * functions and tf.layers clone tensors). In-place writers (InPlaceAdam) check the reference count
 * and copy first.
 */
function identity(args: KernelArgs, { fallback }: KernelContext): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string' && fallback !== null) return fallback(args) as tf.TensorInfo;
  (args.backend as tf.KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/**
 * Cast without a copy when the dtype does not change (float32 to float32), as {@link identity}: tfjs's
 * gradients cast their saved inputs "to float32" (Multiply's, ReLU's, ...), and tfjs-wasm copies every
 * one of them, about 12 ms of a MobileNetV3 step at 224 px. A real conversion is tfjs-wasm's own.
 */
function castSameType(args: KernelArgs, ctx: KernelContext): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { dtype } = args.attrs as unknown as { dtype: tf.DataType };
  if (dtype === x.dtype && x.dtype !== 'string' && x.dtype !== 'complex64') return identity(args, ctx);
  if (ctx.fallback === null) throw new Error(`lib/backend/kernels Cast: no built-in kernel for ${x.dtype} -> ${dtype}`);
  return ctx.fallback(args) as tf.TensorInfo;
}

interface PoolGradAttrs {
  filterSize: Strides;
  strides: Strides;
  pad: Pad;
  dimRoundingMode?: Rounding;
}

/** MaxPoolGrad: each dy to the first maximum of its window (replaces a slow built-in). */
function maxPoolGrad(args: KernelArgs, { variant, fallback }: KernelContext): tf.TensorInfo {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as PoolGradAttrs;
  if ((dy.dtype !== 'float32' || input.dtype !== 'float32' || input.shape.length !== 4) && fallback !== null) {
    return fallback(args) as tf.TensorInfo;
  }
  requireFloat32('MaxPoolGrad', dy, input);
  const { be, km } = moduleOf(args.backend, variant);
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize,
    attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  sameShape('MaxPoolGrad', 'dy', dy.shape, info.outShape);
  const out = be.makeOutput([...input.shape], 'float32');
  if (size(input.shape) === 0) return out;
  km.exports.max_pool_backprop(offsetOf(be, input), offsetOf(be, dy), offsetOf(be, out), info.batchSize, info.inHeight,
    info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels, info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left, 1, 1);
  return out;
}

/** Fill modes src/kernels.c's transform_image takes (tfjs-backend-wasm's ids); reflect goes to the built-in. */
const TRANSFORM_FILL: Record<string, number> = { constant: 1, wrap: 3, nearest: 4 };

/**
 * Transform (tf.image.transform): the built-in's arithmetic, bit for bit, with each output pixel's source
 * point and bilinear weights computed once instead of once per channel (2.3-2.5x faster on a batch of 64
 * RGB images of 64 px: the augmentation's geometry). Reflect fill, non-float32 images and non-finite matrices go to the
 * built-in.
 */
function transform(args: KernelArgs, ctx: KernelContext): tf.TensorInfo {
  const { image, transforms } = args.inputs as { image: tf.TensorInfo; transforms: tf.TensorInfo };
  const { interpolation, fillMode, fillValue, outputShape } = args.attrs as unknown as tf.TransformAttrs;
  const fill = TRANSFORM_FILL[fillMode];
  if (fill === undefined || image.dtype !== 'float32' || transforms.dtype !== 'float32' || image.shape.length !== 4 ||
    transforms.shape.length !== 2 || transforms.shape[1] !== 8 || (interpolation !== 'bilinear' && interpolation !== 'nearest')) {
    return builtIn(args, ctx, `unsupported case (fill ${fillMode}, interpolation ${interpolation}, ${image.dtype})`);
  }
  const { be, km } = moduleOf(args.backend, ctx.variant);
  const matrices = heapView(be, transforms);
  if (!matrices.every(Number.isFinite)) return builtIn(args, ctx, 'non-finite transform matrix');
  const [N, H, W, C] = image.shape;
  const [OH, OW] = outputShape ?? [H, W];
  const out = be.makeOutput([N, OH, OW, C], 'float32');
  if (N * OH * OW * C === 0) return out;
  km.exports.transform_image(offsetOf(be, image), offsetOf(be, transforms), offsetOf(be, out), transforms.shape[0] > 1 ? 1 : 0,
    N, H, W, C, OH, OW, interpolation === 'nearest' ? 1 : 2, fill, fillValue);
  return out;
}

/**
 * Slice of float32 by block copies: trailing axes taken whole merge into one contiguous block, so the
 * gradient of a spatial pad ([N,H,W,C] -> an H/W window) copies one block per (n, h) with
 * TypedArray.copyWithin, where tfjs-wasm makes a subarray per innermost row.
 */
function slice(args: KernelArgs, { fallback }: KernelContext): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { begin, size: sz } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  if (x.dtype !== 'float32' && fallback !== null) return fallback(args) as tf.TensorInfo;
  requireFloat32('Slice', x);
  const be = wasmBackend(args.backend);
  const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, sz);
  const out = be.makeOutput(s, 'float32');
  const total = size(s);
  if (total === 0) return out;
  const rank = x.shape.length;
  // Merge trailing axes taken whole (and the first partial one) into one contiguous block.
  let k = rank - 1;
  let block = s[k];
  while (k > 0 && s[k] === x.shape[k] && b[k] === 0) {
    k--;
    block *= s[k];
  }
  const heap = new Float32Array(be.wasm.asm.memory.buffer);
  const xStrides = [...tf.util.computeStrides(x.shape), 1];
  const src0 = offsetOf(be, x) / 4, dst0 = offsetOf(be, out) / 4;
  let base = src0;
  for (let d = 0; d < rank; d++) base += b[d] * xStrides[d];
  // Odometer over the outer axes 0..k-1.
  const idx = new Array<number>(k).fill(0);
  let dst = dst0;
  for (;;) {
    let src = base;
    for (let d = 0; d < k; d++) src += idx[d] * xStrides[d];
    heap.copyWithin(dst, src, src + block);
    dst += block;
    let d = k - 1;
    while (d >= 0 && ++idx[d] === s[d]) idx[d--] = 0;
    if (d < 0) break;
  }
  return out;
}

/**
 * DepthwiseConv2dNative forward with channel multiplier 1 (MobileNet's), NHWC float32, any stride,
 * padding and dilation: register-held sums over the taps, 16 channels at a time (stride 2 with 3-wide
 * filters: 4 at a time with the filter in registers; 2-3x XNNPACK's speed in tfjs-wasm on MobileNetV3's
 * shapes, src/kernels.c); other multipliers go to the built-in.
 */
function depthwiseForward(args: KernelArgs, ctx: KernelContext): tf.TensorInfo {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvBackpropAttrs;
  const nhwc = attrs.dataFormat === undefined || attrs.dataFormat === 'NHWC' || attrs.dataFormat === 'channelsLast';
  const ok = nhwc && x.dtype === 'float32' && filter.dtype === 'float32' && filter.shape[3] === 1;
  if (!ok) return builtIn(args, ctx, `unsupported case (filter [${filter.shape}], ${attrs.dataFormat})`);
  const { be, km } = moduleOf(args.backend, ctx.variant);
  const { info, geometry } = convSpec(x.shape, filter.shape, attrs.strides, attrs.dilations ?? 1, attrs.pad,
    attrs.dimRoundingMode, true);
  const out = be.makeOutput([...info.outShape], 'float32');
  if (size(info.outShape) === 0) return out;
  km.exports.depthwise_forward(offsetOf(be, x), offsetOf(be, filter), offsetOf(be, out), ...geometry,
    km.scratch(km.exports.depthwise_work_floats(info.outWidth, info.filterHeight, info.filterWidth)));
  return out;
}

/**
 * src/kernels.c pad_f32's meta block in scratch: axes with no padding merge into the axis before them
 * (an [N,H,W,C] tensor padded on H and W becomes [N,H,W*C] with W's padding times C), so the innermost
 * copy is a whole image row, not C floats.
 */
function padMeta(km: KernelModule, shape: readonly number[], before: readonly number[], after: readonly number[]): { meta: number; rank: number } {
  const s: number[] = [], b: number[] = [], a: number[] = [];
  shape.forEach((d, i) => {
    if (i > 0 && before[i] === 0 && after[i] === 0) {
      const k = s.length - 1;
      s[k] *= d; b[k] *= d; a[k] *= d;
    } else {
      s.push(d); b.push(before[i]); a.push(after[i]);
    }
  });
  const rank = s.length;
  const meta = km.scratch(5 * rank);
  const ints = new Int32Array(km.backend.wasm.asm.memory.buffer, meta, 5 * rank);
  for (let d = rank - 1, xs = 1, ys = 1; d >= 0; --d) {
    ints[d] = s[d];
    ints[rank + d] = b[d];
    ints[2 * rank + d] = a[d];
    ints[3 * rank + d] = xs;
    ints[4 * rank + d] = ys;
    xs *= s[d];
    ys *= s[d] + b[d] + a[d];
  }
  return { meta, rank };
}

/**
 * PadV2 (constant padding) of float32 by block fills and copies (the zero padding before MobileNet's
 * stride-2 convolutions, the images included; tfjs-wasm's copies element by element). Negative or
 * non-float32 cases go to the built-in.
 */
function padV2(args: KernelArgs, ctx: KernelContext): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { paddings, constantValue } = args.attrs as unknown as { paddings: [number, number][]; constantValue: number };
  const ok = x.dtype === 'float32' && x.shape.length > 0 && paddings.length === x.shape.length &&
    paddings.every(([p, q]) => Number.isInteger(p) && Number.isInteger(q) && p >= 0 && q >= 0);
  if (!ok) return builtIn(args, ctx, `unsupported case (paddings ${JSON.stringify(paddings)}, ${x.dtype})`);
  const { be, km } = moduleOf(args.backend, ctx.variant);
  const outShape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const out = be.makeOutput(outShape, 'float32');
  if (size(outShape) === 0) return out;
  if (size(x.shape) === 0) {
    km.exports.fill_f32(offsetOf(be, out), size(outShape), constantValue);
    return out;
  }
  const { meta, rank } = padMeta(km, x.shape, paddings.map((p) => p[0]), paddings.map((p) => p[1]));
  km.exports.pad_f32(offsetOf(be, x), offsetOf(be, out), rank, meta, constantValue);
  return out;
}

/**
 * Conv2D and FusedConv2D forward (bias, linear / relu / relu6) through im2col blocks and the packed
 * SGEMM, which runs 1.3-1.5x XNNPACK's speed in tfjs-wasm where the reduction is long; few input
 * channels (< 8), other activations, PReLU weights and NCHW go to the built-in.
 */
function conv2dForward(args: KernelArgs, ctx: KernelContext): tf.TensorInfo {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const attrs = args.attrs as unknown as ConvBackpropAttrs & { activation?: string };
  const act = ACTIVATIONS[attrs.activation ?? 'linear'];
  const nhwc = attrs.dataFormat === undefined || attrs.dataFormat === 'NHWC' || attrs.dataFormat === 'channelsLast';
  const ok = act !== undefined && nhwc && preluActivationWeights == null && x!.dtype === 'float32' && filter!.dtype === 'float32' &&
    (bias == null || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === filter!.shape[3]));
  if (!ok) return builtIn(args, ctx, `unsupported case (activation ${attrs.activation})`);
  // Measured on this machine kind (same run, GFLOP/s, XNNPACK / ours): 5x5x3 -> 16: 19 / 13; re-measured
  // with bench/conv-kernels.ts (MobileNetV3 at 224 px, 2026-11-25): 1x1 16 -> 72: 10 / 39, 1x1 24 -> 96:
  // 19 / 40, 1x1 96 -> 576: 26 / 50. So only few input channels (im2col copies 1-7 floats per tap) stay
  // with XNNPACK.
  const C = x!.shape[3];
  if (C < 8 && ctx.fallback !== null) return ctx.fallback(args) as tf.TensorInfo;
  const { be, km } = moduleOf(args.backend, ctx.variant);
  const { info, geometry } = convSpec(x!.shape, filter!.shape, attrs.strides, attrs.dilations ?? 1, attrs.pad,
    attrs.dimRoundingMode, false);
  const out = be.makeOutput([...info.outShape], 'float32');
  if (size(info.outShape) === 0) return out;
  const work = convWork(km, info);
  const py = offsetOf(be, out);
  km.exports.conv2d_forward(offsetOf(be, x!), offsetOf(be, filter!), py, ...geometry, work);
  if (bias != null || act !== 0) {
    km.exports.bias_activation(py, bias != null ? offsetOf(be, bias) : 0, size(info.outShape) / info.outChannels, info.outChannels, act);
  }
  return out;
}

/**
 * Concat of 4-byte tensors (float32, int32) by a copy loop per input (bit for bit: the values are moved as 32-bit
 * words). tfjs-wasm copies one `subarray` per input per outer index, so a concat of narrow slices is a call per few
 * values: face-api's detectors join the three normalised colour planes of a 512 x 512 input that way (41 ms; the
 * tiny detector at 320 px spent 22 of its 47 ms there). Narrow inputs (< 64 values per outer index) are copied
 * value by value, wide ones by `copyWithin`. Other dtypes, one non-empty input and empty outputs go to the built-in.
 */
function concat(args: KernelArgs, ctx: KernelContext): tf.TensorInfo {
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  const dtype = inputs[0]?.dtype;
  if (dtype !== 'float32' && dtype !== 'int32') return builtIn(args, ctx, `unsupported dtype ${dtype}`);
  const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, inputs[0].shape)[0];
  const shapes = inputs.map((t) => t.shape);
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const nonEmpty = inputs.filter((t) => size(t.shape) > 0);
  if (nonEmpty.length < 2 || inputs.some((t) => t.dtype !== dtype)) return builtIn(args, ctx, 'one non-empty input or mixed dtypes');
  const be = wasmBackend(args.backend);
  const outShape = tf.backend_util.computeOutShape(shapes, axis);
  const out = be.makeOutput(outShape, dtype);
  const outer = size(nonEmpty[0].shape.slice(0, axis));
  const inner = nonEmpty.map((t) => size(t.shape.slice(axis)));
  const total = inner.reduce((a, b) => a + b, 0);
  const heap = new Int32Array(be.wasm.asm.memory.buffer);
  const dst0 = offsetOf(be, out) / 4;
  let col = 0;
  nonEmpty.forEach((t, i) => {
    const n = inner[i];
    const src0 = offsetOf(be, t) / 4;
    if (n >= 64) {
      for (let b = 0; b < outer; b++) heap.copyWithin(dst0 + b * total + col, src0 + b * n, src0 + (b + 1) * n);
    } else {
      for (let b = 0, s = src0, d = dst0 + col; b < outer; b++, d += total) {
        for (let k = 0; k < n; k++) heap[d + k] = heap[s++];
      }
    }
    col += n;
  });
  return out;
}

/**
 * FusedBatchNorm (batch normalisation with given statistics: inference, e.g. face-api's SSD) as one SIMD pass, bit
 * for bit tfjs-wasm's scalar loop (src/kernels.c `batch_norm_infer` says how its arithmetic was pinned down): 13 calls
 * of face-api's SSD at 512 px took 38 ms there, 8.3 here. Every statistic must hold one float32 per channel of x's last
 * axis; other cases (a missing offset or scale, broadcast statistics) go to the built-in.
 */
function batchNormInference(args: KernelArgs, ctx: KernelContext): tf.TensorInfo {
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
  const C = x!.shape[x!.shape.length - 1] ?? 0;
  const stats = [mean, variance, offset, scale];
  const ok = x!.dtype === 'float32' && C > 0 && stats.every((t) => t != null && t.dtype === 'float32' && size(t.shape) === C);
  if (!ok) return builtIn(args, ctx, 'unsupported case (statistics not one float32 per channel, or no offset or scale)');
  const { be, km } = moduleOf(args.backend, ctx.variant);
  const out = be.makeOutput([...x!.shape], 'float32');
  const rows = size(x!.shape) / C;
  if (rows === 0) return out;
  km.exports.batch_norm_infer(offsetOf(be, x!), offsetOf(be, mean!), offsetOf(be, variance!), offsetOf(be, offset!), offsetOf(be, scale!),
    offsetOf(be, out), rows, C, varianceEpsilon, km.scratch(4 * C));
  return out;
}

/**
 * Add, Sub, Multiply and RealDiv of a float32 tensor and a per-channel constant (one value per position of its last
 * axis, at most 16 of them: ImageNet normalisation's mean and std over RGB) in one SIMD pass (src/kernels.c
 * `binary_inner`); every other case goes to the built-in. tfjs-wasm broadcasts row by row, a call per pixel for 3
 * channels: normalising 64 images at 224 px took 45 ms (sub) and 167 ms (div), most of the input pipeline's time.
 * Each value is the same single IEEE operation, so the bits are the built-in's.
 */
function binaryInner(op: 0 | 1 | 2 | 3): KernelImpl {
  return (args, ctx) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const rank = a.shape.length;
    const C = a.shape[rank - 1];
    const ok = a.dtype === 'float32' && b.dtype === 'float32' && rank >= 2 && C >= 1 && C <= 16 && b.shape.length <= rank &&
      b.shape[b.shape.length - 1] === C && size(b.shape) === C && size(a.shape) > C;
    if (!ok) return builtIn(args, ctx, 'not a per-channel constant');
    const { be, km } = moduleOf(args.backend, ctx.variant);
    const out = be.makeOutput([...a.shape], 'float32');
    km.exports.binary_inner(offsetOf(be, a), offsetOf(be, b), offsetOf(be, out), size(a.shape), C, op, km.scratch(4 * C));
    return out;
  };
}

/** Every kernel the project registers on wasm, for one build of the module (`fused`: the step-level ones too). */
export function trainingKernels(variant: KernelVariant, fused = true): TrainingKernel[] {
  const impls: [string, KernelImpl][] = [
    [tf.BatchMatMul, batchMatMul],
    [tf.Conv2DBackpropFilter, conv2dBackpropFilter],
    [tf.Conv2DBackpropInput, conv2dBackpropInput],
    [tf.DepthwiseConv2dNativeBackpropFilter, depthwiseBackpropFilter],
    [tf.DepthwiseConv2dNativeBackpropInput, depthwiseBackpropInput],
    [tf.Tile, tile],
    [tf.Sum, leadingReduction(false, fused)],
    [tf.Mean, leadingReduction(true, fused)],
  ];
  if (fused) {
    impls.push([tf.Identity, identity], [tf.Cast, castSameType], [tf.MaxPoolGrad, maxPoolGrad], [tf.Slice, slice], [tf.Conv2D, conv2dForward],
      [tf.FusedConv2D, conv2dForward], [tf._FusedMatMul, fusedMatMul], [tf.DepthwiseConv2dNative, depthwiseForward], [tf.PadV2, padV2],
      [tf.Transform, transform], [tf.Concat, concat], [tf.FusedBatchNorm, batchNormInference],
      [tf.Add, binaryInner(0)], [tf.Sub, binaryInner(1)], [tf.Multiply, binaryInner(2)], [tf.RealDiv, binaryInner(3)]);
  }
  return impls.map(([kernelName, impl]) => ({ kernelName, kernelFunc: (args, fallback) => impl(args, { kernelName, variant, fallback }) }));
}
