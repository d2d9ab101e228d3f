/**
 * Training benchmark on the wasm backend with the project's kernels (issues 4 and 18): `npm run bench:train`.
 *
 * Cases (16 pairs = 32 images per step, random inputs, contrastive loss, Adam):
 * - mnv3-224, mnv3-112: MobileNetV3-small (torchvision layout, width 1.0, last conv 576) with the
 *   576 -> 256 -> ReLU -> 64 head (lib/models mobileNetV3Small, head 'simple');
 * - seed2-128: seed2's CNN (lib/models seed2Cnn) at 128 px;
 * - workshop-64: lib/models workshopCnn (the model `npm start` trains) at 64 px, 32 pairs per step.
 *
 * What a measurement is: one child process running one case one way, printing the medians of its steps
 * (step_ms, step_cpu_ms = process CPU time per step, forward_ms, pairs_per_s). The ways:
 * - `ours_1w`: our trainer on one worker (the main thread);
 * - `ours_2w`: two threads as the trainer's `workers: 2` runs them (lib/backend/parallel EmbeddingParallel:
 *   the main thread embeds the a images, a helper the b images, the loss on all embeddings on the main thread,
 *   its gradient split by the chain rule; in-place Adam on the main thread);
 * - `pytorch_2t` (and `pytorch_1t` with --peer-threads 2,1): bench/pytorch_peer.py under /usr/bin/python3
 *   (Debian python3-torch 1.13) with that many threads, when it has torch;
 * - `ours_1w_fused_off` with --compare: SIAMESE_WASM_FUSED=off, the kernels before the fused work;
 * - `ours_1w_unstreamed` with --compare-stream: one worker without the streamed update of very large Dense
 *   layers (lib/train/streamed-dense.ts; only seed2's FC qualifies), to see its cost and its memory.
 * Honest comparison: the ways are interleaved ABAB. Each repetition (--reps, default 3) runs every way
 * once, in the order above, so a change in the machine's load hits all sides alike; the summary takes
 * medians over repetitions per side. Before and after every single measurement the bench records the
 * 1-minute load average, this bench's own modelled share of it (its children's CPU time / wall time as
 * runnable threads, decayed with the kernel's 60 s time constant), the others' load (the difference),
 * and the cores the rest of the machine kept busy during it (/proc/stat busy time less this process
 * tree's CPU time), and the CPU time the hypervisor stole (/proc/stat steal). A ratio is marked
 * `"reliable": false`, with the reasons, when for any measurement it uses (of both sides, all repetitions):
 * - the others kept more than cores - threads it uses + 0.25 (--load-slack) cores busy during it, or the
 *   hypervisor stole more than 0.25 of a core; or
 * - the cores the others kept busy moved by more than 0.25 over the case's repetitions.
 * These come from /proc/stat, measured over the measurement itself. The load-average figures are recorded
 * beside them but decide only where /proc/stat cannot be read (then: the others' load before a measurement
 * above cores - threads + 0.25, or moving by more than max(0.5, 25 % of its lowest value)): the 1-minute
 * average trails by a minute and the bench's modelled share of it is an estimate, so on an idle machine it
 * kept "seeing" others (up to 1.4 of a core) for ours' own just-finished children while /proc/stat measured
 * ≤ 0.07 cores of others (2026-12-03).
 *
 * Output (JSON lines): an environment line; one raw line per measurement (case, rep, config, load
 * figures, the child's own line under `result`); then per case a summary line with the medians per side
 * and the ratios ours_1w/pytorch_2t, ours_2w/pytorch_2t, ours_2w/ours_1w (and ours_1w/pytorch_1t,
 * ours_1w/ours_1w_fused_off when measured), each with its value, `reliable` and `reasons`.
 *
 * Warm-up: the rates are steady-state rates, what a training run of thousands of steps sees. A fresh process's
 * first steps are slower, and two threads take longer to settle than one: at mnv3-112 one thread is at its
 * rate after 2 steps, two threads after about 20 (2026-12-03: 170-250 ms a step over steps 2-10, 85-140 ms over
 * steps 20-40; their step compute is that of 8 pairs a thread, 101-113 ms alone). With 2 warm-up steps the
 * bench had measured mostly that transient and reported two threads slower than one (0.86x); the default
 * warm-up per case is now past it. Each child reports its warm-up steps and their time (`warmup_steps`,
 * `warmup_ms`: the warm-up steps' own time, without the forward passes between them); PyTorch gets the same number of
 * warm-up steps.
 *
 * Options: --cases a,b --reps N (3) --steps N --warmup N (per case defaults below) --workers 1,2
 * --peer-threads 2[,1] --no-peer --compare (fused off too; --no-compare, the default, is accepted)
 * --compare-stream (unstreamed too)
 * --load-slack 0.25.
 * Length: about 9 minutes for the four cases at the defaults on an idle 2-vCPU machine (an estimate from the
 * step times of the 2026-11-24 run in BENCHMARKS.md plus the 1-3 s each child took to start in the
 * 2026-12-02 sample: workshop-64 ~0.9 min, mnv3-112 ~0.8, mnv3-224 ~1.4, seed2-128 ~6.3); longer under
 * load. `--cases workshop-64 --reps 3 --steps 3` took 1 minute at a load average of 2-3. The longer warm-ups of
 * 2026-12-03 add to that: `--cases mnv3-112,mnv3-224 --reps 3` took 3.5 minutes on an otherwise idle machine.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, inPlaceAdam, EmbeddingParallel } from '../lib/backend';
import { childrenCpuMs, machineCpuMs, othersDuring } from './machine';
import { createEmbeddingReplica, type BenchReplicaOptions } from './replica';
import { mobileNetV3Small, seed2Cnn, workshopCnn } from '../lib/models';
import { contrastiveLoss } from '../lib/losses';
import { Optimizer, streamLargeDenseUpdates } from '../lib/train';

type CaseName = 'mnv3-224' | 'mnv3-112' | 'seed2-128' | 'workshop-64';
interface Case { model: 'mnv3' | 'seed2' | 'workshop'; size: number; pairs: number; steps: number; warmup: number }
const CASES: Record<CaseName, Case> = {
  'mnv3-224': { model: 'mnv3', size: 224, pairs: 16, steps: 6, warmup: 15 },
  'mnv3-112': { model: 'mnv3', size: 112, pairs: 16, steps: 10, warmup: 25 },
  'seed2-128': { model: 'seed2', size: 128, pairs: 16, steps: 2, warmup: 1 },
  'workshop-64': { model: 'workshop', size: 64, pairs: 32, steps: 10, warmup: 20 },
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

/**
 * One replica: model, optimizer, a fixed random batch of `pairs` pairs. The optimizer is the trainer's (lib/train
 * Optimizer, Adam in place), with the trainer's streamed update of very large Dense layers (seed2's FC:
 * lib/train/streamed-dense.ts), as `siamese train` on one worker runs them.
 */
