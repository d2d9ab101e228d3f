/**
 * `siamese verify` latency (issues 9 and 16):
 * `LFW_DIR=/path/to/lfw npm run bench:verify [-- --pairs N --crops M --nonfaces K --rounds R --before DIR --modes after,after-224]`.
 *
 * Verifies the same pairs with `Verifier.verify` as the CLI runs it, each mode in its own fresh process (so
 * "cold" includes loading the networks):
 * - `after`: this checkout's `Verifier`;
 * - `before` (with `--before DIR`): the `Verifier` of another checkout of the project, e.g. a git worktree of
 *   the commit before a change (`git worktree add --detach ../base <commit>`, with its own `node_modules`
 *   link): its lib is loaded from DIR, so the comparison is with the code as it was, not a recomposition;
 * - `after-1thread` (only in `--modes`): this checkout preparing photos on one thread (`threads: 1`, no
 *   helper thread), to measure what the second thread buys in the same run;
 * - `after-224` (only in `--modes`): this checkout with the tiny detector at 224 px (faster, but its crops
 *   differ from those the threshold was fitted on; measured for issue 9, not the default).
 * The pairs: the first N of View 2's `pairs.txt` (one from each fold in turn: LFW originals, where the tiny
 * detector finds the face), the first M of them again as tight crops of both photos (bench/verify-cases.ts:
 * found only on the padded photo, or by SSD; labels kept), and K pairs with a generated non-face (every other
 * one against an LFW original, the rest against a second non-face: no face found at all, or "not a face").
 * Each pair is put in its latency case by what the cascade did (both by tiny on the photo; a padded pass or SSD
 * needed; a photo without a face, split into one photo or both). Cold = creating the verifier (reading and
 * warming the networks) + the first pair (an LFW pair); warm = the median over the later pairs of each case,
 * each of two photos the process has not seen (no cache helps). Both modes' verdicts are compared pair by
 * pair: decision, distance, which pass found each face and each photo's status, so speed is not bought with a
 * different face, chip or descriptor. The modes alternate `--rounds` times. Prints tables and one JSON line;
 * no timing is asserted.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadOfficialPairs } from '../lib/data';
import type { FoundBy, Verdict } from '../lib/faces';
import { writeCasePhotos } from './verify-cases';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
type Mode = 'before' | 'after' | 'after-1thread' | 'after-224';

interface BenchPair { a: string; b: string; isSame: number; set: 'lfw' | 'crops' | 'nonface' }

/** One verified pair, as a child reports it. */
interface PairResult {
  decision: Verdict['decision'];
  value?: number;
  ms: number;
  found: [FoundBy | undefined, FoundBy | undefined];
  status: [string, string];
}

interface ChildResult {
  mode: Mode;
  createMs: number;
  firstPairMs: number;
  pairs: PairResult[];
  numTensorsGrowth: number;
  loadavg: string;
}

type LatencyCase = 'tiny finds both' | 'padded/SSD needed' | 'no face in one photo' | 'no face in either photo';
const CASES: LatencyCase[] = ['tiny finds both', 'padded/SSD needed', 'no face in one photo', 'no face in either photo'];

/** A pair's latency case from what the cascade did on each photo. */
function latencyCase(r: PairResult): LatencyCase {
  const faces = r.status.filter((s) => s === 'face').length;
  if (faces === 0) return 'no face in either photo';
  if (faces === 1) return 'no face in one photo';
  return r.found.every((f) => f === 'tiny') ? 'tiny finds both' : 'padded/SSD needed';
}

