/**
 * One thread against two, end to end (issue 18): `npm run bench:epoch [-- --cases workshop-64,mnv3-112 --reps 2]`.
 *
 * Each measurement is a real training run (`runExperiment`, one epoch, in a fresh child process so every run
 * starts with the same heap) on the built-in synthetic faces: the input pipeline decodes and augments in its
 * worker thread while the trainer steps, so the epoch's time includes everything a user waits for except
 * validation and the test. `workers: 1` and `workers: 2` alternate (1, 2, 1, 2, ...: ABAB, so both see the
 * same machine), each line carries the 1-minute load average before and after, and the summary gives the
 * medians and their ratio, marked unreliable when the load moved by more than 0.5 during the case or started
 * above the cores the two threads need to themselves.
 *
 * Cases (the four of bench:train, with the configs their notebooks train):
 * - workshop-64: the default experiment (workshop CNN at 64 px, contrastive over every pair of the batch, augmentation on), 32 pairs a step;
 * - mnv3-112 / mnv3-224: the MobileNetV3 notebook's network and loss (contrastive margin 2 over the given pairs), 32 / 16 pairs a step;
 * - seed2-128: the Siamese CNN reference's network at 128 px (contrastive), 16 pairs a step.
 * About 6 minutes for all four at --reps 2 on an idle 2-core machine. Prints JSON lines. Not a test.
 *
 * These epochs are short (30 steps for workshop-64, 10 for mnv3-112), so they weigh the start of a run heavily (the
 * helper thread's start, the first steps). `--pairs N` sets the pairs of an epoch (the default experiment's is 2,976)
 * and `--epochs N` trains N epochs: the summary then gives the last epoch's rates too (`last_epoch`), the steady state
 * of a long run. Each line also carries the cores the rest of the machine kept busy and the hypervisor stole during
 * the child (/proc/stat less this process tree's CPU time, bench/machine.ts), and they decide `reliable`. For example
 * `npm run bench:epoch -- --cases workshop-64 --pairs 2976 --epochs 2 --reps 3`: about 7 minutes.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runExperiment, type ExperimentInput } from '../lib/train';
import { childrenCpuMs, machineCpuMs, othersDuring } from './machine';

type CaseName = 'workshop-64' | 'mnv3-112' | 'mnv3-224' | 'seed2-128';

const MNV3 = (inputSize: number): ExperimentInput => ({
  model: { kind: 'mobileNetV3Small', options: { inputSize, head: 'mnv3-notebook' } }, head: 'euclidean', normalize: false,
  loss: { name: 'contrastive', margin: 2 },
});
const CASES: Record<CaseName, { config: ExperimentInput; pairs: number; batchSize: number }> = {
  'workshop-64': { config: {}, pairs: 960, batchSize: 32 },
  'mnv3-112': { config: MNV3(112), pairs: 320, batchSize: 32 },
  'mnv3-224': { config: MNV3(224), pairs: 96, batchSize: 16 },
  'seed2-128': { config: { model: { kind: 'siameseCnn' }, head: 'euclidean', normalize: false, loss: { name: 'contrastive', margin: 1 }, augment: 'siamese-cnn' }, pairs: 48, batchSize: 16 },
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Child: `epochs` epochs of `name` on `workers` threads (`pairs` per epoch, default the case's); prints a JSON line. */
async function child(name: CaseName, workers: 1 | 2, epochs: number, pairs: number | undefined): Promise<void> {
  const c = { ...CASES[name], ...(pairs ? { pairs } : {}) };
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-epoch-'));
  const lines: string[] = [];
  try {
    const cpu = process.cpuUsage();
    const result = await runExperiment({
      ...c.config, name: `bench-${name}`, epochs, batchSize: c.batchSize, workers, seed: 1,
      data: { split: { preset: 'default', numPairs: { train: c.pairs, val: 32, test: 32 } } },
    }, { runsDir: runs, force: true, progress: 'none', log: (l) => void lines.push(l) });
    const used = process.cpuUsage(cpu);
    const h = result.history[0];
    const last = result.history[result.history.length - 1];
    console.log(JSON.stringify({
      case: name, workers, pairs_per_epoch: c.pairs, epoch_s: h.seconds, pairs_per_s: h.pairsPerSecond,
      epochs: result.history.length, per_epoch_pairs_per_s: result.history.map((e) => e.pairsPerSecond), last_epoch_pairs_per_s: last.pairsPerSecond,
      train_s: result.trainSeconds, loss: h.trainLoss,
      process_cpu_s: (used.user + used.system) / 1e6, threads_line: lines.find((l) => /threads/.test(l)) ?? null,
    }));
  } finally {
    fs.rmSync(runs, { recursive: true, force: true });
  }
}

