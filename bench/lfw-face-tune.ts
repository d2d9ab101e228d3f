/**
 * Fine-tuning face-api's ResNet on real faces, measured (the numbers in BENCHMARKS.md):
 *
 *   LFW_DIR=/path/to/lfw npx tsx bench/lfw-face-tune.ts [--folds 1-10] [--split-seeds 1,2,3,4,5] [--config '{"loss":"triplet"}'] [--tight DIR] [--redo-fixed] [--write]
 *   npx tsx bench/lfw-face-tune.ts --write-from artifacts/eval/lfw-face-tune.json
 *
 * 1. LFW View 2 (10 folds): zero-shot on the squared box (`face-api`, needs bench/lfw-face-api.ts's
 *    descriptors; skipped without them), zero-shot on dlib's chip (`face-api:chip`) and the top fine-tuned per
 *    fold (`face-api-tuned`), as `siamese eval --lfw` prints them, plus the paired per-fold gain.
 * 2. The MobileNetV3 notebook's protocol (split preset `seed1`: 300 / 75 / 100 pairs, person-disjoint) over
 *    several split seeds: the top fine-tuned on each split's training people against the same net at step 0,
 *    with a bootstrap interval on the 100 test pairs.
 * 3. With `--tight DIR` (a folder of tight crops of View 2's pair images, bench/lfw-tight-crops.ts): the same
 *    test pairs made of those crops, found by the detection cascade, each fold scored by its own fold's tuned
 *    top (kept beside the fold's result), zero-shot beside it.
 * `--redo-fixed` first describes again the images of the trunk caches (the originals', and the tight crops' with
 * `--tight`) that were left to LFW's fixed chip, with today's detection cascade (`TRUNK_DETECT`, e.g. after its
 * rescue passes were added); the folds' scores on a redone cache are then computed again from their kept weights.
 * `--open K` (with `--fill`): the caches hold the activations K of the trunk's last blocks short of its output
 * (artifacts/faces/lfw-trunk-2-open<K>), for configs that train those blocks too (`{"open": K}`); a run derives the
 * caches it needs from the one furthest short in seconds (trunk-cache.ts deriveTrunkCache).
 * `--fill I/N` only fills the trunk caches (the originals', and the tight crops' with `--tight`) with every LFW image
 * whose index in name order is I modulo N, into shard I, and exits: N processes started with I = 0 … N−1 fill them
 * N times as fast on N cores; then run the bench as usual.
 * Everything resumes: the trunk caches (artifacts/faces/lfw-trunk-2, lfw-tight-trunk-2) and each View 2 fold are kept. The report
 * goes to artifacts/eval/lfw-face-tune.json; `--write` (or `--write-from REPORT`) also commits its tables to
 * lib/faces/lfw-results.json, which notebook 06 shows where LFW is absent.
 */
import * as fs from 'node:fs';
import { initBackend } from '../lib/backend';
import { Dataset, refKey } from '../lib/data/dataset';
import { loadRecognitionNet } from '../lib/faces/recognition-net';
import { fillTrunkCache, lfwTrunkDir, TrunkCache } from '../lib/faces/trunk-cache';
import { evaluateModel, faceApiDescriptorFile, tightPairsSummary } from '../lib/train';
import { resolveFaceTune, tuneSplits } from '../lib/train/face-tune';
import { parseFolds } from '../lib/cli/commands/eval';
import { textTable, writeLfwResults, type ResultRow } from '../lib/faces';
import * as os from 'node:os';
import { artifactsDir } from '../lib/util/paths';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };

const str = (row: Record<string, unknown>): ResultRow => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)]));

/** The trunk caches a run reads, as [photo folder, cache folder]: the originals', and the tight crops' with `--tight`. */
function trunkCaches(lfw: string, open: number): [string, string][] {
  const tight = opt('tight');
  return [[lfw, artifactsDir('faces', lfwTrunkDir(undefined, open))], ...(tight ? [[tight, artifactsDir('faces', lfwTrunkDir('tight', open))] as [string, string]] : [])];
}

/** How many faces each detection pass found, the passes that found none left out. */
function foundText(found: Record<string, number>): string {
  return Object.entries(found).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || 'nothing (no image described)';
}

