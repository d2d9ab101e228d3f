/**
 * Per-kernel speed of the convolutions a MobileNetV3-small training step runs (issue 4):
 * `npx tsx bench/conv-kernels.ts [--size 224] [--batch 32] [--reps 5] [--baseline DIR] [--only depthwise|conv]`.
 *
 * For every Conv2D and DepthwiseConv2D layer of lib/models' mobileNetV3Small at that input size it times
 * the forward pass, the input gradient and the filter gradient on the layer's real shapes (batch 32 as in
 * bench/train.ts), and prints one JSON line per layer and direction with GFLOP/s (2 * multiply-adds /
 * median process CPU time, which waiting for a core does not inflate) for:
 * - `ours`: the committed src/kernels.c build, called directly on the backend's memory;
 * - `builtin`: tfjs-backend-wasm's own kernel where it has one (forward conv and depthwise, conv input
 *   gradient), run through tf with the project's kernels unregistered;
 * - `baseline`: with `--baseline DIR`, another build of the kernels (e.g. the previous commit's
 *   kernels-relaxed.wasm, from `git show HEAD~1:lib/backend/kernels/kernels-relaxed.wasm`).
 * Implementations alternate within each repetition, so they share the machine's state. A last line sums
 * the milliseconds per implementation. Not a test; numbers compare only within one run.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, registerWasmKernels, unregisterWasmKernels, activeWasmKernels } from '../lib/backend';
import { kernelBinaryPath } from '../lib/backend/kernels';
import { convSpec } from '../lib/backend/kernels/conv-geometry';
import { wasmBackend } from '../lib/backend/kernels/wasm-backend-access';
import { mobileNetV3Small } from '../lib/models';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

interface Layer {
  name: string; depthwise: boolean; inShape: [number, number, number, number]; filterShape: [number, number, number, number];
  strides: number;
  /** 'same', 'valid', or the stride-2 convs' own padding (PaddedConv2D / PaddedDepthwiseConv2D). */
  pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
}

/** The model's convolution layers with their input shapes at batch `batch`. */
function convLayers(size: number, batch: number): Layer[] {
  const net = mobileNetV3Small({ inputSize: size, head: 'none', seed: 1 });
  const out: Layer[] = [];
  for (const l of net.layers) {
    const cls = l.getClassName();
    if (!['Conv2D', 'DepthwiseConv2D', 'PaddedConv2D', 'PaddedDepthwiseConv2D'].includes(cls)) continue;
    const cfg = l.getConfig() as { kernelSize: number[]; strides: number[]; padding: 'same' | 'valid'; filters?: number;
      explicitPadding?: [[number, number], [number, number]] };
    const inShape = (l.input as tf.SymbolicTensor).shape;
    const c = inShape[3] as number;
    if (inShape[1] === 1) continue; // squeeze-excite's 1x1 convs on pooled [n,1,1,c]: negligible
    const depthwise = cls.endsWith('DepthwiseConv2D');
    out.push({
      name: l.name, depthwise, inShape: [batch, inShape[1] as number, inShape[2] as number, c],
      filterShape: [cfg.kernelSize[0], cfg.kernelSize[1], c, depthwise ? 1 : (cfg.filters as number)],
      strides: cfg.strides[0], pad: cfg.explicitPadding ? [[0, 0], cfg.explicitPadding[0], cfg.explicitPadding[1], [0, 0]] : cfg.padding,
    });
  }
  net.dispose();
  return out;
}

