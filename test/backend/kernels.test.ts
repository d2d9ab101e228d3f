/**
 * The project's wasm training kernels (lib/backend/kernels) against tfjs's cpu backend: gradients of
 * conv2d, depthwise conv2d and matMul for many geometries, kernel-level checks with dilation, and
 * leak checks. Error measure (issue 4): ||ours - cpu|| / (||cpu|| + 1e-6) < 1e-4, and elementwise
 * |ours - cpu| <= 1e-4 * max|cpu| + 1e-6. Set KERNELS_VERBOSE=1 to print every error.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, activeWasmKernels, registerWasmKernels, inPlaceAdam } from '../../lib/backend';
import { Rng } from '../../lib/util/rng';
import { convInputGradientUnneeded } from '../../lib/backend/kernels/frugal-gradients';
import { assertFlatOver } from './leaks';

const REL_TOL = 1e-4;
const ABS_TOL = 1e-4;
const verbose = process.env.KERNELS_VERBOSE === '1';
let worst = 0;

before(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
});

function randomArray(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Asserts ours ≈ ref by the issue's measure; returns the relative error. */
function assertClose(label: string, ours: Float32Array, ref: Float32Array): number {
  assert.equal(ours.length, ref.length, `${label}: length ${ours.length} vs ${ref.length}`);
  let num = 0, den = 0, refMax = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (ours[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
    refMax = Math.max(refMax, Math.abs(ref[i]));
  }
  const rel = Math.sqrt(num) / (Math.sqrt(den) + 1e-6);
  const atol = ABS_TOL * refMax + 1e-6;
  for (let i = 0; i < ref.length; i++) {
    if (!(Math.abs(ours[i] - ref[i]) <= atol)) assert.fail(`${label}: element ${i} is ${ours[i]}, cpu ${ref[i]} (tolerance ${atol})`);
  }
  if (verbose) console.log(`${label}: relative error ${rel.toExponential(2)}`);
  worst = Math.max(worst, rel);
  assert.ok(rel < REL_TOL, `${label}: relative error ${rel} >= ${REL_TOL}`);
  return rel;
}

/** Runs fn on a backend with fresh tensors made from the arrays; returns the outputs' values. */
async function onBackend(
  backend: 'cpu' | 'wasm', inputs: { values: Float32Array; shape: number[] }[], fn: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  try {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape, 'float32'));
    const outs = fn(...xs);
    const values = outs.map((o) => o.dataSync() as Float32Array);
    tf.dispose([...xs, ...outs]);
    return values;
  } finally {
    await tf.setBackend('wasm');
  }
}

/** Gradient of sum(op(x, w) * r) with respect to x and w, on wasm and on cpu, compared. */
async function checkGrads(label: string, xShape: number[], wShape: number[], op: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D) {
  const rng = new Rng(label);
  const x = { values: randomArray(rng, sizeOf(xShape)), shape: xShape };
  const w = { values: randomArray(rng, sizeOf(wShape)), shape: wShape };
  const outShape = tf.tidy(() => op(tf.zeros(xShape) as tf.Tensor4D, tf.zeros(wShape) as tf.Tensor4D).shape);
  const r = { values: randomArray(rng, sizeOf(outShape)), shape: outShape };
  const grads = (xt: tf.Tensor, wt: tf.Tensor, rt: tf.Tensor) =>
    tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), rt)))([xt, wt]);
  const ours = await onBackend('wasm', [x, w, r], grads);
  const ref = await onBackend('cpu', [x, w, r], grads);
  assertClose(`${label} dx`, ours[0], ref[0]);
  assertClose(`${label} dw`, ours[1], ref[1]);
}

