/** `siamese eval`: score models on the held-out split of the default data, or on LFW View 2 (`--lfw`, LFW_DIR). */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { initBackend } from '../../backend';
import { textTable } from '../../faces';
import { EVAL_BASELINES, evaluateModel, FACE_TUNE_TIGHT, tightPairsSummary, type EvaluationReport, type OtherCacheSummary } from '../../train';

interface EvalOptions { model: string; lfw?: string; tight?: string; folds?: string; train: boolean; splitOf?: string; bootstrap?: string; out?: string; json?: boolean }

/** "1,3-5" (1-based, as printed) to 0-based fold numbers; errors name the bad part. */
export function parseFolds(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m || Number(m[1]) < 1 || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) throw new RangeError(`--folds: ${JSON.stringify(part)} is not a fold number or range (1-based, e.g. 1,3-5)`);
    for (let k = Number(m[1]); k <= Number(m[2] ?? m[1]); k++) out.add(k - 1);
  }
  return [...out].sort((a, b) => a - b);
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('evaluate models: on the held-out people of the default data (threshold fitted on validation only), or on LFW View 2 with --lfw (10 folds, mean ± standard error)')
    .option('--model <names>', `comma-separated: ${EVAL_BASELINES.join(', ')}, an experiment preset (trained if not cached; per fold on View 2) or a run folder name`, 'raw-pixels')
    .option('--lfw <dir>', 'evaluate on LFW View 2 from this LFW folder (default: $LFW_DIR when set)')
    .option('--tight <dir>', "View 2, face-api-tuned: a folder of tight crops of LFW's images (same names; npx tsx bench/lfw-tight-crops.ts makes one): the top trains on them too, each face is described by the tuned top and face-api's side by side, and the pairs are scored on the tight crops as well")
    .option('--folds <list>', 'View 2: only these folds (1-based, e.g. 1,3-5)')
    .option('--no-train', 'never train: use cached runs only (View 2: summarise the folds already trained)')
    .option('--split-of <preset>', 'held-out split: score untrained models on this experiment\'s split (default: default)')
    .option('--bootstrap <n>', 'held-out split: bootstrap resamples for the accuracy interval')
    .option('--out <dir>', 'folder for the JSON reports (default artifacts/eval)')
    .option('--json', 'print the reports as JSON')
    .action(async (opts: EvalOptions) => {
      const lfw = opts.lfw ?? process.env.LFW_DIR;
      const folds = opts.folds ? parseFolds(opts.folds) : undefined;
      if (folds && !lfw) throw new Error('--folds is for LFW View 2: give --lfw <dir> or set LFW_DIR');
      if (opts.tight && !lfw) throw new Error('--tight is for LFW View 2: give --lfw <dir> or set LFW_DIR');
      if (opts.tight && !fs.statSync(opts.tight, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`--tight: ${opts.tight} is not a folder (tight crops of LFW: npx tsx bench/lfw-tight-crops.ts --out DIR --all)`);
      const models = opts.model.split(',').map((m) => m.trim()).filter(Boolean);
      if (opts.tight && !models.includes('face-api-tuned')) throw new Error(`--tight is for the model face-api-tuned (its training and its tight-crop scores); --model was ${JSON.stringify(opts.model)}`);
      const tight = opts.tight ? { tune: FACE_TUNE_TIGHT, alsoScoreFrom: { tight: opts.tight } } : {};
      const bootstrap = opts.bootstrap === undefined ? undefined : Number(opts.bootstrap);
      if (bootstrap !== undefined && !(Number.isInteger(bootstrap) && bootstrap >= 100)) throw new RangeError(`--bootstrap must be an integer >= 100, got ${JSON.stringify(opts.bootstrap)}`);
      const log = opts.json ? (s: string) => console.error(s) : (s: string) => console.log(s);
      await initBackend({ quiet: true });
      const reports: EvaluationReport[] = [];
      for (const model of models) {
        reports.push(await evaluateModel({ model, lfw, folds, train: opts.train, splitOf: opts.splitOf, bootstrap, outDir: opts.out, log, ...(model === 'face-api-tuned' ? tight : {}) }));
      }
      if (opts.json) {
        console.log(JSON.stringify(reports, null, 2));
        return;
      }
      const protocol = reports[0].protocol;
      console.log(protocol === 'LFW View 2'
        ? `\nLFW View 2 (${lfw}): 10-fold cross-validation on pairs.txt, everything fitted on the other folds; ${String(reports[0].details.leakage)}`
        : '\nHeld-out people of the default data: threshold fitted on the validation people\'s pairs, applied to the test pairs (accuracy and TAR/FAR in %, 95 % bootstrap interval)');
      console.log(textTable(reports.map((r) => Object.fromEntries(Object.entries(r.row).map(([k, v]) => [k, String(v)])))));
      for (const r of reports) console.log(`${r.model}: ${r.description}${r.outsideData ? ' [outside training data]' : ''}; written to ${r.file}`);
      for (const r of reports) {
        const tight = (r.details.also as Record<string, OtherCacheSummary> | undefined)?.tight;
        if (tight) console.log(`${r.model} on ${tightPairsSummary(tight)}`);
      }
      for (const r of reports) {
        const missing = r.details.missingFolds as number[] | undefined;
        if (missing?.length) console.log(`${r.model}: folds ${missing.map((k) => k + 1).join(', ')} not trained yet (rerun without --no-train to train them)`);
      }
    });
}