/** The committed tables of a report (see lib/faces/lfw-results.ts). */
function writeRecord(report: Record<string, any>): void {
  const pct = (x: number) => (100 * x).toFixed(1);
  const tuned = report['face-api-tuned'];
  const chip = report['face-api:chip'];
  const s = report.seed1;
  if (!tuned || !chip || !s) throw new Error('the report lacks face-api:chip, face-api-tuned or the split runs: run the whole bench first');
  const file = writeLfwResults({
    measuredAt: String(report.date).slice(0, 10),
    command: `LFW_DIR=<lfw> npx tsx bench/lfw-face-tune.ts${Object.keys(report.tune ?? {}).length ? ` --config '${JSON.stringify(report.tune)}'` : ''}${report.tight ? ' --tight <tight crops, bench/lfw-tight-crops.ts>' : ''} --write`,
    machine: report.machine ?? 'unknown',
    view2: [...(report['face-api'] ? [str(report['face-api'].row)] : []), str(chip.row), str(tuned.row)],
    detection: chip.details.detection,
    gain: `tuned minus zero-shot chip, both with the threshold fitted on the fold's validation fold: ${(100 * tuned.details.gain.mean).toFixed(2)} ± ${(100 * tuned.details.gain.stdError).toFixed(2)} points (per fold: ${tuned.details.gain.perFold.map((g: number) => (100 * g).toFixed(2)).join(', ')})${tuned.config?.flip || tuned.details.config?.flip ? `; over zero-shot with the same mirror averaging: ${(100 * tuned.details.gainOverZeroShotFlip.mean).toFixed(2)} ± ${(100 * tuned.details.gainOverZeroShotFlip.stdError).toFixed(2)} points` : ''}`,
    splits: s.runs.map((r: any) => str({
      'split seed': r.splitSeed, 'train people': r.trainPeople, 'train images': r.trainImages,
      'step 0 % [95 % CI]': `${pct(r.zeroShot.accuracy)} [${pct(r.zeroShotCi.lo)}, ${pct(r.zeroShotCi.hi)}]`,
      'tuned % [95 % CI]': `${pct(r.tuned.accuracy)} [${pct(r.tunedCi.lo)}, ${pct(r.tunedCi.hi)}]`,
      'AUC step 0 / tuned': `${r.zeroShot.auc.toFixed(4)} / ${r.tuned.auc.toFixed(4)}`, 'best step': r.bestStep,
    })),
    splitsSummary: `mean over ${s.runs.length} split seeds: step 0 ${pct(s.zeroShot.mean)} ± ${pct(s.zeroShot.stdError)} %, tuned ${pct(s.tuned.mean)} ± ${pct(s.tuned.stdError)} % (the MobileNetV3 notebook's own result on this protocol: 69 %)`,
    reading: report.reading ?? '',
    ...(tuned.details.also?.tight ? { tight: tightPairsSummary(tuned.details.also.tight) } : {}),
  });
  console.log(`wrote ${file}`);
}