test('the kernels are registered on wasm and replace the slow built-ins', () => {
  const reg = activeWasmKernels();
  assert.ok(reg !== null, 'initBackend on wasm registers the kernels');
  for (const name of ['BatchMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DepthwiseConv2dNativeBackpropFilter',
    'DepthwiseConv2dNativeBackpropInput']) {
    assert.ok(reg.registered.includes(name), `${name} registered`);
    assert.ok(tf.getKernel(name, 'wasm') !== undefined);
  }
  // The fused set (default) adds copy-free Identity and same-type Cast, MaxPoolGrad, Slice, forward Conv2D / FusedConv2D,
  // _FusedMatMul, DepthwiseConv2dNative, PadV2, Transform, Concat, FusedBatchNorm, per-channel Add / Sub / Multiply /
  // RealDiv and six project kernels (kernels-fused.test.ts).
  assert.deepEqual([...reg.replaced].sort(), ['Add', 'BatchMatMul', 'Cast', 'Concat', 'Conv2D', 'Conv2DBackpropInput', 'DepthwiseConv2dNative',
    'FusedBatchNorm', 'FusedConv2D', 'Identity', 'MaxPoolGrad', 'Mean', 'Multiply', 'PadV2', 'RealDiv', 'Slice', 'Sub', 'Sum', 'Tile', 'Transform',
    '_FusedMatMul']);
  assert.match(reg.note, /^wasm kernels: 30 registered \((relaxed-simd|simd), fused\)$/);
});

test('matMul with every transpose matches cpu, including gradients and batches', async () => {
  const cases: [number, number, number][] = [[1, 1, 1], [7, 5, 3], [33, 17, 9], [64, 300, 40], [130, 257, 520]];
  for (const [M, K, N] of cases) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const label = `matMul ${M}x${K}x${N} tA=${ta} tB=${tb}`;
        await checkGrads(label, [1, 1, ta ? K : M, ta ? M : K], [1, 1, tb ? N : K, tb ? K : N],
          (a, b) => tf.matMul(a.reshape(a.shape.slice(2) as [number, number]), b.reshape(b.shape.slice(2) as [number, number]), ta, tb)
            .reshape([1, 1, M, N]) as tf.Tensor4D);
      }
    }
  }
  // a broadcast batch of 1 (forward only: tfjs-core's BatchMatMul gradient does not reduce broadcast batches)
  const rng = new Rng('broadcast matMul');
  const a = { values: randomArray(rng, 3 * 5 * 7), shape: [3, 5, 7] }, b = { values: randomArray(rng, 7 * 4), shape: [1, 7, 4] };
  const product = (p: tf.Tensor, q: tf.Tensor) => [tf.matMul(p as tf.Tensor3D, q as tf.Tensor3D)];
  assertClose('broadcast matMul [3,5,7]x[1,7,4]', (await onBackend('wasm', [a, b], product))[0], (await onBackend('cpu', [a, b], product))[0]);
  await checkGrads('batched matMul tA tB', [1, 4, 6, 5], [1, 4, 3, 6],
    (a, b) => tf.matMul(a.reshape([4, 6, 5]), b.reshape([4, 3, 6]), true, true).reshape([1, 4, 5, 3]) as tf.Tensor4D);
});

interface ConvCase {
  readonly n: number; readonly h: number; readonly w: number; readonly c: number; readonly co: number;
  readonly k: number; readonly s: 1 | 2; readonly pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
}
const CONV_CASES: ConvCase[] = [
  { n: 1, h: 7, w: 9, c: 3, co: 5, k: 3, s: 1, pad: 'same' },
  { n: 4, h: 8, w: 8, c: 4, co: 6, k: 3, s: 2, pad: 'same' },
  { n: 2, h: 9, w: 7, c: 5, co: 3, k: 3, s: 2, pad: 'valid' },
  { n: 3, h: 6, w: 6, c: 8, co: 16, k: 1, s: 1, pad: 'valid' },
  { n: 2, h: 7, w: 7, c: 4, co: 4, k: 1, s: 2, pad: 'same' },
  { n: 1, h: 11, w: 10, c: 3, co: 4, k: 5, s: 1, pad: 'same' },
  { n: 2, h: 13, w: 12, c: 6, co: 10, k: 5, s: 2, pad: 'valid' },
  { n: 8, h: 5, w: 5, c: 7, co: 9, k: 3, s: 1, pad: 'valid' },
  { n: 2, h: 9, w: 8, c: 3, co: 5, k: 3, s: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { n: 1, h: 40, w: 40, c: 16, co: 24, k: 3, s: 1, pad: 'same' }, // more than one im2col block
  // 1-4 input channels: the direct filter-gradient loop (8 output channels at a time, then a scalar tail)
  { n: 3, h: 11, w: 13, c: 1, co: 17, k: 3, s: 2, pad: 'valid' },
  { n: 1, h: 9, w: 8, c: 2, co: 9, k: 5, s: 1, pad: 'same' },
  { n: 2, h: 16, w: 16, c: 3, co: 16, k: 3, s: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] }, // MobileNet's stem
];

