/**
 * Training benchmark on the wasm backend with the project's kernels (issue 4): `npm run bench:train`.
 *
 * Cases (16 pairs = 32 images per step, random inputs, contrastive loss, Adam):
 * - mnv3-224, mnv3-112: MobileNetV3-small (torchvision layout, width 1.0, last conv 576) with the
 *   576 -> 256 -> ReLU -> 64 head (lib/models mobileNetV3Small, head 'simple');
 * - seed2-128: seed2's CNN (lib/models seed2Cnn) at 128 px.
 * Each case runs in its own child process (so peak memory is per case), once with one worker (the
 * main thread) and once with two threads doing data parallelism through lib/backend/parallel
 * DataParallel (the main thread and one helper, half the pairs each, gradients averaged, in-place Adam
 * on the main thread; batch-norm statistics are then per half batch). When /usr/bin/python3 has torch, bench/pytorch_peer.py runs
 * the same case in the same run and the line carries our_pairs_per_s / pytorch_pairs_per_s.
 *
 * - workshop-64: lib/models workshopCnn (the model `npm start` trains) at 64 px, 32 pairs per step.
 * Each case also runs once with SIAMESE_WASM_FUSED=off (`fused_off`: the kernels before the fused
 * batch-norm / hard-swish / max-pool-gradient / Identity work), so before and after are in the same
 * run; every measurement carries the 1-minute load average at its start and end (the machine is shared),
 * and step_cpu_ms (process CPU time per step, which waiting for a core does not inflate).
 *
 * Prints one JSON line per case. Options: --cases a,b --steps N --warmup N --workers 1,2 --no-peer --no-compare
 * --peer-threads 2,1
 *
 * @see notebooks/05-training-runs.ipynb
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, inPlaceAdam, DataParallel } from '../lib/backend';
import { createReplica, type BenchReplicaOptions } from './replica';
import { mobileNetV3Small, seed2Cnn, workshopCnn } from '../lib/models';
import { contrastiveLoss } from '../lib/losses';

type CaseName = 'mnv3-224' | 'mnv3-112' | 'seed2-128' | 'workshop-64';
interface Case { model: 'mnv3' | 'seed2' | 'workshop'; size: number; pairs: number; steps: number; warmup: number }
const CASES: Record<CaseName, Case> = {
  'mnv3-224': { model: 'mnv3', size: 224, pairs: 16, steps: 5, warmup: 2 },
  'mnv3-112': { model: 'mnv3', size: 112, pairs: 16, steps: 8, warmup: 2 },
  'seed2-128': { model: 'seed2', size: 128, pairs: 16, steps: 2, warmup: 1 },
  'workshop-64': { model: 'workshop', size: 64, pairs: 32, steps: 8, warmup: 2 },
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function buildModel(c: Case): tf.LayersModel {
  if (c.model === 'mnv3') return mobileNetV3Small({ inputSize: c.size, head: 'simple', seed: 1 });
  if (c.model === 'workshop') return workshopCnn({ inputSize: c.size, seed: 1 });
  return seed2Cnn({ inputSize: c.size, seed: 1 });
}

function heapBytes(): number {
  return (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory.buffer.byteLength;
}

/** One replica: model, optimizer, a fixed random batch of `pairs` pairs. */
function replica(c: Case, pairs: number, seed: number) {
  const net = buildModel(c);
  const opt = inPlaceAdam(1e-3);
  const xa = tf.randomUniform([pairs, c.size, c.size, 3], 0, 1, 'float32', seed);
  const xb = tf.randomUniform([pairs, c.size, c.size, 3], 0, 1, 'float32', seed + 1);
  const isSame = tf.tensor1d(Array.from({ length: pairs }, (_, i) => i % 2), 'float32');
  const x = tf.concat([xa, xb]);
  tf.dispose([xa, xb]);
  const loss = () => {
    const e = net.apply(x, { training: true }) as tf.Tensor2D;
    const [ea, eb] = tf.split(e, 2) as [tf.Tensor2D, tf.Tensor2D];
    return contrastiveLoss(ea, eb, isSame) as tf.Scalar;
  };
  const grads = () => tf.variableGrads(loss, net.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
  const forward = () => {
    const y = tf.tidy(() => net.apply(x, { training: true }) as tf.Tensor);
    y.dataSync();
    y.dispose();
  };
  return { net, opt, grads, forward, names: net.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val.name) };
}

