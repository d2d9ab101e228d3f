/**
 * `siamese verify` latency (issue 9): `LFW_DIR=/path/to/lfw npm run bench:verify [-- --pairs N --rounds R]`.
 *
 * Three ways of verifying a pair, each in its own fresh process (so "cold" includes loading the networks):
 * - `before`: the previous path, recomposed from the lib: each photo decoded, searched by the Tiny Face
 *   Detector at 320 px, its landmarks found, cropped and described on its own (one descriptor call per photo);
 * - `after`: `Verifier.verify` as the CLI runs it: both photos decoded together (sharp's threads), the
 *   detector at 320 px as the threshold was fitted, both faces described in one batch;
 * - `after-224`: the same with the detector at 224 px (`--detect` option `tinyInputSize: 224`): faster, but
 *   its crops differ from those the threshold was fitted on, so it is measured, not the default.
 * Cold = creating the verifier (loading and warming the networks) plus the first pair; warm = the median
 * over the next pairs, each of two photos not seen before (no cache helps). The pairs are the first N of
 * View 2's `pairs.txt` folds, taken round-robin over the folds; the verdicts of both ways on the same pairs are
 * compared (decided accuracy, uncertain, no face, decisions that changed), so speed is not bought with
 * accuracy. The modes alternate `--rounds` times. Prints a table and one JSON line; no timing is asserted.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { loadOfficialPairs } from '../lib/data';
import { decide, prepareFace, Verifier, type Verdict } from '../lib/faces';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const MODES = ['before', 'after', 'after-224'] as const;
type Mode = typeof MODES[number];

interface ChildResult {
  mode: Mode;
  createMs: number;
  firstPairMs: number;
  warmMs: number[];
  decisions: Verdict['decision'][];
  isSame: number[];
  numTensorsGrowth: number;
}

/** The pairs: View 2, one pair from each fold in turn. */
async function samplePairs(n: number): Promise<{ a: string; b: string; isSame: number }[]> {
  const root = process.env.LFW_DIR!;
  const list = await loadOfficialPairs('pairs');
  const byFold = new Map<number, number[]>();
  list.folds.forEach((f, i) => byFold.set(f, [...(byFold.get(f) ?? []), i]));
  const folds = [...byFold.values()];
  const out: { a: string; b: string; isSame: number }[] = [];
  for (let k = 0; out.length < n && k < list.pairs.length; k++) {
    const idx = folds[k % folds.length][Math.floor(k / folds.length)];
    if (idx === undefined) continue;
    const p = list.pairs[idx];
    out.push({ a: path.join(root, p.a.person, p.a.file), b: path.join(root, p.b.person, p.b.file), isSame: p.isSame });
  }
  return out;
}

async function child(mode: Mode, n: number): Promise<ChildResult> {
  await initBackend({ quiet: true });
  const pairs = await samplePairs(n + 1);
  let t = performance.now();
  const v = await Verifier.create(mode === 'after-224' ? { detect: { tinyInputSize: 224 } } : {});
  const createMs = performance.now() - t;
  const verifyBefore = async (a: string, b: string): Promise<Verdict['decision']> => {
    const embed = async (file: string): Promise<number[] | undefined> => {
      const p = await prepareFace(file, { size: v.embedder.inputSize, detect: v.detect });
      if (!p.crop) return undefined;
      const x = tf.tensor4d(p.crop.data, [1, p.crop.height, p.crop.width, 3], 'int32');
      try {
        return (await v.embedder.embed(x))[0];
      } finally {
        x.dispose();
      }
    };
    const ea = await embed(a);
    const eb = await embed(b);
    return ea && eb ? decide(v.embedder.compare(ea, eb), v.settings) : 'no-face';
  };
  const one = async (a: string, b: string): Promise<Verdict['decision']> => (mode === 'before' ? verifyBefore(a, b) : (await v.verify(a, b)).decision);
  const decisions: Verdict['decision'][] = [];
  t = performance.now();
  decisions.push(await one(pairs[0].a, pairs[0].b));
  const firstPairMs = performance.now() - t;
  const tensors = tf.memory().numTensors;
  const warmMs: number[] = [];
  for (const p of pairs.slice(1)) {
    t = performance.now();
    decisions.push(await one(p.a, p.b));
    warmMs.push(performance.now() - t);
  }
  return { mode, createMs, firstPairMs, warmMs, decisions, isSame: pairs.map((p) => p.isSame), numTensorsGrowth: tf.memory().numTensors - tensors };
}

