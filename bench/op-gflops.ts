/**
 * Per-op GFLOP/s against the SGEMM ceiling (issue 18, part 1): `npm run bench:ops`
 * (`npx tsx bench/op-gflops.ts [--cases workshop-64,seed2-128,mnv3-112,mnv3-224] [--reps 5] [--min-sample-ms 5]
 * [--only conv2d|depthwise|dense] [--stride 1|2]`: --only and --stride keep only the layers of that kind / stride).
 *
 * For each case of bench/train.ts (workshop-64: workshopCnn at 64 px, 32 pairs = 64 images; seed2-128:
 * seed2Cnn at 128 px, 16 pairs; mnv3-112 / mnv3-224: mobileNetV3Small, head 'simple', 16 pairs) it times
 * every Conv2D, DepthwiseConv2D and Dense layer on the layer's real shapes (batch = 2 x pairs images), in
 * three directions, through tfjs on the wasm backend with the project's kernels registered (as a training
 * step runs them):
 * - `forward`: tf.fused.conv2d with the layer's bias (FusedConv2D) / tf.conv2d (Conv2D) /
 *   tf.depthwiseConv2d (DepthwiseConv2dNative) / tf.fused.matMul with the bias (_FusedMatMul);
 * - `input`: the input gradient (Conv2DBackpropInput, DepthwiseConv2dNativeBackpropInput, or for Dense
 *   tf.matMul(dy, W, false, true)); skipped for the first layer, whose input (the image) needs no gradient
 *   in training;
 * - `filter`: the weight gradient (Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter, or for Dense
 *   tf.matMul(x, dy, true, false)).
 * Bias gradients, batch norm and activations are not timed.
 *
 * In the same run, alternating with the op in every repetition, it times a plain tf.matMul (the wasm
 * BatchMatMul, i.e. the project's packed SGEMM; no transposes) of the GEMM shape that direction does
 * under im2col, with P = batch x output pixels, KKC = kh x kw x cin, CO = out channels:
 * forward [M,K,N] = [P, KKC, CO]; input [P, CO, KKC]; filter [KKC, P, CO]. All three have the op's
 * multiply-add count, P x KKC x CO. For seed2's and mnv3's large layers the long side (M for forward and
 * input, K for filter) is capped so that no SGEMM operand exceeds 2^24 floats (64 MB); the line prints
 * the SGEMM shape used. Dense layers use the FC's own shape with no cap ([B, FIN, UNITS], [B, UNITS, FIN],
 * [FIN, B, UNITS]; operands are reshapes of x, W and dy, so seed2's 134 M-weight FC costs no copy).
 * Depthwise convolutions are counted with their own flops, 2 x P x kh x kw x C (not a dense conv's
 * C times more), and compared with the SGEMM of the same multiply-add count: KKC = kh x kw and CO = C in
 * the shapes above (forward [P, kh*kw, C], input [P, C, kh*kw], filter [kh*kw, P, C]). A depthwise conv is
 * memory-bound and does no GEMM, so its fraction says how far it is from what the same flops cost as
 * a (skinny) SGEMM, not from a roof it could reach by the same method.
 *
 * GFLOP/s = 2 x multiply-adds / median process CPU time (process.cpuUsage, which waiting for a core does
 * not inflate) per call; each sample repeats the call until it lasts at least --min-sample-ms. One JSON
 * line per op and direction: case, layer, kind, direction, shapes, GFLOP/s, the SGEMM's shape and
 * GFLOP/s, and the fraction (target >= 0.70). One summary line per case (with the SGEMM's rate on a
 * square 512^3 product, for scale), and a last line summing the ops below 70 %. The four cases take
 * about 1.5 minutes at --reps 3 on this 2-vCPU machine (seed2-128 is most of it) and 2 GB of memory.
 * Not a test; numbers compare only within one run.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend, activeWasmKernels } from '../lib/backend';
import { convSpec } from '../lib/backend/kernels/conv-geometry';
import { mobileNetV3Small, seed2Cnn, workshopCnn } from '../lib/models';

type CaseName = 'workshop-64' | 'seed2-128' | 'mnv3-112' | 'mnv3-224';
const CASES: Record<CaseName, { model: 'workshop' | 'seed2' | 'mnv3'; size: number; pairs: number }> = {
  'workshop-64': { model: 'workshop', size: 64, pairs: 32 },
  'seed2-128': { model: 'seed2', size: 128, pairs: 16 },
  'mnv3-112': { model: 'mnv3', size: 112, pairs: 16 },
  'mnv3-224': { model: 'mnv3', size: 224, pairs: 16 },
};
const TARGET = 0.7;
/** Largest SGEMM operand (floats) for convolutions: the long side is capped to keep to it. */
const OPERAND_CAP = 2 ** 24;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