/** Single process: time steps and forwards; returns the measurements. */
async function runOne(name: CaseName, steps: number, warmup: number) {
  const c = CASES[name];
  const r = replica(c, c.pairs, 7);
  const step = () => {
    const { value, grads } = r.grads();
    r.opt.applyGradients(grads);
    const v = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return v;
  };
  const stepMs: number[] = [], fwdMs: number[] = [], stepCpuMs: number[] = [], losses: number[] = [];
  for (let i = 0; i < warmup; i++) { losses.push(step()); r.forward(); }
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) {
    let t = performance.now();
    const cpu = process.cpuUsage();
    losses.push(step());
    stepMs.push(performance.now() - t);
    const used = process.cpuUsage(cpu);
    stepCpuMs.push((used.user + used.system) / 1000);
    t = performance.now();
    r.forward();
    fwdMs.push(performance.now() - t);
  }
  if (tf.memory().numTensors !== tensors) throw new Error(`tensor leak: ${tensors} -> ${tf.memory().numTensors}`);
  return { stepMs: median(stepMs), fwdMs: median(fwdMs), stepCpuMs: median(stepCpuMs), losses };
}

/**
 * Two threads, data parallel through lib/backend/parallel DataParallel (what lib/train would use): this
 * thread and one helper each take half the pairs; gradients averaged; in-place Adam on this thread only.
 */
async function runTwo(name: CaseName, steps: number, warmup: number) {
  const c = CASES[name];
  const options: BenchReplicaOptions = { model: c.model, size: c.size };
  const dp = await DataParallel.start({ module: path.join(__dirname, 'replica.ts'), options });
  const r = createReplica(options);
  const opt = inPlaceAdam(1e-3);
  const half = c.pairs;
  const xa = tf.randomUniform([half, c.size, c.size, 3], 0, 1, 'float32', 7);
  const xb = tf.randomUniform([half, c.size, c.size, 3], 0, 1, 'float32', 8);
  const isSame = tf.tensor1d(Array.from({ length: half }, (_, i) => i % 2), 'float32');
  const times: number[] = [], cpus: number[] = [];
  try {
    for (let i = 0; i < warmup + steps; i++) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      const { value, grads } = await dp.variableGrads(r.loss, [xa, xb, isSame], r.variables);
      opt.applyGradients(grads);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
      if (i >= warmup) {
        times.push(performance.now() - t);
        const used = process.cpuUsage(cpu);
        cpus.push((used.user + used.system) / 1000);
      }
    }
  } finally {
    await dp.close();
  }
  return { stepMs: median(times), stepCpuMs: median(cpus), heap: heapBytes() };
}

/** Child process: one case, one worker count; prints a JSON line. */
async function child(name: CaseName, workers: number, steps: number, warmup: number): Promise<void> {
  const info = await initBackend({ backend: 'wasm', quiet: true });
  const pairs = CASES[name].pairs;
  const load = os.loadavg()[0];
  if (workers === 1) {
    const m = await runOne(name, steps, warmup);
    console.log(JSON.stringify({
      workers, step_ms: m.stepMs, step_cpu_ms: m.stepCpuMs, forward_ms: m.fwdMs, pairs_per_s: (pairs * 1000) / m.stepMs,
      forward_images_per_s: (2 * pairs * 1000) / m.fwdMs, step_over_forward: m.stepMs / m.fwdMs,
      loss_first: m.losses[0], loss_last: m.losses[m.losses.length - 1],
      peak_wasm_heap_mb: heapBytes() / 2 ** 20, peak_rss_mb: process.resourceUsage().maxRSS / 1024, notes: info.notes,
      load_avg_1m: [load, os.loadavg()[0]],
    }));
  } else {
    const m = await runTwo(name, steps, warmup);
    console.log(JSON.stringify({
      workers, step_ms: m.stepMs, process_cpu_ms_per_step: m.stepCpuMs, pairs_per_s: (pairs * 1000) / m.stepMs,
      peak_wasm_heap_mb_main_thread: m.heap / 2 ** 20,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024, load_avg_1m: [load, os.loadavg()[0]],
    }));
  }
}

function lastJson(out: string): Record<string, unknown> | null {
  const lines = out.split('\n').filter((l) => l.startsWith('{'));
  return lines.length ? (JSON.parse(lines[lines.length - 1]) as Record<string, unknown>) : null;
}

function torchAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision'], { encoding: 'utf8' }).status === 0;
}

async function main(): Promise<void> {
  const childCase = arg('--child') as CaseName | undefined;
  if (childCase !== undefined) {
    await child(childCase, Number(arg('--workers') ?? 1), Number(arg('--steps')), Number(arg('--warmup')));
    return;
  }
  const names = (arg('--cases') ?? Object.keys(CASES).join(',')).split(',') as CaseName[];
  for (const n of names) if (!(n in CASES)) throw new Error(`--cases: unknown case ${n}; use ${Object.keys(CASES).join(', ')}`);
  const workerCounts = (arg('--workers') ?? '1,2').split(',').map(Number);
  const peer = !process.argv.includes('--no-peer') && torchAvailable();
  const compareFused = !process.argv.includes('--no-compare');
  const peerThreads = (arg('--peer-threads') ?? '2,1').split(',').map(Number);
  const env = {
    date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length,
    load_avg: os.loadavg(), tfjs: tf.version.tfjs, kernels: fs.readFileSync(path.join(__dirname, '..', 'lib', 'backend', 'kernels', 'COMPILER'), 'utf8').trim(),
    peer: peer ? spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim() : null,
  };
  console.log(JSON.stringify({ environment: env }));
  const runChild = (name: CaseName, w: number, steps: number, warmup: number, fused: string) => {
    const r = spawnSync(process.execPath, [...process.execArgv, __filename, '--child', name, '--workers', String(w),
      '--steps', String(steps), '--warmup', String(warmup)], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, SIAMESE_WASM_FUSED: fused } });
    return lastJson(r.stdout) ?? {
      error: (r.stderr || r.stdout).split('\n').filter((l) => /Error|Abort/.test(l)).slice(0, 2).join(' | ') || `exit ${r.status}`,
      load_avg_1m: os.loadavg()[0],
    };
  };
  for (const name of names) {
    const c = CASES[name];
    const steps = Number(arg('--steps') ?? c.steps), warmup = Number(arg('--warmup') ?? c.warmup);
    const row: Record<string, unknown> = { case: name, pairs_per_step: c.pairs };
    // Before / after the fused kernels, in the same run (1 worker).
    if (compareFused) row.fused_off = runChild(name, 1, steps, warmup, 'off');
    for (const w of workerCounts) {
      const res = runChild(name, w, steps, warmup, 'on');
      if (w === 1 && !('error' in res)) Object.assign(row, res);
      else row[`workers_${w}`] = res;
    }
    if (peer) {
      // 2 threads as the reference; 1 thread too, since OpenMP's 2 threads collapse when the
      // machine is oversubscribed (then the 1-thread figure is the fairer peer).
      for (const threads of peerThreads) {
        const p = spawnSync('/usr/bin/python3', [path.join(__dirname, 'pytorch_peer.py'), '--case', name, '--steps', String(steps),
          '--warmup', String(warmup), '--pairs', String(c.pairs), '--threads', String(threads)], { encoding: 'utf8', maxBuffer: 1 << 26 });
        const res = lastJson(p.stdout);
        const key = threads === 2 ? 'pytorch' : `pytorch_${threads}_thread${threads > 1 ? 's' : ''}`;
        row[key] = res === null ? { error: p.stderr.split('\n').slice(-3).join(' ') } : { ...res, load_avg_1m: os.loadavg()[0] };
        if (res !== null && typeof row.pairs_per_s === 'number') {
          row[key.replace('pytorch', 'our_over_pytorch')] = row.pairs_per_s / (res.pairs_per_s as number);
        }
        // The same ratio for each multi-worker run (DataParallel), e.g. our_2_workers_over_pytorch.
        for (const w of workerCounts.filter((n) => n > 1)) {
          const ours = row[`workers_${w}`] as { pairs_per_s?: number } | undefined;
          if (res !== null && typeof ours?.pairs_per_s === 'number') {
            row[key.replace('pytorch', `our_${w}_workers_over_pytorch`)] = ours.pairs_per_s / (res.pairs_per_s as number);
          }
        }
      }
    } else {
      row.pytorch = 'not measured (no /usr/bin/python3 with torch); reference (PyTorch 1.13, 2 threads, this machine kind): ' +
        '35.8 pairs/s at mnv3-224, 114.8 at mnv3-112, 1.3 at seed2-128';
    }
    console.log(JSON.stringify(row));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
