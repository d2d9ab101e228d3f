/**
 * Augmentation and input-pipeline benchmark (issue 6): `npm run bench:augment`.
 *
 * 1. Augmentation alone, on the calling thread: images/s of `applyAugment` (params sampled per batch)
 *    for the `seed2` and `default` policies at 112, 128 and 224 px, batches of 32 images, and of the
 *    geometric part alone (one `tf.image.transform` call).
 * 2. The pipeline's producer: images/s that the worker thread decodes (from a warm decode cache),
 *    augments and normalises, with nothing training (its ceiling).
 * 3. Training steps, measured in the same run: a real step (lib/models `mobileNetV3Small`, head
 *    'simple', lib/losses `contrastiveLoss`, lib/backend `inPlaceAdam`; 16 pairs = 32 images, ImageNet
 *    normalisation) on pre-made tensors (one batch reused), fed by the pipeline with augmentation in a
 *    worker thread, and fed by the pipeline on the calling thread (no overlap). The three run in
 *    interleaved blocks of `--steps` steps, `--rounds` times, so drift in the machine's load touches
 *    all alike. A fed step's time includes `next()`. Slowdown = median(fed) / median(pre-made) − 1,
 *    also given from the fastest steps, and from the main thread's CPU time per step (read from /proc;
 *    it does not count time the thread waited for a core, so it is the least sensitive to other
 *    processes on a shared machine; the worker's own CPU shows in the process CPU time).
 *
 * Data: a synthetic set generated into a temporary folder (LFW layout, 250 px, LFW's centre crop).
 * Options: --sizes 112,128,224  --reps N  --cases mnv3-112,mnv3-224  --steps N  --rounds N  --policy default|seed2  --skip-train
 * Prints a table per part and one JSON line with everything.
 *
 * @see notebooks/03-augmentation-previews.ipynb
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { applyAugment, resolvePolicy, samplePolicy, projectiveMatrix } from '../lib/augment';
import { initBackend, inPlaceAdam } from '../lib/backend';
import { Dataset, DecodeCache, ensureSynthetic, readOfficialPairs, type PairList } from '../lib/data';
import { createPairPipeline, type PipelineState } from '../lib/pipeline';
import { contrastiveLoss } from '../lib/losses';
import { mobileNetV3Small } from '../lib/models';
import { Rng } from '../lib/util/rng';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/**
 * CPU time (ms) of the main thread so far, from /proc (Linux; null elsewhere). Unlike wall time it does
 * not grow while other processes hold the cores, so it shows the main thread's own cost of a step.
 * Resolution: one clock tick (10 ms).
 */
function mainThreadCpuMs(): number | null {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in ticks of 1/100 s
  } catch {
    return null;
  }
}

/** CPU time (ms) of the whole process (every thread: main, pipeline worker, libuv, sharp). */
function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const SIZES = arg('--sizes', '112,128,224').split(',').map(Number);
const REPS = Number(arg('--reps', '5'));
const CASES = arg('--cases', 'mnv3-112').split(',').filter(Boolean);
const STEPS = Number(arg('--steps', '4'));
const ROUNDS = Number(arg('--rounds', '3'));
const POLICY = arg('--policy', 'default');
const BATCH_IMAGES = 32;