async function main(): Promise<void> {
  if (opt('write-from')) {
    writeRecord(JSON.parse(fs.readFileSync(opt('write-from')!, 'utf8')));
    return;
  }
  const lfw = process.env.LFW_DIR;
  if (!lfw) throw new Error('set LFW_DIR to an LFW folder (<root>/<Name>/<Name>_0001.jpg)');
  await initBackend({ quiet: true });
  const folds = opt('folds') ? parseFolds(opt('folds')!) : undefined;
  const tune = opt('config') ? JSON.parse(opt('config')!) : {};
  const seeds = (opt('split-seeds') ?? '1,2,3,4,5').split(',').map(Number);
  // --open K: the caches --fill and --redo-fixed work on hold the activations K blocks short of the trunk's output
  const cachedOpen = Number(opt('open') ?? 0);
  const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');
  const report: Record<string, unknown> = { date: new Date().toISOString(), lfw, tune, ...(opt('tight') ? { tight: opt('tight') } : {}), loadBefore: load() };
  if (args.includes('--redo-fixed')) {
    const net = loadRecognitionNet();
    for (const [root, dir] of trunkCaches(lfw, cachedOpen)) {
      const fixed = [...TrunkCache.open(dir).records.values()].filter((r) => r.found === 'fixed');
      for (const shard of [...new Set(fixed.map((r) => r.shard))]) {
        const res = await fillTrunkCache(net, root, fixed.filter((r) => r.shard === shard).map((r) => r.ref), dir, shard, undefined, (r) => r.found === 'fixed');
        console.log(`${dir} shard ${shard}: ${res.added} images left to the fixed chip described again; found by ${foundText(res.found)}`);
      }
      if (!fixed.length) console.log(`${dir}: no image was left to the fixed chip`);
    }
    net.dispose();
  }
  if (opt('fill')) {
    const m = /^(\d+)\/(\d+)$/.exec(opt('fill')!);
    if (!m || !(Number(m[1]) < Number(m[2]))) throw new Error(`--fill takes I/N with 0 <= I < N (e.g. 0/2 and 1/2 in two processes), got ${JSON.stringify(opt('fill'))}`);
    const [shard, of] = [Number(m[1]), Number(m[2])];
    const net = loadRecognitionNet();
    const all = (await Dataset.open(lfw)).refs().map(refKey).filter((_, i) => i % of === shard);
    for (const [root, dir] of trunkCaches(lfw, cachedOpen)) {
      const have = TrunkCache.declare(dir, cachedOpen).records;
      const todo = all.filter((r) => !have.has(r));
      const started = Date.now();
      console.log(`${dir} shard ${shard}: describing ${todo.length} of its ${all.length} images`);
      const res = await fillTrunkCache(net, root, todo, dir, shard, (d, n) => {
        if (d % 500 === 0) console.log(`  ${d}/${n} (${((Date.now() - started) / d).toFixed(0)} ms an image)`);
      });
      for (const e of res.errors) console.log(`  skipped ${e}`);
      console.log(`${dir} shard ${shard}: ${res.added} added; found by ${foundText(res.found)}`);
    }
    net.dispose();
    return;
  }
  const models = [...(fs.existsSync(faceApiDescriptorFile()) ? ['face-api'] : []), 'face-api:chip', 'face-api-tuned'];
  const rows = [];
  for (const model of models) {
    try {
      const tight = model === 'face-api-tuned' && opt('tight') ? { alsoScoreFrom: { tight: opt('tight')! } } : {};
      const r = await evaluateModel({ model, lfw, folds, tune, log: (l) => console.log(l), ...tight });
      rows.push(r.row);
      report[model] = r;
      console.log(`${model}: ${r.description}`);
    } catch (err) {
      console.log(`${model}: not scored (${(err as Error).message.split('\n')[0]})`);
    }
  }
  console.log(`\nLFW View 2${folds ? ` folds ${opt('folds')}` : ''}:`);
  console.log(textTable(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])))));
  const tunedDetails = (report['face-api-tuned'] as { details?: Record<string, any> } | undefined)?.details;
  if (tunedDetails?.also?.tight) console.log(tightPairsSummary(tunedDetails.also.tight));

  if (seeds.length && !args.includes('--no-splits')) {
    const dataset = await Dataset.open(lfw);
    const net = loadRecognitionNet();
    // a config that trains the trunk's last blocks (open) reads the caches short of them
    const open = resolveFaceTune(tune).open ?? 0;
    const cacheDir = artifactsDir('faces', lfwTrunkDir(undefined, open));
    const all = dataset.refs().map(refKey);
    let cache = TrunkCache.declare(cacheDir, open);
    const todo = all.filter((r) => !cache.records.has(r));
    if (todo.length) {
      console.log(`describing ${todo.length} more images into ${cacheDir} (the split's people come from all of LFW)`);
      await fillTrunkCache(net, lfw, todo, cacheDir, 0, (d, n) => { if (d % 500 === 0) console.log(`  ${d}/${n}`); });
      cache = TrunkCache.open(cacheDir);
    }
    // the copies a config trains on (augment): the tight crops' trunk cache, as View 2's folds use it
    const augment = Object.fromEntries((resolveFaceTune(tune).augment ?? []).map((copy) => {
      if (copy !== 'tight' || !opt('tight')) throw new Error(`--config's augment names the copy "${copy}": the bench has the "tight" copy only, with --tight DIR`);
      return [copy, TrunkCache.open(artifactsDir('faces', lfwTrunkDir('tight', open)))];
    }));
    const s = tuneSplits(net, cache, dataset, { preset: 'seed1' }, seeds, tune, { log: (l) => console.log(l), augment });
    const pct = (x: number) => (100 * x).toFixed(1);
    console.log('\nThe MobileNetV3 notebook\'s protocol (300 / 75 / 100 pairs, person-disjoint; its own result: 69 %):');
    console.log(textTable(s.runs.map((r) => ({
      'split seed': String(r.splitSeed), 'train people': String(r.trainPeople), 'train images': String(r.trainImages),
      'step 0 % [95 % CI]': `${pct(r.zeroShot.accuracy)} [${pct(r.zeroShotCi.lo)}, ${pct(r.zeroShotCi.hi)}]`,
      'tuned % [95 % CI]': `${pct(r.tuned.accuracy)} [${pct(r.tunedCi.lo)}, ${pct(r.tunedCi.hi)}]`,
      'AUC step 0 / tuned': `${r.zeroShot.auc.toFixed(4)} / ${r.tuned.auc.toFixed(4)}`, 'best step': String(r.bestStep), seconds: r.seconds.toFixed(0),
    }))));
    console.log(`mean over ${seeds.length} split seeds: step 0 ${pct(s.zeroShot.mean)} ± ${pct(s.zeroShot.stdError)} %, tuned ${pct(s.tuned.mean)} ± ${pct(s.tuned.stdError)} %`);
    report.seed1 = { runs: s.runs.map((r) => ({ ...r, test: undefined })), tuned: s.tuned, zeroShot: s.zeroShot };
    net.dispose();
  }
  report.machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, load average ${report.loadBefore} before, ${load()} after`;
  const out = artifactsDir('eval', 'lfw-face-tune.json');
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`written to ${out}`);
  if (args.includes('--write')) writeRecord(report as Record<string, any>);
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
