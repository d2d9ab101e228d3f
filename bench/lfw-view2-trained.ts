/**
 * LFW View 2 rows for networks trained per fold (lib/train/per-fold.ts): one run per test fold, trained on
 * eight other folds' pairs, validated on the ninth, scored on the tenth. Runs are cached in artifacts/runs,
 * so an interrupted benchmark resumes at the fold it was on.
 *
 *   LFW_DIR=/path/to/lfw nice -n 10 npx tsx bench/lfw-view2-trained.ts --preset view2-mnv3-64 [--folds 0,1] [--no-train]
 *
 * Writes artifacts/eval/per-fold-<preset>.json (per-fold accuracies, AUCs, fixed rule, raw pixels, budget).
 */
import * as fs from 'node:fs';
import { initBackend } from '../lib/backend';
import { experimentPreset, resolveExperiment, trainPerFold } from '../lib/train';
import { artifactsDir } from '../lib/util';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };

async function main(): Promise<void> {
  const dir = process.env.LFW_DIR;
  if (!dir) throw new Error('set LFW_DIR to an LFW folder (<root>/<Name>/<Name>_0001.jpg)');
  const preset = opt('preset') ?? 'view2-mnv3-64';
  const input = experimentPreset(preset);
  const backend = await initBackend();
  const folds = opt('folds')?.split(',').map(Number);
  const started = Date.now();
  const r = await trainPerFold(input, { dir, folds, train: !args.includes('--no-train'), progress: 'none' });
  const cfg = resolveExperiment(input);
  const pct = (m: number, se: number): string => `${(100 * m).toFixed(2)} ± ${(100 * se).toFixed(2)} %`;
  console.log(`\n${preset}: ${r.folds.length} fold(s) scored (${r.folds.map((k) => k + 1).join(', ')})${r.missing.length ? `; not trained yet: ${r.missing.map((k) => k + 1).join(', ')}` : ''}`);
  console.log(`  calibrated (validation-fold threshold): ${pct(r.calibrated.mean, r.calibrated.stdError)}   AUC ${r.auc.mean.toFixed(4)} ± ${r.auc.stdError.toFixed(4)}`);
  console.log(`  fixed rule (${r.fixed.rule}): ${pct(r.fixed.mean, r.fixed.stdError)}`);
  console.log(`  raw pixels, same folds: ${pct(r.rawPixels.mean, r.rawPixels.stdError)}`);
  console.log(`  training ${(r.trainSeconds / 60).toFixed(1)} min over the folds (this call ${((Date.now() - started) / 60000).toFixed(1)} min), backend ${backend.name}`);
  const file = artifactsDir('eval', `per-fold-${preset}.json`);
  fs.mkdirSync(artifactsDir('eval'), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ preset, config: cfg, ...r, date: new Date().toISOString() }, null, 2));
  console.log(`wrote ${file}`);
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