/** Part 1: augmentation alone on this thread. */
function augmentThroughput(): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const size of SIZES) {
    const x = tf.randomUniform([BATCH_IMAGES, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    for (const name of ['seed2', 'default']) {
      const policy = resolvePolicy(name);
      const rng = new Rng(`bench/${name}/${size}`);
      const once = (): number => {
        const t = performance.now();
        const y = applyAugment(x, samplePolicy(policy, BATCH_IMAGES, rng), { fillMode: policy.fillMode, fillValue: policy.fillValue, interpolation: policy.interpolation });
        y.dataSync();
        y.dispose();
        return performance.now() - t;
      };
      once();
      const ms = median(Array.from({ length: REPS }, once));
      rows.push({ part: 'augment', policy: name, size, msPerBatch: +ms.toFixed(1), imagesPerS: Math.round((BATCH_IMAGES * 1000) / ms) });
    }
    // The geometric stage alone: every image rotated, one transform call.
    const m = tf.tensor2d(Array.from({ length: BATCH_IMAGES }, (_, i) => projectiveMatrix({ ...samplePolicy(resolvePolicy('none'), 1, new Rng(0))[0], rotate: 5 + i }, size, size)));
    const geo = (): number => {
      const t = performance.now();
      const y = tf.image.transform(x, m, 'bilinear', 'constant', 0);
      y.dataSync();
      y.dispose();
      return performance.now() - t;
    };
    geo();
    const gms = median(Array.from({ length: REPS }, geo));
    rows.push({ part: 'augment', policy: 'transform only (all rotated)', size, msPerBatch: +gms.toFixed(1), imagesPerS: Math.round((BATCH_IMAGES * 1000) / gms) });
    tf.dispose([x, m]);
  }
  return rows;
}

async function makeData(): Promise<{ dataset: Dataset; pairs: PairList; cleanup: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-bench-augment-'));
  await ensureSynthetic(path.join(dir, 'synth'), { people: 24, perPerson: 6, size: 250, devTrainPairs: 200, devTestPairs: 20, foldPairs: 5 });
  const dataset = await Dataset.open(path.join(dir, 'synth'), { cache: new DecodeCache(path.join(dir, 'cache')) });
  const pairs = await readOfficialPairs(path.join(dir, 'synth', 'pairsDevTrain.txt'));
  return { dataset, pairs, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Part 2: how fast the worker makes batches when nothing else runs (after one epoch warmed the cache). */
async function producerThroughput(dataset: Dataset, pairs: PairList): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const size of SIZES) {
    const p = await createPairPipeline(pairs, dataset, { batchSize: 16, augment: POLICY, preprocessing: { size, normalization: 'imagenet' }, prefetch: 2 });
    for await (const b of p.epoch()) void b; // warm: starts the worker, fills the decode cache at this size
    const n = Math.min(p.batchesPerEpoch, 12);
    const t = performance.now();
    for (let i = 0; i < n; i++) (await p.next()).dispose();
    const ms = performance.now() - t;
    rows.push({ part: 'producer', policy: POLICY, size, batches: n, imagesPerS: Math.round((n * 32 * 1000) / ms),
      workerAugmentMsPerBatch: +(p.stats.augmentMs / p.stats.batches).toFixed(1), workerDecodeMsPerBatch: +(p.stats.decodeMs / p.stats.batches).toFixed(1) });
    await p.close();
  }
  return rows;
}

/** Part 3: training steps on pre-made tensors versus fed by the pipeline, same run. */
async function trainingSteps(dataset: Dataset, pairs: PairList, caseName: string): Promise<Record<string, unknown>> {
  const size = Number(caseName.split('-')[1]);
  if (!caseName.startsWith('mnv3-') || !Number.isInteger(size)) throw new Error(`unknown case ${caseName}; use mnv3-<size>`);
  const net = mobileNetV3Small({ inputSize: size, head: 'simple', seed: 1 });
  const opt = inPlaceAdam(1e-3);
  const vars = net.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const step = (a: tf.Tensor4D, b: tf.Tensor4D, isSame: tf.Tensor1D): number => {
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
      const e = net.apply(tf.concat([a, b]), { training: true }) as tf.Tensor2D;
      const [ea, eb] = tf.split(e, 2) as [tf.Tensor2D, tf.Tensor2D];
      return contrastiveLoss(ea, eb, isSame) as tf.Scalar;
    }), vars);
    opt.applyGradients(grads);
    const v = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return v;
  };
  const common = { batchSize: 16, preprocessing: { size, normalization: 'imagenet' as const }, seed: 1 };

  // Pre-made: one batch, made once, reused for every pre-made step.
  const src = await createPairPipeline(pairs, dataset, { ...common, augment: 'none', worker: false });
  const fixed = await src.next();
  await src.close();
  step(fixed.a, fixed.b, fixed.isSame); // warm-up; the optimizer makes its moment tensors here
  const tensors = tf.memory().numTensors;

  const cpu = { pre: { main: 0, all: 0 }, worker: { main: 0, all: 0 }, thread: { main: 0, all: 0 } };
  const premadeBlock = (): number[] => {
    const m0 = mainThreadCpuMs() ?? NaN;
    const a0 = processCpuMs();
    const ms = Array.from({ length: STEPS }, () => {
      const t = performance.now();
      step(fixed.a, fixed.b, fixed.isSame);
      return performance.now() - t;
    });
    cpu.pre.main += (mainThreadCpuMs() ?? NaN) - m0;
    cpu.pre.all += processCpuMs() - a0;
    return ms;
  };
  // A fed block continues the previous block's position, so every block sees new batches.
  const positions: Record<string, PipelineState | undefined> = {};
  const fedBlock = async (worker: boolean): Promise<{ ms: number[]; waitMs: number }> => {
    const key = worker ? 'worker' : 'thread';
    const p = await createPairPipeline(pairs, dataset, { ...common, augment: POLICY, worker, prefetch: 2 }, { resume: positions[key] });
    const warm = await p.next(); // not timed: starts the worker, fills the prefetch queue
    step(warm.a, warm.b, warm.isSame);
    warm.dispose();
    const wait0 = p.stats.waitMs;
    const m0 = mainThreadCpuMs() ?? NaN;
    const a0 = processCpuMs();
    const ms: number[] = [];
    for (let i = 0; i < STEPS; i++) {
      const t = performance.now();
      const b = await p.next();
      step(b.a, b.b, b.isSame);
      b.dispose();
      ms.push(performance.now() - t);
    }
    cpu[key].main += (mainThreadCpuMs() ?? NaN) - m0;
    cpu[key].all += processCpuMs() - a0;
    const waitMs = p.stats.waitMs - wait0;
    positions[key] = p.state();
    await p.close();
    return { ms, waitMs };
  };

  // Blocks interleaved (pre-made, worker-fed, thread-fed, repeated), so slow drift in the machine's load
  // touches all three alike.
  const pre: number[] = [];
  const inWorker: number[] = [];
  const inThread: number[] = [];
  let workerWait = 0;
  let threadWait = 0;
  for (let r = 0; r < ROUNDS; r++) {
    pre.push(...premadeBlock());
    const w = await fedBlock(true);
    inWorker.push(...w.ms);
    workerWait += w.waitMs;
    const t = await fedBlock(false);
    inThread.push(...t.ms);
    threadWait += t.waitMs;
    console.log(`  round ${r + 1}/${ROUNDS}: pre-made ${median(pre.slice(-STEPS)).toFixed(0)} ms, worker-fed ${median(w.ms).toFixed(0)} ms, thread-fed ${median(t.ms).toFixed(0)} ms`);
  }
  if (tf.memory().numTensors !== tensors) throw new Error(`tensor leak: ${tensors} -> ${tf.memory().numTensors}`);
  fixed.dispose();
  net.dispose();
  const pct = (x: number, base: number): number => +((x / base - 1) * 100).toFixed(1);
  const n = pre.length;
  return {
    part: 'train', case: caseName, policy: POLICY, pairsPerStep: 16, stepsEach: n,
    premadeMs: +median(pre).toFixed(1), workerFedMs: +median(inWorker).toFixed(1), sameThreadFedMs: +median(inThread).toFixed(1),
    slowdownWorkerPct: pct(median(inWorker), median(pre)), slowdownSameThreadPct: pct(median(inThread), median(pre)),
    premadeMinMs: +Math.min(...pre).toFixed(1), workerFedMinMs: +Math.min(...inWorker).toFixed(1), sameThreadFedMinMs: +Math.min(...inThread).toFixed(1),
    slowdownWorkerByMinPct: pct(Math.min(...inWorker), Math.min(...pre)), slowdownSameThreadByMinPct: pct(Math.min(...inThread), Math.min(...pre)),
    workerWaitMsPerStep: +(workerWait / n).toFixed(1), sameThreadWaitMsPerStep: +(threadWait / n).toFixed(1),
    // CPU time per step: the main thread's own (load-independent), and the whole process's.
    premadeMainCpuMs: +(cpu.pre.main / n).toFixed(0), workerFedMainCpuMs: +(cpu.worker.main / n).toFixed(0), sameThreadFedMainCpuMs: +(cpu.thread.main / n).toFixed(0),
    slowdownWorkerByMainCpuPct: pct(cpu.worker.main, cpu.pre.main), slowdownSameThreadByMainCpuPct: pct(cpu.thread.main, cpu.pre.main),
    premadeProcessCpuMs: +(cpu.pre.all / n).toFixed(0), workerFedProcessCpuMs: +(cpu.worker.all / n).toFixed(0), sameThreadFedProcessCpuMs: +(cpu.thread.all / n).toFixed(0),
  };
}

