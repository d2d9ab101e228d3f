/**
 * Where a training step's time goes on wasm: `tsx bench/profile-step.ts [--case mnv3-112|mnv3-224|workshop-64]
 * [--pairs N] [--top N]`. Runs a Siamese contrastive step (forward, tf.variableGrads, in-place Adam) under
 * tf.profile and prints one JSON line with the median step time and the kernels ranked by total time.
 * Not a test; numbers are only comparable within one run (the machine is shared).
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, inPlaceAdam } from '../lib/backend';
import { mobileNetV3Small, workshopCnn, seed2Cnn } from '../lib/models';
import { contrastiveLoss } from '../lib/losses';
import * as os from 'node:os';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function build(name: string): { net: tf.LayersModel; size: number } {
  if (name === 'mnv3-112') return { net: mobileNetV3Small({ inputSize: 112, head: 'simple', seed: 1 }), size: 112 };
  if (name === 'mnv3-224') return { net: mobileNetV3Small({ inputSize: 224, head: 'simple', seed: 1 }), size: 224 };
  if (name === 'workshop-64') return { net: workshopCnn({ inputSize: 64, seed: 1 }), size: 64 };
  if (name === 'seed2-128') return { net: seed2Cnn({ inputSize: 128, seed: 1 }), size: 128 };
  throw new Error(`--case ${name}: use mnv3-112, mnv3-224, workshop-64 or seed2-128`);
}

async function main(): Promise<void> {
  await initBackend({ backend: 'wasm', quiet: true });
  const name = arg('--case', 'mnv3-112');
  const pairs = Number(arg('--pairs', name === 'workshop-64' ? '32' : '16'));
  const top = Number(arg('--top', '25'));
  const reps = Number(arg('--reps', '3'));
  const { net, size } = build(name);
  const opt = inPlaceAdam(1e-3);
  const x = tf.randomUniform([2 * pairs, size, size, 3], 0, 1, 'float32', 7);
  const isSame = tf.tensor1d(Array.from({ length: pairs }, (_, i) => i % 2), 'float32');
  const vars = net.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => {
      const e = net.apply(x, { training: true }) as tf.Tensor2D;
      const [ea, eb] = tf.split(e, 2) as [tf.Tensor2D, tf.Tensor2D];
      return contrastiveLoss(ea, eb, isSame) as tf.Scalar;
    }, vars);
    opt.applyGradients(grads);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const forward = () => {
    const y = tf.tidy(() => net.apply(x, { training: true }) as tf.Tensor);
    y.dataSync();
    y.dispose();
  };
  step(); forward(); step();
  const stepMs: number[] = [], fwdMs: number[] = [];
  for (let i = 0; i < reps; i++) {
    let t = performance.now(); step(); stepMs.push(performance.now() - t);
    t = performance.now(); forward(); fwdMs.push(performance.now() - t);
  }
  const byName = new Map<string, { ms: number; calls: number }>();
  const prof = await tf.profile(() => step());
  let total = 0;
  for (const k of prof.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms; e.calls += 1; total += ms;
    byName.set(k.name, e);
  }
  const med = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  const ranked = [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)
    .map(([k, v]) => ({ kernel: k, ms: Math.round(v.ms * 10) / 10, calls: v.calls, pct: Math.round((1000 * v.ms) / total) / 10 }));
  console.log(JSON.stringify({
    case: name, pairs, load: os.loadavg()[0].toFixed(2), step_ms: med(stepMs), forward_ms: med(fwdMs),
    step_over_forward: med(stepMs) / med(fwdMs), steps_ms: stepMs.map(Math.round), profiled_kernel_ms: Math.round(total), kernels: prof.kernels.length,
    peak_bytes: prof.peakBytes, top: ranked,
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
