/**
 * Trains the tuned model `siamese verify` ships (`face-api-tuned`, lib/train/face-product.ts) and measures it against
 * zero-shot with the mirror (what `verify` used before), both thresholded on the same calibration pairs:
 *
 *   LFW_DIR=/path/to/lfw npx tsx bench/lfw-face-product.ts --tight DIR [--config '{"augment":["tight"],"withZeroShot":true}'] [--seed 1] [--write]
 *
 * Reads the trunk caches bench/lfw-face-tune.ts fills (artifacts/faces/lfw-trunk-2, and lfw-tight-trunk-2 for the
 * tight crops of `--tight DIR`, made by bench/lfw-tight-crops.ts --all). Prints, on View 1's 1,000 test pairs of the
 * originals and of their tight crops: each model's threshold, accuracy and AUC, the pairs only one of them gets right,
 * and the uncertain band. The weights go to artifacts/faces/product/; `--write` copies them to lib/faces/face-api-tuned/
 * and writes the model's entry in lib/faces/verify-threshold.json. The report: artifacts/eval/lfw-face-product.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../lib/backend';
import { Dataset } from '../lib/data/dataset';
import { accepts } from '../lib/eval/scored';
import { accuracyAt } from '../lib/eval';
import { textTable, writeVerifyModel } from '../lib/faces';
import { loadRecognitionNet } from '../lib/faces/recognition-net';
import { lfwTrunkDir, TRUNK_DETECT, TrunkCache } from '../lib/faces/trunk-cache';
import { TUNED_MODEL } from '../lib/faces/verify';
import { FACE_TUNE_TIGHT } from '../lib/train/face-tune';
import { trainProduct, type ProductScore } from '../lib/train/face-product';
import { configHash } from '../lib/util/hash';
import { artifactsDir, projectRoot } from '../lib/util/paths';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };

async function main(): Promise<void> {
  const root = process.env.LFW_DIR;
  if (!root) throw new Error('set LFW_DIR to an LFW folder (<root>/<Name>/<Name>_0001.jpg)');
  const tightDir = opt('tight');
  const config = opt('config') ? JSON.parse(opt('config')!) : FACE_TUNE_TIGHT;
  if (config.augment?.includes('tight') && !tightDir) throw new Error('the config trains on tight crops: give --tight DIR (bench/lfw-tight-crops.ts --all)');
  const seed = Number(opt('seed') ?? 1);
  await initBackend({ quiet: true });
  const dataset = await Dataset.open(root);
  const net = loadRecognitionNet();
  const cache = TrunkCache.open(artifactsDir('faces', lfwTrunkDir()));
  const others = tightDir ? { tight: TrunkCache.open(artifactsDir('faces', lfwTrunkDir('tight'))) } : {};
  // every image is needed (training people's and held-out ones): say how to fill an empty or partial cache before training
  for (const [what, c, photos] of [['originals', cache, root], ...(tightDir ? [['tight crops', others.tight!, tightDir]] : [])] as [string, TrunkCache, string][]) {
    const missing = dataset.people.reduce((n, p) => n + dataset.images(p).filter((f) => !c.records.has(`${p}/${f}`)).length, 0);
    if (missing > 0) {
      throw new Error(`${c.dir}: the trunk cache of the ${what} lacks ${missing} of LFW's images (${photos}); fill it first: LFW_DIR=${root} npx tsx bench/lfw-face-tune.ts${tightDir ? ` --tight ${tightDir}` : ''} --fill 0/1`);
    }
  }
  const dir = artifactsDir('faces', 'product', configHash({ config, seed }));
  const run = await trainProduct(net, cache, dataset, dir, { others, config, task: { seed }, log: (l) => console.log(l) });
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const rows: Record<string, string>[] = [];
  // verify has one threshold, the originals': what it makes of each other set's pairs
  const atOriginals = (m: ProductScore, o: ProductScore) => accuracyAt(m.testDistances, run.testIsSame, o.threshold, { higherIsCloser: false });
  for (const [name, s] of Object.entries(run.scores)) {
    const right = (m: ProductScore) => m.testDistances.map((d, i) => accepts(d, m.threshold, { higherIsCloser: false }) === (run.testIsSame[i] === 1));
    const z = right(s.zeroShot);
    const t = right(s.tuned);
    const onlyTuned = t.filter((r, i) => r && !z[i]).length;
    const onlyZero = z.filter((r, i) => r && !t[i]).length;
    for (const [model, m] of [['zero-shot + mirror', s.zeroShot], [TUNED_MODEL, s.tuned]] as const) {
      rows.push({
        pairs: name, model, threshold: m.threshold.toFixed(4), 'calibration acc': pct(m.calibration.accuracy), 'calibration AUC': m.calibration.auc.toFixed(4),
        'test acc': pct(m.test.accuracy), 'at the originals\' threshold': pct(atOriginals(m, model === TUNED_MODEL ? run.scores.originals.tuned : run.scores.originals.zeroShot)), 'test AUC': m.test.auc.toFixed(4), 'band ±': m.band.halfWidth.toFixed(4), uncertain: pct(m.band.uncertainFraction),
        'right where the other is wrong': String(model === TUNED_MODEL ? onlyTuned : onlyZero),
      });
    }
  }
  console.log(`\ntrained on ${run.trainPeople} people (${run.trainImages} images); ${run.calibrationPairs} calibration pairs of ${run.calibrationPeople} people; ${run.testPairs} test pairs (View 1); best step ${run.bestStep} of ${run.steps}; ${run.seconds.toFixed(0)} s`);
  console.log(textTable(rows));
  // verify's band, fitted on every cache's calibration pairs together, applied to each kind of test pair
  const thr = run.scores.originals.tuned.threshold;
  const onTest = Object.entries(run.scores).map(([name, s]) => {
    const d = s.tuned.testDistances;
    const decided = d.map((v, i) => [v, i] as const).filter(([v]) => Math.abs(v - thr) >= run.band.halfWidth);
    const wrong = decided.filter(([v, i]) => accepts(v, thr, { higherIsCloser: false }) !== (run.testIsSame[i] === 1)).length;
    return `${name} ${pct(1 - decided.length / d.length)} uncertain, ${pct(decided.length ? wrong / decided.length : 0)} wrong among the decided`;
  });
  console.log(`verify's uncertain band: ±${run.band.halfWidth.toFixed(4)} around ${thr.toFixed(4)} (fitted on the calibration pairs of ${Object.keys(run.scores).join(' and ')}: ${pct(run.band.uncertainFraction)} of them uncertain, ${pct(run.band.errorOutside)} wrong outside); on the test pairs: ${onTest.join('; ')}`);
  const strip = (m: ProductScore) => ({ ...m, testDistances: undefined, calibrationDistances: undefined });
  const report = { ...run, calibrationIsSame: undefined, tuning: { ...run.tuning, test: undefined }, scores: Object.fromEntries(Object.entries(run.scores).map(([k, v]) => [k, { zeroShot: strip(v.zeroShot), tuned: strip(v.tuned) }])), seed, date: new Date().toISOString() };
  fs.mkdirSync(artifactsDir('eval'), { recursive: true });
  fs.writeFileSync(artifactsDir('eval', 'lfw-face-product.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (args.includes('--write')) {
    const shipDir = path.join(projectRoot(), 'lib', 'faces', TUNED_MODEL);
    fs.mkdirSync(shipDir, { recursive: true });
    for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(shipDir, f));
    const o = run.scores.originals;
    const sc = (m: ProductScore) => ({ threshold: m.threshold, calibrationAccuracy: m.calibration.accuracy, calibrationAuc: m.calibration.auc, testAccuracy: m.test.accuracy, testAuc: m.test.auc });
    const file = writeVerifyModel(TUNED_MODEL, {
      cropKind: 'chip', mirror: true, threshold: o.tuned.threshold, uncertainBand: run.band.halfWidth, higherIsCloser: false,
      weights: path.relative(projectRoot(), path.join(shipDir, path.basename(run.weights))),
      fittedOn: `${run.calibrationPairs} pairs sampled among ${run.calibrationPeople} people of LFW View 1 pairsDevTrain kept out of training, original LFW images`,
      trainedOn: `every image of ${run.trainPeople} other LFW people (${run.trainImages} images), none of View 1's test pairs' people`,
      config: run.config,
      detect: { detector: TRUNK_DETECT.detector, tinyInputSize: 320, minScore: TRUNK_DETECT.minScore },
      crop: "dlib's face chip: similarity fit of 33 of the 68 landmarks to dlib's mean face, 150 px, padding 0.25; each top's descriptor is the mean of the chip's and its mirror image's",
      view1: Object.fromEntries(Object.entries(run.scores).map(([k, v]) => [k, {
        tuned: { ...sc(v.tuned), testAccuracyAtThreshold: atOriginals(v.tuned, o.tuned) },
        zeroShotMirror: { ...sc(v.zeroShot), testAccuracyAtThreshold: atOriginals(v.zeroShot, o.zeroShot) },
      }])),
      band: { ...run.band, fittedOn: `the calibration pairs of ${Object.keys(run.scores).join(' and ')} together, at the originals' threshold` },
      bandOriginalsOnly: o.tuned.band,
      command: `LFW_DIR=<lfw> npx tsx bench/lfw-face-product.ts --tight <tight crops>${opt('config') ? ` --config '${opt('config')}'` : ''}${seed !== 1 ? ` --seed ${seed}` : ''} --write`,
      fittedAt: new Date().toISOString().slice(0, 10),
    });
    console.log(`wrote ${shipDir} and ${TUNED_MODEL} in ${file}`);
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