test('conv2d gradients (input and filter) match cpu: strides 1/2, same/valid/explicit, 1x1 to 5x5, batch 1 to 8', async () => {
  for (const cs of CONV_CASES) {
    const label = `conv2d ${JSON.stringify(cs)}`;
    await checkGrads(label, [cs.n, cs.h, cs.w, cs.c], [cs.k, cs.k, cs.c, cs.co], (x, w) => tf.conv2d(x, w, cs.s, cs.pad));
  }
});

test('depthwise conv2d gradients match cpu: channel multiplier 1 and 2, strides 1/2, same/valid, odd sizes', async () => {
  for (const m of [1, 2, 3]) {
    for (const cs of CONV_CASES.filter((c) => c.k > 1 && c.h < 20)) {
      const label = `depthwise m=${m} ${JSON.stringify({ ...cs, co: undefined })}`;
      await checkGrads(label, [cs.n, cs.h, cs.w, cs.c], [cs.k, cs.k, cs.c, m],
        (x, w) => tf.depthwiseConv2d(x, w, cs.s, cs.pad === 'same' || cs.pad === 'valid' ? cs.pad : 'same'));
    }
  }
  await checkGrads('depthwise m=1 C=37 (vector tail)', [2, 9, 9, 37], [3, 3, 37, 1], (x, w) => tf.depthwiseConv2d(x, w, 2, 'same'));
  // Multiplier 1 sums 16 channels at a time in registers, at most 25 taps per batch: 7x7 needs two batches.
  await checkGrads('depthwise m=1 C=40 7x7', [2, 12, 11, 40], [7, 7, 40, 1], (x, w) => tf.depthwiseConv2d(x, w, 1, 'same'));
  await checkGrads('depthwise m=1 C=16 5x5 s2 valid', [3, 15, 14, 16], [5, 5, 16, 1], (x, w) => tf.depthwiseConv2d(x, w, 2, 'valid'));
  await checkGrads('depthwise m=1 C=1 batch 1', [1, 6, 5, 1], [3, 3, 1, 1], (x, w) => tf.depthwiseConv2d(x, w, 2, 'same'));
  await checkGrads('depthwise m=2 C=13', [2, 9, 9, 13], [3, 3, 13, 2], (x, w) => tf.depthwiseConv2d(x, w, 1, 'same'));
});

/** Inserts (d-1) zeros between filter taps: conv with the result equals conv with dilation d. */
function dilateFilter(values: Float32Array, shape: number[], d: number): { values: Float32Array; shape: number[] } {
  const [kh, kw, c, m] = shape;
  const ekh = (kh - 1) * d + 1, ekw = (kw - 1) * d + 1;
  const out = new Float32Array(ekh * ekw * c * m);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      out.set(values.subarray((i * kw + j) * c * m, (i * kw + j + 1) * c * m), (i * d * ekw + j * d) * c * m);
    }
  }
  return { values: out, shape: [ekh, ekw, c, m] };
}

/** The taps of a dilated filter's gradient that belong to the undilated filter. */
function undilate(values: Float32Array, shape: number[], d: number): Float32Array {
  const [kh, kw, c, m] = shape;
  const ekw = (kw - 1) * d + 1;
  const out = new Float32Array(kh * kw * c * m);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      out.set(values.subarray((i * d * ekw + j * d) * c * m, (i * d * ekw + j * d + 1) * c * m), (i * kw + j) * c * m);
    }
  }
  return out;
}