type Direction = 'forward' | 'input' | 'filter';
/** One implementation of one direction of one layer: a function that runs it once. */
type Runner = () => void;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  await initBackend({ backend: 'wasm', quiet: true });
  const size = Number(arg('--size', '224')), batch = Number(arg('--batch', '32')), reps = Number(arg('--reps', '5'));
  const only = arg('--only', '');
  const baselineDir = arg('--baseline', '');
  const reg = activeWasmKernels();
  if (reg === null || reg.variant === null) throw new Error('bench/conv-kernels: the project kernels are not registered (SIAMESE_WASM_KERNELS=off?)');
  const variant = reg.variant;
  const be = wasmBackend(tf.backend());
  const memory = be.wasm.asm.memory;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Exports = Record<string, (...a: number[]) => any>;
  const instantiate = (file: string): Exports =>
    new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(file)), { env: { memory } }).exports as unknown as Exports;
  const impls: Record<string, Exports> = { ours: instantiate(kernelBinaryPath(variant)) };
  if (baselineDir !== '') impls.baseline = instantiate(path.join(baselineDir, `kernels-${variant}.wasm`));
  console.log(JSON.stringify({ environment: { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model,
    load_avg: os.loadavg(), variant, size, batch, baseline: baselineDir || null } }));

  const totals: Record<string, number> = {};
  for (const layer of convLayers(size, batch)) {
    if (only === 'depthwise' && !layer.depthwise) continue;
    if (only === 'conv' && layer.depthwise) continue;
    const { info, geometry } = convSpec(layer.inShape, layer.filterShape, layer.strides, 1, layer.pad, undefined, layer.depthwise);
    const x = tf.randomNormal(layer.inShape, 0, 1, 'float32', 1);
    const w = tf.randomNormal(layer.filterShape, 0, 0.1, 'float32', 2);
    const dy = tf.randomNormal(info.outShape, 0, 1, 'float32', 3);
    const outs = { forward: tf.zeros(info.outShape), input: tf.zeros(layer.inShape), filter: tf.zeros(layer.filterShape) };
    const off = (t: tf.Tensor) => be.dataIdMap.get(t.dataId)!.memoryOffset;
    const kk = layer.filterShape[0] * layer.filterShape[1] * layer.filterShape[2];
    const workFloats = Math.max(...Object.values(impls).map((e) => e.conv_work_floats(kk) as number),
      2 * 25 + 2 * layer.filterShape[0] + Math.max(info.inWidth, info.outWidth) * (1 + 2 * layer.filterShape[1]));
    const work = be.wasm._malloc(workFloats * 4) >>> 0;
    const macs = (layer.depthwise ? 1 : layer.filterShape[3]) * info.outShape[0] * info.outShape[1] * info.outShape[2] *
      kk * (layer.depthwise ? 1 : 1);
    const runners: Record<Direction, Record<string, Runner>> = { forward: {}, input: {}, filter: {} };
    for (const [name, e] of Object.entries(impls)) {
      if (layer.depthwise) {
        if (e.depthwise_forward !== undefined) runners.forward[name] = () => e.depthwise_forward(off(x), off(w), off(outs.forward), ...geometry, work);
        runners.input[name] = () => e.depthwise_backprop_input(off(dy), off(w), off(outs.input), 1, ...geometry, work);
        runners.filter[name] = () => e.depthwise_backprop_filter(off(x), off(dy), off(outs.filter), 1, ...geometry);
      } else {
        runners.forward[name] = () => e.conv2d_forward(off(x), off(w), off(outs.forward), ...geometry, work);
        runners.input[name] = () => e.conv2d_backprop_input(off(dy), off(w), off(outs.input), ...geometry, work);
        runners.filter[name] = () => e.conv2d_backprop_filter(off(x), off(dy), off(outs.filter), ...geometry, work);
      }
    }
    // tfjs-backend-wasm's own kernels, with the project's unregistered around each call.
    const builtin = (f: () => tf.Tensor): Runner => () => {
      unregisterWasmKernels();
      try {
        const y = f();
        y.dataSync();
        y.dispose();
      } finally {
        registerWasmKernels(variant);
      }
    };
    if (layer.depthwise) runners.forward.builtin = builtin(() => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, layer.strides, layer.pad));
    else {
      runners.forward.builtin = builtin(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, layer.strides, layer.pad));
      runners.input.builtin = builtin(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w },
        { strides: layer.strides, pad: layer.pad, dataFormat: 'NHWC', inputShape: layer.inShape }) as tf.Tensor);
    }
    for (const dir of ['forward', 'input', 'filter'] as Direction[]) {
      const names = Object.keys(runners[dir]);
      const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
      for (const n of names) runners[dir][n](); // warm-up
      for (let r = 0; r < reps; r++) {
        for (const n of names) {
          const t = process.cpuUsage();
          runners[dir][n]();
          const u = process.cpuUsage(t);
          cpu[n].push((u.user + u.system) / 1000);
        }
      }
      const row: Record<string, unknown> = { layer: layer.name, kernel: `${layer.depthwise ? 'depthwise' : 'conv2d'} ${dir}`,
        x: layer.inShape, filter: layer.filterShape, stride: layer.strides, pad: layer.pad, mflop: Math.round((2 * macs) / 1e6) };
      for (const n of names) {
        const ms = median(cpu[n]);
        row[`${n}_ms`] = Math.round(ms * 100) / 100;
        row[`${n}_gflops`] = Math.round(((2 * macs) / (ms * 1e6)) * 10) / 10;
        totals[`${dir} ${n}`] = (totals[`${dir} ${n}`] ?? 0) + ms;
      }
      console.log(JSON.stringify(row));
    }
    be.wasm._free(work);
    tf.dispose([x, w, dy, ...Object.values(outs)]);
  }
  console.log(JSON.stringify({ total_ms: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, Math.round(v * 10) / 10])),
    load_avg_end: os.loadavg() }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