function replica(c: Case, pairs: number, seed: number) {
  const net = buildModel(c);
  const variables = net.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = new Optimizer(variables, { name: 'adam', lr: 1e-3 });
  const streamed = process.env.BENCH_STREAM === 'off' ? null : streamLargeDenseUpdates(net, opt);
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
  const grads = () => tf.variableGrads(loss, variables);
  const forward = () => {
    const y = tf.tidy(() => net.apply(x, { training: true }) as tf.Tensor);
    y.dataSync();
    y.dispose();
  };
  return { net, opt, grads, forward, streamed: streamed !== null };
}

/** Single process: time steps and forwards; returns the measurements. */
async function runOne(name: CaseName, steps: number, warmup: number) {
  const c = CASES[name];
  const r = replica(c, c.pairs, 7);
  const step = () => {
    const { value, grads } = r.grads();
    r.opt.apply(grads, 1e-3);
    const v = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return v;
  };
  const stepMs: number[] = [], fwdMs: number[] = [], stepCpuMs: number[] = [], losses: number[] = [];
  let warmupMs = 0;
  for (let i = 0; i < warmup; i++) {
    const t = performance.now();
    losses.push(step());
    warmupMs += performance.now() - t;
    r.forward();
  }
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
  return { stepMs: median(stepMs), fwdMs: median(fwdMs), stepCpuMs: median(stepCpuMs), losses, streamed: r.streamed, warmupMs };
}

/**
 * Two threads as lib/train's `workers: 2` (lib/backend/parallel EmbeddingParallel): this thread embeds the a
 * images, the helper the b images; the contrastive loss of all embeddings here; in-place Adam on this thread only.
 */