test('dilation: the backprop kernels with dilations match cpu kernels run on the zero-inserted filter', async () => {
  const cases = [
    { n: 2, h: 10, w: 9, c: 3, co: 4, k: 3, d: 2, pad: 'same' as const },
    { n: 1, h: 12, w: 12, c: 5, co: 2, k: 3, d: 3, pad: 'valid' as const },
    { n: 3, h: 9, w: 11, c: 4, co: 6, k: 2, d: 2, pad: 'same' as const },
  ];
  for (const cs of cases) {
    for (const [depthwise, m] of [[false, cs.co], [true, 1], [true, 2]] as [boolean, number][]) {
      const rng = new Rng(`dilation ${JSON.stringify(cs)} ${depthwise} ${m}`);
      const xShape = [cs.n, cs.h, cs.w, cs.c], wShape = [cs.k, cs.k, cs.c, m];
      const x = { values: randomArray(rng, sizeOf(xShape)), shape: xShape };
      const w = { values: randomArray(rng, sizeOf(wShape)), shape: wShape };
      const wd = dilateFilter(w.values, wShape, cs.d);
      const outShape = tf.tidy(() => (depthwise
        ? tf.depthwiseConv2d(tf.zeros(xShape) as tf.Tensor4D, tf.zeros(wd.shape) as tf.Tensor4D, 1, cs.pad)
        : tf.conv2d(tf.zeros(xShape) as tf.Tensor4D, tf.zeros(wd.shape) as tf.Tensor4D, 1, cs.pad)).shape);
      const dy = { values: randomArray(rng, sizeOf(outShape)), shape: outShape };
      const [bi, bf] = depthwise
        ? ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter']
        : ['Conv2DBackpropInput', 'Conv2DBackpropFilter'];
      const run = (dil: number, filterShape: number[]) => (dyT: tf.Tensor, fT: tf.Tensor, xT: tf.Tensor) => {
        const attrs = { strides: 1, pad: cs.pad, dataFormat: 'NHWC', dilations: dil };
        return [
          tf.engine().runKernel(bi, { dy: dyT, filter: fT }, { ...attrs, inputShape: xShape }) as tf.Tensor,
          tf.engine().runKernel(bf, { x: xT, dy: dyT }, { ...attrs, filterShape }) as tf.Tensor,
        ];
      };
      const ours = await onBackend('wasm', [dy, w, x], run(cs.d, wShape));
      const ref = await onBackend('cpu', [dy, wd, x], run(1, wd.shape));
      const label = `${depthwise ? `depthwise m=${m}` : 'conv2d'} dilation ${JSON.stringify(cs)}`;
      assertClose(`${label} dx`, ours[0], ref[0]);
      assertClose(`${label} dw`, ours[1], undilate(ref[1], wShape, cs.d));
    }
  }
});

test('depthwise conv2d forward (multiplier 1: the project kernel; 2: built-in) matches cpu, dilation included', async () => {
  const cases: { x: number[]; k: number; m: number; s: 1 | 2; pad: 'same' | 'valid'; d: number }[] = [
    { x: [2, 9, 8, 16], k: 3, m: 1, s: 1, pad: 'same', d: 1 },
    { x: [3, 14, 15, 40], k: 5, m: 1, s: 2, pad: 'valid', d: 1 },
    { x: [1, 7, 7, 37], k: 5, m: 1, s: 1, pad: 'same', d: 1 },
    { x: [2, 12, 11, 20], k: 7, m: 1, s: 1, pad: 'same', d: 1 }, // 49 taps: two batches of at most 25
    { x: [1, 11, 10, 5], k: 3, m: 1, s: 1, pad: 'same', d: 2 },
    { x: [2, 10, 10, 3], k: 3, m: 1, s: 2, pad: 'valid', d: 1 },
    { x: [1, 8, 8, 6], k: 3, m: 2, s: 1, pad: 'same', d: 1 },
  ];
  for (const cs of cases) {
    const rng = new Rng(`depthwise forward ${JSON.stringify(cs)}`);
    const x = { values: randomArray(rng, sizeOf(cs.x)), shape: cs.x };
    const wShape = [cs.k, cs.k, cs.x[3], cs.m];
    const w = { values: randomArray(rng, sizeOf(wShape)), shape: wShape };
    const f = (a: tf.Tensor, b: tf.Tensor) => [tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, cs.s, cs.pad, 'NHWC', cs.d)];
    assertClose(`depthwise forward ${JSON.stringify(cs)}`, (await onBackend('wasm', [x, w], f))[0], (await onBackend('cpu', [x, w], f))[0]);
  }
});