function main(): void {
  const childCase = arg('--child') as CaseName | undefined;
  if (childCase) {
    void child(childCase, Number(arg('--workers')) as 1 | 2, Number(arg('--epochs') ?? 1), arg('--pairs') ? Number(arg('--pairs')) : undefined).catch((e) => {
      console.error(e);
      process.exit(1);
    });
    return;
  }
  const names = (arg('--cases') ?? Object.keys(CASES).join(',')).split(',') as CaseName[];
  for (const n of names) if (!(n in CASES)) throw new Error(`--cases: unknown case ${n}; use ${Object.keys(CASES).join(', ')}`);
  const reps = Number(arg('--reps') ?? 2);
  const epochs = Number(arg('--epochs') ?? 1);
  const pairs = arg('--pairs');
  if (!(Number.isInteger(reps) && reps >= 1)) throw new Error(`--reps: ${arg('--reps')} is not a positive integer`);
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`--epochs: ${arg('--epochs')} is not a positive integer`);
  if (pairs !== undefined && !(Number.isInteger(Number(pairs)) && Number(pairs) >= 32)) throw new Error(`--pairs: ${pairs} is not an integer of at least 32`);
  const cores = os.cpus().length;
  console.log(JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores, load_avg: os.loadavg() }));
  // children run the TypeScript through tsx, as this script does
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  for (const name of names) {
    const seen: Record<1 | 2, number[]> = { 1: [], 2: [] };
    const seenLast: Record<1 | 2, number[]> = { 1: [], 2: [] };
    const othersSeen: number[] = [], stealSeen: number[] = [];
    const loads: number[] = [];
    for (let r = 0; r < reps; r++) {
      for (const workers of [1, 2] as const) {
        const before = os.loadavg()[0], cpu0 = machineCpuMs(), kids0 = childrenCpuMs(), t0 = performance.now();
        const out = spawnSync(tsx, [__filename, '--child', name, '--workers', String(workers), '--epochs', String(epochs),
          ...(pairs ? ['--pairs', pairs] : [])], { encoding: 'utf8', maxBuffer: 1 << 26 });
        const after = os.loadavg()[0], cpu1 = machineCpuMs(), kids1 = childrenCpuMs(), wallMs = performance.now() - t0;
        const others = othersDuring(cpu0, cpu1, kids0 !== null && kids1 !== null ? kids1 - kids0 : null, wallMs);
        if (others.others_cpu_cores !== null) othersSeen.push(others.others_cpu_cores);
        if (others.steal_cores !== null) stealSeen.push(others.steal_cores);
        loads.push(before, after);
        const line = out.stdout.split('\n').filter((l) => l.startsWith('{')).pop();
        if (out.status !== 0 || !line) throw new Error(`${name} with ${workers} worker(s) failed:\n${out.stderr.slice(-2000)}`);
        const m = JSON.parse(line) as { pairs_per_s: number; last_epoch_pairs_per_s: number };
        seen[workers].push(m.pairs_per_s);
        seenLast[workers].push(m.last_epoch_pairs_per_s);
        console.log(JSON.stringify({ ...m, rep: r + 1, load_before: before, load_after: after, ...others }));
      }
    }
    const [one, two] = [median(seen[1]), median(seen[2])];
    const [oneLast, twoLast] = [median(seenLast[1]), median(seenLast[2])];
    // As bench:train: with /proc, what the others did during each child decides (two threads leave no core free, so
    // others' cores and the steal must stay under 0.25); without it, the 1-minute load average (a coarse, lagging proxy).
    const moved = Math.max(...loads) - Math.min(...loads);
    const reasons = othersSeen.length === 2 * reps
      ? [
        ...(Math.max(...othersSeen) > 0.25 ? [`others kept up to ${Math.max(...othersSeen).toFixed(2)} cores busy during a child (> 0.25)`] : []),
        ...(stealSeen.length && Math.max(...stealSeen) > 0.25 ? [`the hypervisor stole up to ${Math.max(...stealSeen).toFixed(2)} of a core during a child (> 0.25)`] : []),
      ]
      : [
        ...(moved > 0.5 ? [`the load moved by ${moved.toFixed(2)} during the case`] : []),
        ...(loads[0] > cores - 2 + 0.5 ? [`the load was ${loads[0].toFixed(2)} at the start, so two threads could not have both cores`] : []),
      ];
    console.log(JSON.stringify({
      summary: name, reps, epochs, pairs_per_epoch: pairs ? Number(pairs) : CASES[name].pairs,
      one_thread_pairs_per_s: one, two_threads_pairs_per_s: two, two_over_one: two / one,
      ...(epochs > 1 ? { last_epoch: { one_thread_pairs_per_s: oneLast, two_threads_pairs_per_s: twoLast, two_over_one: twoLast / oneLast } } : {}),
      reliable: reasons.length === 0, ...(reasons.length ? { unreliable_because: reasons } : {}), load_range: [Math.min(...loads), Math.max(...loads)],
      ...(othersSeen.length ? { others_cpu_cores_max: Math.max(...othersSeen), steal_cores_max: Math.max(0, ...stealSeen) } : {}),
    }));
  }
}

main();