type Kind = 'conv2d' | 'depthwise' | 'dense';
type Direction = 'forward' | 'input' | 'filter';
/** 'same', 'valid', or MobileNetV3's stride-2 convs' own padding (PaddedConv2D / PaddedDepthwiseConv2D). */
type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
interface Op {
  layer: string; kind: Kind; first: boolean;
  /** conv: NHWC input and [kh,kw,cin,cout|1] filter; dense: [B, FIN] and [FIN, UNITS]. */
  inShape: number[]; filterShape: number[]; strides: [number, number]; pad: Pad; useBias: boolean;
}

function buildModel(name: CaseName): tf.LayersModel {
  const c = CASES[name];
  if (c.model === 'mnv3') return mobileNetV3Small({ inputSize: c.size, head: 'simple', seed: 1 });
  if (c.model === 'workshop') return workshopCnn({ inputSize: c.size, seed: 1 });
  return seed2Cnn({ inputSize: c.size, seed: 1 });
}

/** The case's weighted layers (Conv2D, DepthwiseConv2D, Dense) at batch `batch`, in model order. */
function weightedOps(name: CaseName, batch: number): Op[] {
  const net = buildModel(name);
  const ops: Op[] = [];
  for (const l of net.layers) {
    const cls = l.getClassName();
    if (!['Conv2D', 'DepthwiseConv2D', 'PaddedConv2D', 'PaddedDepthwiseConv2D', 'Dense'].includes(cls)) continue;
    const inShape = (l.input as tf.SymbolicTensor).shape.map((d, i) => (i === 0 ? batch : d as number));
    const cfg = l.getConfig() as { kernelSize?: number[]; strides?: number[]; padding?: 'same' | 'valid'; filters?: number;
      units?: number; useBias?: boolean; explicitPadding?: [[number, number], [number, number]] };
    const pad: Pad = cfg.explicitPadding ? [[0, 0], cfg.explicitPadding[0], cfg.explicitPadding[1], [0, 0]] : cfg.padding as 'same' | 'valid';
    const first = ops.length === 0;
    if (cls === 'Dense') {
      ops.push({ layer: l.name, kind: 'dense', first, inShape, filterShape: [inShape[1], cfg.units as number], strides: [1, 1],
        pad: 'valid', useBias: cfg.useBias ?? true });
    } else {
      const depthwise = cls.endsWith('DepthwiseConv2D');
      const [kh, kw] = cfg.kernelSize as number[];
      ops.push({ layer: l.name, kind: depthwise ? 'depthwise' : 'conv2d', first, inShape,
        filterShape: [kh, kw, inShape[3], depthwise ? 1 : (cfg.filters as number)],
        strides: [(cfg.strides as number[])[0], (cfg.strides as number[])[1]], pad,
        useBias: cfg.useBias ?? true });
    }
  }
  net.dispose();
  return ops;
}

/** Median CPU ms per call of each runner, alternating runners within every repetition. */
function timeAlternating(runners: Record<string, () => void>, reps: number, minSampleMs: number): Record<string, number> {
  const names = Object.keys(runners);
  const iters: Record<string, number> = {};
  for (const n of names) {
    runners[n](); // warm-up (first-call allocations, packing buffers)
    const t = process.cpuUsage();
    runners[n]();
    const u = process.cpuUsage(t);
    const ms = Math.max((u.user + u.system) / 1000, 0.001);
    iters[n] = Math.min(64, Math.max(1, Math.ceil(minSampleMs / ms)));
  }
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < reps; r++) {
    for (const n of names) {
      const t = process.cpuUsage();
      for (let i = 0; i < iters[n]; i++) runners[n]();
      const u = process.cpuUsage(t);
      samples[n].push((u.user + u.system) / 1000 / iters[n]);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n])]));
}

/** Runs `f` and disposes what it returns (the wasm backend computes synchronously; nothing is read back). */
const run = (f: () => tf.Tensor) => (): void => {
  f().dispose();
};

interface Row {
  case: CaseName; layer: string; kind: Kind; direction: Direction; x: number[]; filter: number[]; stride: number[]; mflop: number;
  op_ms: number; op_gflops: number; sgemm_mkn: number[]; sgemm_capped: boolean; sgemm_gflops: number; fraction: number;
}