/** max |ours - ref| / max |ref| (the issue-18 measure for the depthwise row kernels). */
function maxRelError(ours: Float32Array, ref: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) {
    num = Math.max(num, Math.abs(ours[i] - ref[i]));
    den = Math.max(den, Math.abs(ref[i]));
  }
  return num / (den + 1e-30);
}

test('depthwise multiplier 1 row kernels (issue 18): forward, input and filter gradients within 1e-5 of cpu, no leak', async () => {
  // Strides 1 and 2, 3x3 and 5x5, odd spatial sizes, same / valid, channel counts with every tail (C = 3, 5, 17:
  // the 16-, 8-, 4-wide and scalar paths), batch 1, images narrower than the kernel's reach (border columns
  // only), and MobileNetV3's own shapes, small.
  const cases: { x: number[]; k: number; kh?: number; s: 1 | 2 | [number, number]; pad: 'same' | 'valid' }[] = [];
  for (const c of [3, 5, 17, 24]) {
    for (const k of [3, 5]) {
      for (const s of [1, 2] as const) {
        for (const pad of ['same', 'valid'] as const) cases.push({ x: [1, 11, 9, c], k, s, pad });
      }
    }
  }
  cases.push({ x: [2, 7, 7, 40], k: 5, s: 1, pad: 'same' }, { x: [1, 3, 4, 8], k: 5, s: 1, pad: 'same' },
    { x: [2, 15, 15, 16], k: 3, s: 2, pad: 'valid' }, { x: [1, 9, 9, 96], k: 5, s: 2, pad: 'valid' },
    { x: [1, 13, 12, 33], k: 3, s: 1, pad: 'same' }, { x: [1, 2, 2, 4], k: 3, s: 2, pad: 'same' });
  // The stride-2, 3-wide kernels (issue 18, 2026-12-03): MobileNetV3's channel counts (16, 72) on even and odd
  // sizes, same and valid, more than 32 channels on a small tensor, every channel tail, images whose columns are
  // all border, stride 2 across only or down only, taller kernels (5x3: more than one pass of kernel rows), and an
  // input over 10 MB.
  cases.push({ x: [1, 16, 16, 72], k: 3, s: 2, pad: 'same' }, { x: [1, 17, 17, 72], k: 3, s: 2, pad: 'valid' },
    { x: [2, 12, 10, 36], k: 3, s: 2, pad: 'same' }, { x: [1, 10, 13, 22], k: 3, s: 2, pad: 'same' },
    { x: [1, 6, 5, 7], k: 3, s: 2, pad: 'valid' }, { x: [1, 3, 3, 8], k: 3, s: 2, pad: 'same' },
    { x: [1, 4, 4, 13], k: 3, s: 2, pad: 'same' }, { x: [1, 9, 11, 16], k: 3, s: [1, 2], pad: 'same' },
    { x: [1, 9, 11, 16], k: 3, s: [2, 1], pad: 'same' }, { x: [1, 10, 9, 6], k: 3, s: [1, 2], pad: 'valid' },
    { x: [1, 12, 11, 12], k: 3, kh: 5, s: 2, pad: 'same' }, { x: [2, 13, 9, 9], k: 3, kh: 5, s: [1, 2], pad: 'valid' },
    { x: [1, 11, 12, 8], k: 3, kh: 7, s: 2, pad: 'same' },
    // over 10 MB: the rows are read once in order first (dws2_touch), which parks what it read in the output
    { x: [1, 201, 199, 68], k: 3, s: 2, pad: 'same' });
  const before = tf.memory().numTensors;
  let worstRel = 0;
  for (const cs of cases) {
    const label = `depthwise rows ${JSON.stringify(cs)}`;
    const rng = new Rng(label);
    const wShape = [cs.kh ?? cs.k, cs.k, cs.x[3], 1];
    const x = { values: randomArray(rng, sizeOf(cs.x)), shape: cs.x };
    const w = { values: randomArray(rng, sizeOf(wShape)), shape: wShape };
    const outShape = tf.tidy(() => tf.depthwiseConv2d(tf.zeros(cs.x) as tf.Tensor4D, tf.zeros(wShape) as tf.Tensor4D, cs.s, cs.pad).shape);
    const dy = { values: randomArray(rng, sizeOf(outShape)), shape: outShape };
    const attrs = { strides: cs.s, pad: cs.pad, dilations: 1 };
    const run = (xt: tf.Tensor, wt: tf.Tensor, dyt: tf.Tensor) => [
      tf.depthwiseConv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, cs.s, cs.pad),
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dyt, filter: wt }, { ...attrs, inputShape: cs.x }) as tf.Tensor,
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: xt, dy: dyt }, { ...attrs, filterShape: wShape }) as tf.Tensor,
    ];
    const ours = await onBackend('wasm', [x, w, dy], run);
    const again = await onBackend('wasm', [x, w, dy], run);
    const ref = await onBackend('cpu', [x, w, dy], run);
    ['forward', 'input gradient', 'filter gradient'].forEach((what, i) => {
      const rel = maxRelError(ours[i], ref[i]);
      if (verbose) console.log(`${label} ${what}: max relative error ${rel.toExponential(2)}`);
      worstRel = Math.max(worstRel, rel);
      assert.ok(rel <= 1e-5, `${label} ${what}: max relative error ${rel} > 1e-5`);
      assert.deepEqual(again[i], ours[i], `${label} ${what}: not bit-identical between runs`);
    });
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  if (verbose) console.log(`depthwise rows: worst max relative error ${worstRel.toExponential(2)} over ${cases.length} cases`);
});