const median = (xs: readonly number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

function verdictStats(r: ChildResult): { decided: number; right: number; uncertain: number; noFace: number } {
  let decided = 0, right = 0, uncertain = 0, noFace = 0;
  r.decisions.forEach((d, i) => {
    if (d === 'uncertain') uncertain++;
    else if (d === 'no-face') noFace++;
    else { decided++; if ((d === 'same') === (r.isSame[i] === 1)) right++; }
  });
  return { decided, right, uncertain, noFace };
}

async function main(): Promise<void> {
  if (!process.env.LFW_DIR) throw new Error('set LFW_DIR to an LFW folder: the benchmark verifies real photos (detectors find no faces in the synthetic set)');
  const n = Number(opt('pairs', '60'));
  if (args.includes('--child')) {
    console.log(JSON.stringify(await child(opt('child', 'after') as Mode, n)));
    return;
  }
  const rounds = Number(opt('rounds', '2'));
  const results: Record<Mode, ChildResult[]> = { before: [], after: [], 'after-224': [] };
  const load: number[] = [os.loadavg()[0]];
  for (let r = 0; r < rounds; r++) {
    for (const mode of MODES) {
      const p = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', mode, '--pairs', String(n)], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 26 });
      const line = p.stdout.trim().split('\n').pop() ?? '';
      if (p.status !== 0 || !line.startsWith('{')) throw new Error(`${mode} child failed (exit ${p.status}):\n${p.stderr.slice(-2000)}`);
      results[mode].push(JSON.parse(line) as ChildResult);
      load.push(os.loadavg()[0]);
    }
  }
  const summary = Object.fromEntries(MODES.map((m) => {
    const rs = results[m];
    return [m, {
      coldMs: median(rs.map((r) => r.createMs + r.firstPairMs)), createMs: median(rs.map((r) => r.createMs)), firstPairMs: median(rs.map((r) => r.firstPairMs)),
      warmMsPerPair: median(rs.flatMap((r) => r.warmMs)), warmP90: [...rs.flatMap((r) => r.warmMs)].sort((a, b) => a - b)[Math.floor(0.9 * rs[0].warmMs.length * rs.length)],
      ...verdictStats(rs[0]), numTensorsGrowth: Math.max(...rs.map((r) => r.numTensorsGrowth)),
    }];
  })) as Record<Mode, ReturnType<typeof verdictStats> & { coldMs: number; createMs: number; firstPairMs: number; warmMsPerPair: number; warmP90: number; numTensorsGrowth: number }>;
  // how decisions moved from `before`, labelled right/wrong by the pair's truth ("same (right) -> uncertain")
  const label = (d: Verdict['decision'], same: number): string => (d === 'same' || d === 'different' ? `${d} (${(d === 'same') === (same === 1) ? 'right' : 'wrong'})` : d);
  const movesTo = (mode: Mode): Record<string, number> => {
    const moves: Record<string, number> = {};
    results.before[0].decisions.forEach((d, i) => {
      const to = results[mode][0].decisions[i];
      if (d === to) return;
      const key = `${label(d, results.before[0].isSame[i])} -> ${label(to, results.before[0].isSame[i])}`;
      moves[key] = (moves[key] ?? 0) + 1;
    });
    return moves;
  };
  const moves = { after: movesTo('after'), 'after-224': movesTo('after-224') };
  console.log(`siamese verify latency, ${n} View 2 pairs after the first, ${rounds} round(s) per mode; ${os.cpus().length} cores (${os.cpus()[0]?.model}), load average ${load.map((x) => x.toFixed(1)).join(' -> ')}`);
  console.log('mode     cold ms (load+warm-up, first pair)   warm ms/pair (median, p90)   decided right / decided   uncertain   no face');
  for (const m of MODES) {
    const s = summary[m];
    console.log(`${m.padEnd(8)} ${s.coldMs.toFixed(0).padStart(6)} (${s.createMs.toFixed(0)}, ${s.firstPairMs.toFixed(0)})`.padEnd(46) +
      `${s.warmMsPerPair.toFixed(0).padStart(6)} (${s.warmP90.toFixed(0)})`.padEnd(29) + `${s.right} / ${s.decided}`.padEnd(26) + `${s.uncertain}`.padEnd(12) + `${s.noFace}`);
  }
  for (const m of ['after', 'after-224'] as const) {
    const changes = Object.entries(moves[m]).sort((x, y) => y[1] - x[1]);
    console.log(`${m}: warm speed-up over before ${(summary.before.warmMsPerPair / summary[m].warmMsPerPair).toFixed(2)}x; decisions changed: ${changes.reduce((s, [, c]) => s + c, 0)} of ${n + 1}` +
      `${changes.length ? ` (${changes.map(([k, c]) => `${c} x ${k}`).join('; ')})` : ''}`);
  }
  console.log(JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadAvg: load, pairs: n, rounds, summary, moves }));
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