/** View 2's pairs, one from each fold in turn. */
async function view2Pairs(n: number): Promise<{ a: string; b: string; isSame: number }[]> {
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

/** The pairs of every case, their photos written under `dir`. */
async function benchPairs(n: number, m: number, k: number, dir: string): Promise<BenchPair[]> {
  const lfw = await view2Pairs(Math.max(n, m) + k);
  const pairs: BenchPair[] = lfw.slice(0, n).map((p) => ({ ...p, set: 'lfw' }));
  const cropsA = await writeCasePhotos('padded', m, path.join(dir, 'a'), lfw.slice(0, m).map((p) => p.a));
  const cropsB = await writeCasePhotos('padded', m, path.join(dir, 'b'), lfw.slice(0, m).map((p) => p.b), ':b');
  cropsA.forEach((a, i) => pairs.push({ a, b: cropsB[i], isSame: lfw[i].isSame, set: 'crops' }));
  const non = await writeCasePhotos('none', k + Math.ceil(k / 2), dir, []);
  for (let i = 0; i < k; i++) {
    pairs.push({ a: non[i], b: i % 2 === 0 ? lfw[Math.max(n, m) + i].a : non[k + Math.floor(i / 2)], isSame: 0, set: 'nonface' });
  }
  return pairs;
}

async function child(mode: Mode, pairsFile: string, tree: string): Promise<ChildResult> {
  const backend = await import(path.join(tree, 'lib', 'backend')) as typeof import('../lib/backend');
  const faces = await import(path.join(tree, 'lib', 'faces')) as typeof import('../lib/faces');
  const tf = await import('@tensorflow/tfjs');
  await backend.initBackend({ quiet: true });
  const pairs = JSON.parse(fs.readFileSync(pairsFile, 'utf8')) as BenchPair[];
  let t = performance.now();
  const v = await faces.Verifier.create(mode === 'after-224' ? { detect: { tinyInputSize: 224 } } : mode === 'after-1thread' ? { threads: 1 } : {});
  const createMs = performance.now() - t;
  const one = async (p: BenchPair): Promise<PairResult> => {
    const s = performance.now();
    const r = await v.verify(p.a, p.b);
    return { decision: r.decision, ...(r.value === undefined ? {} : { value: r.value }), ms: performance.now() - s, found: [r.a.found, r.b.found], status: [r.a.status, r.b.status] };
  };
  const out: PairResult[] = [];
  t = performance.now();
  out.push(await one(pairs[0]));
  const firstPairMs = performance.now() - t;
  // tensors left behind by the later pairs; a pair that loads a network (SSD, loaded when first needed) keeps its weights
  let growth = 0;
  const nets = faces.faceApi().nets as unknown as Record<string, { isLoaded: boolean }>;
  const loaded = (): string => Object.keys(nets).filter((kk) => nets[kk].isLoaded).join();
  for (const p of pairs.slice(1)) {
    const [n0, l0] = [tf.memory().numTensors, loaded()];
    out.push(await one(p));
    if (loaded() === l0) growth += tf.memory().numTensors - n0;
  }
  return { mode, createMs, firstPairMs, pairs: out, numTensorsGrowth: growth, loadavg: fs.readFileSync('/proc/loadavg', 'utf8').trim() };
}

const median = (xs: readonly number[]): number => { if (!xs.length) return NaN; const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const pct = (xs: readonly number[], q: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN; };

function verdictStats(pairs: readonly BenchPair[], rs: readonly PairResult[]): { decided: number; right: number; uncertain: number; noFace: number; notAFace: number } {
  let decided = 0, right = 0, uncertain = 0, noFace = 0, notAFace = 0;
  rs.forEach((r, i) => {
    if (r.decision === 'uncertain') uncertain++;
    else if (r.decision === 'no-face') noFace++;
    else if (r.decision === 'not-a-face') notAFace++;
    else { decided++; if ((r.decision === 'same') === (pairs[i].isSame === 1)) right++; }
  });
  return { decided, right, uncertain, noFace, notAFace };
}

async function main(): Promise<void> {
  if (!process.env.LFW_DIR) throw new Error('set LFW_DIR to an LFW folder: the benchmark verifies real photos (detectors find no faces in the synthetic set)');
  if (args.includes('--child')) {
    const mode = opt('child', 'after') as Mode;
    const tree = mode === 'before' ? path.resolve(opt('before', '')) : path.resolve(__dirname, '..');
    console.log(JSON.stringify(await child(mode, opt('pairs-file', ''), tree)));
    return;
  }
  const n = Number(opt('pairs', '100'));
  const m = Number(opt('crops', '20'));
  const k = Number(opt('nonfaces', '12'));
  const rounds = Number(opt('rounds', '2'));
  const before = args.includes('--before') ? path.resolve(opt('before', '')) : undefined;
  if (before && !fs.existsSync(path.join(before, 'lib', 'faces', 'verify.ts'))) throw new Error(`--before ${before}: not a checkout of this project (no lib/faces/verify.ts)`);
  const modes = (args.includes('--modes') ? opt('modes', 'after').split(',') : [...(before ? ['before'] : []), 'after']) as Mode[];
  if (modes.includes('before') && !before) throw new Error('mode before needs --before DIR (a checkout of the code before the change)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-verify-'));
  try {
    const pairs = await benchPairs(n, m, k, dir);
    const pairsFile = path.join(dir, 'pairs.json');
    fs.writeFileSync(pairsFile, JSON.stringify(pairs));
    const results = Object.fromEntries(modes.map((mo) => [mo, [] as ChildResult[]])) as Record<Mode, ChildResult[]>;
    const load: string[] = [fs.readFileSync('/proc/loadavg', 'utf8').trim()];
    for (let r = 0; r < rounds; r++) {
      for (const mode of modes) {
        const p = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', mode, '--pairs-file', pairsFile, ...(before ? ['--before', before] : [])], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 26 });
        const line = p.stdout.trim().split('\n').pop() ?? '';
        if (p.status !== 0 || !line.startsWith('{')) throw new Error(`${mode} child failed (exit ${p.status}):\n${p.stderr.slice(-2000)}`);
        const res = JSON.parse(line) as ChildResult;
        results[mode].push(res);
        load.push(res.loadavg);
      }
    }
    // each pair's case by what the last mode's cascade did (the modes are compared below)
    const ref = results[modes[modes.length - 1]][0].pairs;
    const caseOf = ref.map(latencyCase);
    console.log(`siamese verify latency: ${pairs.length} pairs (${n} View 2, ${m} tight-crop, ${k} non-face), ${rounds} round(s) per mode; ${os.cpus().length} cores (${os.cpus()[0]?.model})`);
    console.log(`load average (/proc/loadavg) at the start and after each child: ${load.map((l) => l.split(' ').slice(0, 3).join(' ')).join(' -> ')}`);
    const summary: Record<string, unknown> = {};
    console.log('mode       cold ms (create, first pair)   warm median ms (p90, pairs) per case: ' + CASES.join(' | '));
    for (const mode of modes) {
      const rs = results[mode];
      const cold = median(rs.map((r) => r.createMs + r.firstPairMs));
      const perCase = Object.fromEntries(CASES.map((c) => {
        // warm: every pair but the first (the cold one), over all rounds
        const ms = rs.flatMap((r) => r.pairs.map((p, i) => ({ p, i }))).filter(({ i }) => i > 0 && caseOf[i] === c).map(({ p }) => p.ms);
        return [c, { pairs: ms.length / rs.length, medianMs: median(ms), p90Ms: pct(ms, 0.9) }];
      }));
      const stats = verdictStats(pairs, rs[0].pairs);
      summary[mode] = { coldMs: cold, createMs: median(rs.map((r) => r.createMs)), firstPairMs: median(rs.map((r) => r.firstPairMs)), warm: perCase, ...stats, numTensorsGrowth: Math.max(...rs.map((r) => r.numTensorsGrowth)) };
      console.log(`${mode.padEnd(10)} ${cold.toFixed(0).padStart(6)} (${median(rs.map((r) => r.createMs)).toFixed(0)}, ${median(rs.map((r) => r.firstPairMs)).toFixed(0)})`.padEnd(42) +
        CASES.map((c) => `${perCase[c].medianMs.toFixed(0)} (${perCase[c].p90Ms.toFixed(0)}, ${perCase[c].pairs})`).join(' | '));
      console.log(`${''.padEnd(10)} verdicts: right ${stats.right} / decided ${stats.decided}, uncertain ${stats.uncertain}, no face ${stats.noFace}, not a face ${stats.notAFace}; tensors left by later pairs (network loads aside) ${rs.map((r) => (r.numTensorsGrowth >= 0 ? '+' : '') + r.numTensorsGrowth).join(', ')}`);
    }
    const compared: Record<string, unknown> = {};
    if (modes.length >= 2) {
      // the first mode against the last (before against after, or one thread against two)
      const [first, last] = [modes[0], modes[modes.length - 1]];
      const b = results[first][0].pairs;
      const a = results[last][0].pairs;
      let decisions = 0, found = 0, status = 0, maxDiff = 0;
      const moves: Record<string, number> = {};
      b.forEach((x, i) => {
        const y = a[i];
        if (x.decision !== y.decision) { decisions++; moves[`${x.decision} -> ${y.decision}`] = (moves[`${x.decision} -> ${y.decision}`] ?? 0) + 1; }
        if (x.found.join() !== y.found.join()) found++;
        if (x.status.join() !== y.status.join()) status++;
        if (x.value !== undefined || y.value !== undefined) maxDiff = Math.max(maxDiff, x.value === undefined || y.value === undefined ? Infinity : Math.abs(x.value - y.value));
      });
      Object.assign(compared, { modes: [first, last], decisionsChanged: decisions, foundByChanged: found, statusChanged: status, maxDistanceDiff: maxDiff, moves });
      console.log(`${last} vs ${first}, ${b.length} pairs: decisions changed ${decisions}${decisions ? ` (${Object.entries(moves).map(([kk, c]) => `${c} x ${kk}`).join('; ')})` : ''}, ` +
        `found-by changed ${found}, photo status changed ${status}, largest distance difference ${maxDiff}`);
    }
    const cases = Object.fromEntries(CASES.map((c) => [c, caseOf.filter((x) => x === c).length]));
    console.log(`pairs per case: ${JSON.stringify(cases)}`);
    console.log(JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadavg: load, pairs: { view2: n, crops: m, nonfaces: k }, rounds, cases, summary, compared }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