test('PadV2 by block copies matches cpu: any axes, a constant value, ranks 1-4, an empty input', async () => {
  const rng = new Rng('pad');
  const x4 = { values: randomArray(rng, 2 * 5 * 6 * 3), shape: [2, 5, 6, 3] };
  const cases: [string, (t: tf.Tensor) => tf.Tensor][] = [
    ['spatial [1,1] (MobileNet torchvision)', (t) => tf.pad(t, [[0, 0], [1, 1], [1, 1], [0, 0]])],
    ['spatial [0,1] (TensorFlow same)', (t) => tf.pad(t, [[0, 0], [0, 1], [0, 1], [0, 0]])],
    ['every axis, value 2.5', (t) => tf.pad(t, [[1, 0], [2, 1], [0, 3], [1, 2]], 2.5)],
    ['channels only', (t) => tf.pad(t, [[0, 0], [0, 0], [0, 0], [2, 1]])],
    ['none', (t) => tf.pad(t, [[0, 0], [0, 0], [0, 0], [0, 0]])],
    ['rank 1', (t) => tf.pad(t.reshape([-1]), [[3, 4]], -1)],
    ['rank 2', (t) => tf.pad(t.reshape([10, 18]), [[1, 2], [0, 5]])],
    ['empty input', (t) => tf.pad(tf.slice(t, [0, 0, 0, 0], [0, 5, 6, 3]), [[1, 1], [0, 0], [1, 0], [0, 0]], 7)],
  ];
  for (const [label, op] of cases) {
    const f = (t: tf.Tensor) => [op(t)];
    const [ours] = await onBackend('wasm', [x4], f), [ref] = await onBackend('cpu', [x4], f);
    if (ref.length === 0 || ref.every((v) => v === 0)) assert.deepEqual(ours, ref, label);
    else assertClose(`pad ${label}`, ours, ref);
  }
});