async function runTwo(name: CaseName, steps: number, warmup: number) {
  const c = CASES[name];
  const options: BenchReplicaOptions = { model: c.model, size: c.size };
  const dp = await EmbeddingParallel.start({ module: path.join(__dirname, 'replica.ts'), options });
  const r = createEmbeddingReplica(options);
  const opt = inPlaceAdam(1e-3);
  const n = c.pairs;
  const xa = tf.randomUniform([n, c.size, c.size, 3], 0, 1, 'float32', 7);
  const xb = tf.randomUniform([n, c.size, c.size, 3], 0, 1, 'float32', 8);
  const isSame = tf.tensor1d(Array.from({ length: n }, (_, i) => i % 2), 'float32');
  const dim = r.model.outputs[0].shape[1] as number;
  const loss = (e: tf.Tensor2D) => {
    const [ea, eb] = tf.split(e, 2) as [tf.Tensor2D, tf.Tensor2D];
    return contrastiveLoss(ea, eb, isSame) as tf.Scalar;
  };
  const times: number[] = [], cpus: number[] = [];
  try {
    for (let i = 0; i < warmup + steps; i++) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      const { value, grads } = await dp.variableGrads({ here: xa, there: xb, dim, embed: r.embed, loss, shared: r.variables });
      opt.applyGradients(grads);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
      times.push(performance.now() - t);
      if (i >= warmup) {
        const used = process.cpuUsage(cpu);
        cpus.push((used.user + used.system) / 1000);
      }
    }
  } finally {
    await dp.close();
  }
  const warmupMs = times.slice(0, warmup).reduce((a, b) => a + b, 0);
  return { stepMs: median(times.slice(warmup)), stepCpuMs: median(cpus), heap: heapBytes(), warmupMs };
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
      warmup_steps: warmup, warmup_ms: m.warmupMs,
      forward_images_per_s: (2 * pairs * 1000) / m.fwdMs, step_over_forward: m.stepMs / m.fwdMs,
      loss_first: m.losses[0], loss_last: m.losses[m.losses.length - 1],
      peak_wasm_heap_mb: heapBytes() / 2 ** 20, peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      notes: [...info.notes, ...(m.streamed ? ['the large FC layer updated block by block (lib/train/streamed-dense.ts)'] : [])],
      load_avg_1m: [load, os.loadavg()[0]],
    }));
  } else {
    const m = await runTwo(name, steps, warmup);
    console.log(JSON.stringify({
      workers, step_ms: m.stepMs, process_cpu_ms_per_step: m.stepCpuMs, pairs_per_s: (pairs * 1000) / m.stepMs,
      warmup_steps: warmup, warmup_ms: m.warmupMs,
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

/**
 * This bench's own share of the 1-minute load average at `t` (ms, performance.now()): the kernel's
 * exponential average (time constant 60 s) of the runnable threads of each past measurement, taken as
 * its CPU time / wall time (an underestimate when its threads waited for a core, so others' load is
 * then overestimated and a ratio more easily marked unreliable, never less).
 */
function ownLoad(t: number, runs: readonly { start: number; end: number; threads: number }[]): number {
  let load = 0;
  for (const r of runs) {
    if (r.start >= t) continue;
    const end = Math.min(r.end, t);
    load += r.threads * (Math.exp(-(t - end) / 60_000) - Math.exp(-(t - r.start) / 60_000));
  }
  return load;
}

/** What one measurement runs: our trainer (1 or more workers, kernels fused or not) or the PyTorch peer. */
interface Config { key: string; side: 'ours' | 'pytorch'; threads: number; fused: 'on' | 'off'; stream?: 'on' | 'off' }

/** One measurement's line: the child's JSON plus where the machine stood. */
interface Measurement {
  case: CaseName; rep: number; config: string; side: Config['side']; threads: number;
  pairs_per_s: number | null; error?: string;
  /** 1-minute load average just before the child started and just after it ended. */
  load_1m: [number, number];
  /** This bench's own modelled share of it (ownLoad) at the same two moments. */
  own_load_1m: [number, number];
  /** load_1m minus own_load_1m: the other users' load. */
  others_load_1m: [number, number];
  /** Cores the rest of the machine kept busy during the measurement (/proc/stat busy time less this process tree's). */
  others_cpu_cores: number | null;
  steal_cores: number | null;
  wall_s: number;
  result: Record<string, unknown>;
}

/** Limits beyond which a ratio is marked `reliable: false` (see the module doc). */
interface Limits { slack: number; moveAbs: number; moveRel: number }

function reliability(ms: readonly Measurement[], cores: number, lim: Limits): { reliable: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const measured = ms.every((m) => m.others_cpu_cores !== null);
  for (const m of ms) {
    const free = cores - m.threads;
    if (measured) {
      if (m.others_cpu_cores! > free + lim.slack) {
        reasons.push(`others kept ${m.others_cpu_cores!.toFixed(2)} cores busy during ${m.config} rep ${m.rep} > ${cores} - ${m.threads} + ${lim.slack}`);
      }
      if (m.steal_cores !== null && m.steal_cores > lim.slack) {
        reasons.push(`the hypervisor stole ${m.steal_cores.toFixed(2)} of a core during ${m.config} rep ${m.rep} > ${lim.slack}`);
      }
    } else if (m.others_load_1m[0] > free + lim.slack) {
      reasons.push(`others' load ${m.others_load_1m[0].toFixed(2)} before ${m.config} rep ${m.rep} > ${cores} cores - ${m.threads} threads + ${lim.slack}`);
    }
  }
  if (measured) {
    const busy = ms.map((m) => m.others_cpu_cores!);
    const lo = Math.min(...busy), hi = Math.max(...busy);
    if (hi - lo > lim.slack) reasons.push(`the cores others kept busy moved ${lo.toFixed(2)} -> ${hi.toFixed(2)} (> ${lim.slack}) over these repetitions`);
  } else {
    const loads = ms.flatMap((m) => m.others_load_1m);
    if (loads.length > 0) {
      const lo = Math.min(...loads), hi = Math.max(...loads);
      const limit = Math.max(lim.moveAbs, lim.moveRel * lo);
      if (hi - lo > limit) reasons.push(`others' load moved ${lo.toFixed(2)} -> ${hi.toFixed(2)} (> ${limit.toFixed(2)}) over these repetitions`);
    }
  }
  return { reliable: reasons.length === 0, reasons };
}

const round = (v: number, digits = 3): number => Math.round(v * 10 ** digits) / 10 ** digits;

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
  const compareFused = process.argv.includes('--compare') && !process.argv.includes('--no-compare');
  const compareStream = process.argv.includes('--compare-stream');
  const peerThreads = (arg('--peer-threads') ?? '2').split(',').map(Number);
  const reps = Number(arg('--reps') ?? 3);
  if (!(Number.isInteger(reps) && reps >= 1)) throw new Error(`--reps: ${arg('--reps')} is not a positive integer`);
  const limits: Limits = { slack: Number(arg('--load-slack') ?? 0.25), moveAbs: 0.5, moveRel: 0.25 };
  const cores = os.cpus().length;
  const env = {
    date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores,
    load_avg: os.loadavg(), tfjs: tf.version.tfjs, kernels: fs.readFileSync(path.join(__dirname, '..', 'lib', 'backend', 'kernels', 'COMPILER'), 'utf8').trim(),
    peer: peer ? spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim() : null,
    reps, reliability_limits: { load_slack: limits.slack, moved_abs: limits.moveAbs, moved_rel: limits.moveRel },
  };
  console.log(JSON.stringify({ environment: env }));
  const configs: Config[] = [
    ...workerCounts.map((w): Config => ({ key: `ours_${w}w`, side: 'ours', threads: w, fused: 'on' })),
    ...(compareFused ? [{ key: 'ours_1w_fused_off', side: 'ours', threads: 1, fused: 'off' } as Config] : []),
    ...(compareStream ? [{ key: 'ours_1w_unstreamed', side: 'ours', threads: 1, fused: 'on', stream: 'off' } as Config] : []),
    ...(peer ? peerThreads.map((t): Config => ({ key: `pytorch_${t}t`, side: 'pytorch', threads: t, fused: 'on' })) : []),
  ];
  const runs: { start: number; end: number; threads: number }[] = [];
  const measure = (name: CaseName, rep: number, cfg: Config, steps: number, warmup: number): Measurement => {
    const c = CASES[name];
    const load0 = os.loadavg()[0], own0 = ownLoad(performance.now(), runs), cpu0 = machineCpuMs(), kids0 = childrenCpuMs();
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const p = cfg.side === 'ours'
      ? spawnSync(process.execPath, [...process.execArgv, __filename, '--child', name, '--workers', String(cfg.threads),
        '--steps', String(steps), '--warmup', String(warmup)], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, SIAMESE_WASM_FUSED: cfg.fused, BENCH_STREAM: cfg.stream ?? 'on' } })
      : spawnSync('/usr/bin/python3', [path.join(__dirname, 'pytorch_peer.py'), '--case', name, '--steps', String(steps),
        '--warmup', String(warmup), '--pairs', String(c.pairs), '--threads', String(cfg.threads)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const t1 = performance.now();
    const self = process.cpuUsage(self0), cpu1 = machineCpuMs(), kids1 = childrenCpuMs();
    const wallMs = t1 - t0;
    const ownCpuMs = (kids0 !== null && kids1 !== null ? kids1 - kids0 : 0) + (self.user + self.system) / 1000;
    runs.push({ start: t0, end: t1, threads: ownCpuMs / wallMs });
    const load1 = os.loadavg()[0], own1 = ownLoad(t1, runs);
    const res = lastJson(p.stdout);
    const error = res === null
      ? ((p.stderr || p.stdout).split('\n').filter((l) => /Error|Abort/.test(l)).slice(0, 2).join(' | ') || `exit ${p.status}`)
      : undefined;
    return {
      case: name, rep, config: cfg.key, side: cfg.side, threads: cfg.threads,
      pairs_per_s: typeof res?.pairs_per_s === 'number' ? res.pairs_per_s : null, ...(error ? { error } : {}),
      load_1m: [load0, load1], own_load_1m: [round(own0, 2), round(own1, 2)],
      others_load_1m: [round(Math.max(0, load0 - own0), 2), round(Math.max(0, load1 - own1), 2)],
      ...othersDuring(cpu0, cpu1, kids0 !== null ? ownCpuMs : null, wallMs),
      wall_s: round(wallMs / 1000, 1), result: res ?? {},
    };
  };
  for (const name of names) {
    const c = CASES[name];
    const steps = Number(arg('--steps') ?? c.steps), warmup = Number(arg('--warmup') ?? c.warmup);
    const all: Measurement[] = [];
    // ABAB: every repetition runs each configuration once, in the same order, so drift hits all sides alike.
    for (let rep = 1; rep <= reps; rep++) {
      for (const cfg of configs) {
        const m = measure(name, rep, cfg, steps, warmup);
        console.log(JSON.stringify(m));
        all.push(m);
      }
    }
    const medians: Record<string, Record<string, number | null>> = {};
    for (const cfg of configs) {
      const ok = all.filter((m) => m.config === cfg.key && m.pairs_per_s !== null);
      const med = (k: string): number | null => {
        const xs = ok.map((m) => m.result[k]).filter((v): v is number => typeof v === 'number');
        return xs.length ? round(median(xs)) : null;
      };
      medians[cfg.key] = { n: ok.length, pairs_per_s: med('pairs_per_s'), step_ms: med('step_ms'),
        step_cpu_ms: med('step_cpu_ms') ?? med('process_cpu_ms_per_step'), forward_ms: med('forward_ms') };
    }
    const ratios: Record<string, unknown> = {};
    const ratio = (num: string, den: string): void => {
      const a = medians[num]?.pairs_per_s, b = medians[den]?.pairs_per_s;
      if (a === undefined || b === undefined) return;
      const used = all.filter((m) => m.config === num || m.config === den);
      ratios[`${num}/${den}`] = { value: a !== null && b !== null ? round(a / b) : null, ...reliability(used, cores, limits) };
    };
    ratio('ours_1w', 'pytorch_2t');
    ratio('ours_2w', 'pytorch_2t');
    ratio('ours_2w', 'ours_1w');
    ratio('ours_1w', 'pytorch_1t');
    ratio('ours_1w', 'ours_1w_fused_off');
    ratio('ours_1w', 'ours_1w_unstreamed');
    const summary: Record<string, unknown> = { summary: name, pairs_per_step: c.pairs, reps, steps, warmup,
      medians_pairs_per_s: Object.fromEntries(Object.entries(medians).map(([k, v]) => [k, v.pairs_per_s])), medians, ratios,
      load_1m: [all[0].load_1m[0], all[all.length - 1].load_1m[1]] };
    if (!peer) {
      summary.pytorch = 'not measured (no /usr/bin/python3 with torch, or --no-peer); reference (PyTorch 1.13, 2 threads, this machine kind): ' +
        '35.8 pairs/s at mnv3-224, 114.8 at mnv3-112, 1.3 at seed2-128';
    }
    console.log(JSON.stringify(summary));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