function table(rows: readonly Record<string, unknown>[]): void {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (v: string[]): string => v.map((s, i) => s.padEnd(w[i])).join('  ');
  console.log(line(cols));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c] ?? ''))));
  console.log('');
}

async function main(): Promise<void> {
  const info = await initBackend();
  if (info.name !== 'wasm') console.log(`note: the backend is ${info.name}, not wasm (SIAMESE_BACKEND=wasm forces it)`);
  const env = { date: new Date().toISOString(), node: process.version, cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`, backend: info.name, tfjs: tf.version.tfjs, load: os.loadavg().map((l) => +l.toFixed(2)) };
  console.log(JSON.stringify(env));
  const aug = augmentThroughput();
  table(aug);
  const { dataset, pairs, cleanup } = await makeData();
  try {
    const prod = await producerThroughput(dataset, pairs);
    table(prod);
    const train: Record<string, unknown>[] = [];
    if (!process.argv.includes('--skip-train')) {
      for (const c of CASES) {
        train.push(await trainingSteps(dataset, pairs, c));
        table(train.slice(-1));
      }
    }
    console.log(JSON.stringify({ env: { ...env, loadAfter: os.loadavg().map((l) => +l.toFixed(2)) }, augment: aug, producer: prod, train }));
  } finally {
    cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