test('a fused first convolution skips its input gradient (x needs none) and still gets the right filter gradient', async () => {
  const name = 'Conv2DBackpropInput';
  const original = tf.getKernel(name, 'wasm')!;
  const calls: boolean[] = [];
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: (args) => {
    calls.push(convInputGradientUnneeded());
    return original.kernelFunc(args);
  } });
  try {
    const rng = new Rng('stem');
    const x = { values: randomArray(rng, 2 * 10 * 10 * 3), shape: [2, 10, 10, 3] };
    const w1 = { values: randomArray(rng, 3 * 3 * 3 * 8), shape: [3, 3, 3, 8] };
    const w2 = { values: randomArray(rng, 3 * 3 * 8 * 4), shape: [3, 3, 8, 4] };
    // Two fused convolutions with linear activations (as tf.layers runs a conv before batch norm; while
    // recording gradients tfjs fuses only linear ones): the first on the data, the second on its output.
    const grads = (xt: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => {
      const va = tf.variable(a), vb = tf.variable(b);
      const { value, grads: g } = tf.variableGrads(() => {
        const h = tf.relu(tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: va as tf.Tensor4D, strides: 2, pad: 'same' }));
        return tf.sum(tf.square(tf.fused.conv2d({ x: h, filter: vb as tf.Tensor4D, strides: 1, pad: 'same' })));
      }, [va, vb]);
      const out = [g[va.name], g[vb.name]];
      tf.dispose([value, va, vb]);
      return out;
    };
    const ours = await onBackend('wasm', [x, w1, w2], grads);
    const ref = await onBackend('cpu', [x, w1, w2], grads);
    assertClose('first conv dw', ours[0], ref[0]);
    assertClose('second conv dw', ours[1], ref[1]);
    // The second convolution's input gradient is computed, the first's is skipped; the flag is cleared after.
    assert.deepEqual(calls, [false, true]);
    assert.equal(convInputGradientUnneeded(), false);
  } finally {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
});

test('both builds (relaxed SIMD and plain SIMD) give the same gradients', async () => {
  const before = activeWasmKernels()?.variant;
  try {
    const results: Float32Array[][] = [];
    for (const choice of ['simd', 'auto'] as const) {
      registerWasmKernels(choice);
      const rng = new Rng('builds');
      const x = { values: randomArray(rng, 2 * 9 * 9 * 8), shape: [2, 9, 9, 8] };
      const w = { values: randomArray(rng, 3 * 3 * 8 * 12), shape: [3, 3, 8, 12] };
      results.push(await onBackend('wasm', [x, w], (a, b) => tf.grads((p: tf.Tensor, q: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 2, 'same'))))([a, b])));
    }
    assertClose('simd vs auto dx', results[0][0], results[1][0]);
    assertClose('simd vs auto dw', results[0][1], results[1][1]);
  } finally {
    registerWasmKernels(before ?? 'auto');
  }
});

test('no leaks: tensors and the wasm heap stay flat over 1,000 gradient steps', async () => {
  const rng = new Rng('leaks');
  const x = tf.tensor(randomArray(rng, 4 * 12 * 12 * 8), [4, 12, 12, 8]);
  const w1 = tf.variable(tf.tensor(randomArray(rng, 3 * 3 * 8 * 16), [3, 3, 8, 16]).mul(0.1));
  const w2 = tf.variable(tf.tensor(randomArray(rng, 3 * 3 * 16 * 1), [3, 3, 16, 1]).mul(0.1));
  const w3 = tf.variable(tf.tensor(randomArray(rng, 16 * 5), [16, 5]).mul(0.1));
  const step = () => {
    const { value, grads } = tf.variableGrads(() => {
      const h = tf.relu(tf.conv2d(x as tf.Tensor4D, w1, 2, 'same'));
      const d = tf.depthwiseConv2d(h, w2, 1, 'same');
      return tf.sum(tf.square(tf.matMul(tf.mean(d, [1, 2]), w3)));
    });
    for (const [name, g] of Object.entries(grads)) {
      const v = tf.engine().registeredVariables[name];
      tf.tidy(() => v.assign(v.sub(g.mul(1e-3))));
    }
    tf.dispose([value, ...Object.values(grads)]);
  };
  await assertFlatOver(1000, step);
  tf.dispose([x, w1, w2, w3]);
});