function measureOp(name: CaseName, op: Op, reps: number, minSampleMs: number): Row[] {
  const rows: Row[] = [];
  const x = tf.randomNormal(op.inShape, 0, 1, 'float32', 1);
  const w = tf.randomNormal(op.filterShape, 0, 0.05, 'float32', 2);
  const bias = op.useBias ? tf.randomNormal([op.filterShape[op.filterShape.length - 1]], 0, 0.1, 'float32', 4) : null;
  const owned: tf.Tensor[] = [x, w, ...(bias ? [bias] : [])];
  let macs: number, dy: tf.Tensor;
  const runners: Record<Direction, () => void> = {} as Record<Direction, () => void>;
  const sgemm: Record<Direction, { mkn: number[]; capped: boolean; a: tf.Tensor; b: tf.Tensor }> =
    {} as Record<Direction, { mkn: number[]; capped: boolean; a: tf.Tensor; b: tf.Tensor }>;
  if (op.kind === 'dense') {
    const [B, FIN] = op.inShape, UNITS = op.filterShape[1];
    macs = B * FIN * UNITS;
    dy = tf.randomNormal([B, UNITS], 0, 1, 'float32', 3);
    owned.push(dy);
    runners.forward = run(() => tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: bias ?? undefined }));
    runners.input = run(() => tf.matMul(dy, w, false, true));
    runners.filter = run(() => tf.matMul(x, dy, true, false));
    const wT = tf.reshape(w, [UNITS, FIN]), xT = tf.reshape(x, [FIN, B]); // same data, plain layouts of the SGEMM shapes
    owned.push(wT, xT);
    sgemm.forward = { mkn: [B, FIN, UNITS], capped: false, a: x, b: w };
    sgemm.input = { mkn: [B, UNITS, FIN], capped: false, a: dy, b: wT };
    sgemm.filter = { mkn: [FIN, B, UNITS], capped: false, a: xT, b: dy };
  } else {
    const depthwise = op.kind === 'depthwise';
    const { info } = convSpec(op.inShape, op.filterShape, op.strides, 1, op.pad, undefined, depthwise);
    const P = info.batchSize * info.outHeight * info.outWidth;
    const KKC = depthwise ? info.filterHeight * info.filterWidth : info.filterHeight * info.filterWidth * info.inChannels;
    const CO = info.outChannels;
    macs = P * KKC * CO;
    dy = tf.randomNormal(info.outShape, 0, 1, 'float32', 3);
    owned.push(dy);
    const x4 = x as tf.Tensor4D, w4 = w as tf.Tensor4D, dy4 = dy as tf.Tensor4D;
    const inputShape = op.inShape as [number, number, number, number];
    if (depthwise) {
      runners.forward = run(() => tf.depthwiseConv2d(x4, w4, op.strides, op.pad));
      runners.input = run(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dy4, filter: w4 },
        { strides: op.strides, pad: op.pad, dilations: 1, inputShape }) as tf.Tensor);
      runners.filter = run(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: x4, dy: dy4 },
        { strides: op.strides, pad: op.pad, dilations: 1, filterShape: op.filterShape }) as tf.Tensor);
    } else {
      runners.forward = bias
        ? run(() => tf.fused.conv2d({ x: x4, filter: w4, strides: op.strides, pad: op.pad, bias }))
        : run(() => tf.conv2d(x4, w4, op.strides, op.pad));
      runners.input = run(() => tf.engine().runKernel('Conv2DBackpropInput', { dy: dy4, filter: w4 },
        { strides: op.strides, pad: op.pad, dataFormat: 'NHWC', inputShape }) as tf.Tensor);
      runners.filter = run(() => tf.engine().runKernel('Conv2DBackpropFilter', { x: x4, dy: dy4 },
        { strides: op.strides, pad: op.pad, dataFormat: 'NHWC', filterShape: op.filterShape }) as tf.Tensor);
    }
    const capLong = (long: number, others: number[]): number => Math.min(long, Math.max(256, Math.floor(OPERAND_CAP / Math.max(...others))));
    const shapes: Record<Direction, number[]> = {
      forward: [capLong(P, [KKC, CO]), KKC, CO],
      input: [capLong(P, [CO, KKC]), CO, KKC],
      filter: [KKC, capLong(P, [KKC, CO]), CO],
    };
    let seed = 10;
    for (const dir of ['forward', 'input', 'filter'] as Direction[]) {
      const [M, K, N] = shapes[dir];
      const a = tf.randomNormal([M, K], 0, 1, 'float32', seed++), b = tf.randomNormal([K, N], 0, 1, 'float32', seed++);
      owned.push(a, b);
      sgemm[dir] = { mkn: [M, K, N], capped: M * K * N !== macs, a, b };
    }
  }
  for (const dir of ['forward', 'input', 'filter'] as Direction[]) {
    if (dir === 'input' && op.first) continue; // the image needs no gradient: a training step never runs it
    const s = sgemm[dir];
    const ms = timeAlternating({ op: runners[dir], sgemm: run(() => tf.matMul(s.a, s.b)) }, reps, minSampleMs);
    const opGflops = (2 * macs) / (ms.op * 1e6);
    const sgemmGflops = (2 * s.mkn[0] * s.mkn[1] * s.mkn[2]) / (ms.sgemm * 1e6);
    rows.push({ case: name, layer: op.layer, kind: op.kind, direction: dir, x: op.inShape, filter: op.filterShape,
      stride: op.strides, mflop: round((2 * macs) / 1e6), op_ms: round(ms.op, 3), op_gflops: round(opGflops),
      sgemm_mkn: s.mkn, sgemm_capped: s.capped, sgemm_gflops: round(sgemmGflops), fraction: round(opGflops / sgemmGflops, 2) });
  }
  tf.dispose(owned);
  return rows;
}

/** The SGEMM's rate on a square 512 x 512 x 512 product (KERNELS.md's reference shape), for scale. */
function squareSgemmGflops(reps: number): number {
  const a = tf.randomNormal([512, 512], 0, 1, 'float32', 5), b = tf.randomNormal([512, 512], 0, 1, 'float32', 6);
  const ms = timeAlternating({ sgemm: run(() => tf.matMul(a, b)) }, reps, 5).sgemm;
  tf.dispose([a, b]);
  return (2 * 512 ** 3) / (ms * 1e6);
}

async function main(): Promise<void> {
  const info = await initBackend({ backend: 'wasm', quiet: true });
  const reg = activeWasmKernels();
  if (info.tfjsName !== 'wasm' || reg === null || reg.variant === null) {
    throw new Error('bench/op-gflops: needs the wasm backend with the project kernels registered (SIAMESE_WASM_KERNELS=off?)');
  }
  const names = arg('--cases', Object.keys(CASES).join(',')).split(',') as CaseName[];
  for (const n of names) if (!(n in CASES)) throw new Error(`--cases: unknown case ${n}; use ${Object.keys(CASES).join(', ')}`);
  const reps = Number(arg('--reps', '5')), minSampleMs = Number(arg('--min-sample-ms', '5'));
  const only = arg('--only', ''), stride = arg('--stride', '');
  if (only !== '' && !['conv2d', 'depthwise', 'dense'].includes(only)) throw new Error(`--only: ${only}; use conv2d, depthwise or dense`);
  const started = performance.now();
  console.log(JSON.stringify({ environment: { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model,
    cores: os.cpus().length, tfjs: tf.version.tfjs, kernels: reg.note, reps, min_sample_ms: minSampleMs, only: only || null,
    stride: stride || null, load_avg: os.loadavg() } }));
  const all: Row[] = [];
  for (const name of names) {
    const load = os.loadavg()[0];
    const batch = 2 * CASES[name].pairs;
    const rows: Row[] = [];
    for (const op of weightedOps(name, batch)) {
      if (only !== '' && op.kind !== only) continue;
      if (stride !== '' && op.strides[0] !== Number(stride)) continue;
      for (const row of measureOp(name, op, reps, minSampleMs)) {
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
    all.push(...rows);
    const opMs = rows.reduce((s, r) => s + r.op_ms, 0);
    const below = rows.filter((r) => r.fraction < TARGET);
    const belowMs = below.reduce((s, r) => s + r.op_ms, 0);
    console.log(JSON.stringify({ case: name, batch, ops: rows.length, op_ms_total: round(opMs), below_target: below.length,
      below_target_ms: round(belowMs), below_target_share: round(belowMs / opMs, 3),
      sgemm_512_gflops: round(squareSgemmGflops(reps)), load_avg_1m: [load, os.loadavg()[0]] }));
  }
  const below = all.filter((r) => r.fraction < TARGET);
  const belowMs = below.reduce((s, r) => s + r.op_ms, 0);
  // What those ops would take at 70 % of their SGEMM's rate.
  const atTargetMs = below.reduce((s, r) => s + r.mflop / (TARGET * r.sgemm_gflops), 0); // MFLOP / (GFLOP/s) = ms
  console.log(JSON.stringify({ below_target: { target: TARGET, ops: below.length, of: all.length, op_ms: round(belowMs),
    op_ms_at_target: round(atTargetMs), share_of_all_op_ms: round(belowMs / all.reduce((s, r) => s + r.op_ms, 0), 3),
    list: below.map((r) => `${r.case} ${r.layer} ${r.direction} ${r.fraction}`) }, seconds: round((performance.now() - started) / 1000),
  load_avg_end: os.loadavg() }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