test('Tile, Sum and Mean (leading axes replaced, others built-in) match cpu', async () => {
  const rng = new Rng('tile-sum-mean');
  const x = { values: randomArray(rng, 3 * 5 * 7 * 6), shape: [3, 5, 7, 6] };
  const ops: [string, (t: tf.Tensor) => tf.Tensor][] = [
    ['tile [1,2,1,3]', (t) => tf.tile(t, [1, 2, 1, 3])],
    ['tile [2,1,1,1]', (t) => tf.tile(t, [2, 1, 1, 1])],
    ['tile 1-d', (t) => tf.tile(t.reshape([-1]), [3])],
    ['tile [1,1,1,C] to NHWC', (t) => tf.tile(tf.slice(t, [0, 0, 0, 0], [1, 1, 1, 6]), [3, 5, 7, 1])],
    ['sum [0,1,2]', (t) => tf.sum(t, [0, 1, 2])],
    ['sum [0,1,2] keepDims', (t) => tf.sum(t, [0, 1, 2], true)],
    ['sum [1,0] (unsorted)', (t) => tf.sum(t, [1, 0])],
    ['sum [0]', (t) => tf.sum(t, 0)],
    ['sum [3] (built-in)', (t) => tf.sum(t, 3)],
    ['sum all (built-in)', (t) => tf.sum(t)],
    ['mean [0,1,2]', (t) => tf.mean(t, [0, 1, 2])],
    ['mean [0,1] keepDims', (t) => tf.mean(t, [0, 1], true)],
    ['mean [1,2] (built-in)', (t) => tf.mean(t, [1, 2])],
  ];
  for (const [label, op] of ops) {
    const f = (t: tf.Tensor) => [op(t)];
    const [ours] = await onBackend('wasm', [x], f), [ref] = await onBackend('cpu', [x], f);
    assertClose(label, ours, ref);
  }
  const big = { values: randomArray(rng, 4 * 40 * 40 * 16), shape: [4, 40, 40, 16] };
  const f = (t: tf.Tensor) => [tf.sum(t, [0, 1, 2])];
  assertClose('sum over 6400 rows', (await onBackend('wasm', [big], f))[0], (await onBackend('cpu', [big], f))[0]);
});

test('InPlaceAdam on wasm (in place, XNNPACK caches dropped) follows tf.train.adam step for step', () => {
  const losses: number[][] = [];
  for (const make of [() => tf.train.adam(0.01), () => inPlaceAdam(0.01)]) {
    const rng = new Rng('adam');
    const x = tf.tensor(randomArray(rng, 2 * 8 * 8 * 3), [2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.variable(tf.tensor(randomArray(rng, 3 * 3 * 3 * 4), [3, 3, 3, 4]));
    const d = tf.variable(tf.tensor(randomArray(rng, 3 * 3 * 4), [3, 3, 4, 1]));
    const opt = make();
    const run: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.depthwiseConv2d(tf.conv2d(x, w, 1, 'same'), d, 1, 'same'))), [w, d]);
      opt.applyGradients(grads);
      run.push(value.dataSync()[0]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    losses.push(run);
    opt.dispose();
    tf.dispose([x, w, d]);
  }
  assert.ok(losses[0][5] < losses[0][0], 'the loss falls');
  losses[0].forEach((l, i) => assert.ok(Math.abs(l - losses[1][i]) <= 1e-5 * Math.abs(l), `step ${i}: ${losses[1][i]} vs tf.train.adam ${l}`));
});

test('worst relative error over all checks stays below 1e-4', () => {
  console.log(`kernels: worst relative error against cpu ${worst.toExponential(2)}`);
  assert.ok(worst > 0 && worst < REL_TOL);
});
