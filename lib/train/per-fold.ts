/**
 * A network trained per fold of LFW View 2: for each test fold, one experiment (protocol `view2`) trains on
 * eight other folds' pairs, picks its best epoch and fits its threshold on the ninth (the validation fold,
 * never trained on), and is scored on the test fold. Folds are ordinary cached runs, so an interrupted
 * evaluation resumes where it stopped, and the summary can be taken over the folds finished so far.
 *
 * Besides the calibrated accuracy, each fold reports the network's fixed decision (a sigmoid at 0.5, a
 * distance below the contrastive margin), its AUC, and raw pixels at their own validation threshold.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import { openData } from '../data/resolve';
import { view2PairList, view2ValidationFold } from '../data/split';
import { accuracyAt, assertNoFoldLeakage, auc, crossValidateWith, summarizeFolds, type CrossValidation, type FoldSummary } from '../eval';
import { siameseOutput } from '../models/siamese';
import {
  readRunPredictions, readRunResult, resolveExperiment, runDir, runResolvedExperiment, type ExperimentConfig, type ExperimentInput, type ResolvedExperiment, type RunOptions,
} from './experiment';

/** Options of {@link trainPerFold}. */
export interface PerFoldOptions extends Pick<RunOptions, 'log' | 'progress' | 'runsDir'> {
  /** The dataset folder (LFW, or any folder with a `pairs.txt`); default: the data resolver's choice. */
  readonly dir?: string;
  /** Test folds to run (0-based); default all. */
  readonly folds?: readonly number[];
  /** false: do not train, summarise the folds already finished (the others are listed as missing). */
  readonly train?: boolean;
}

/** The outcome over the folds that ran. */
export interface PerFoldResult {
  readonly name: string;
  /** Calibrated accuracy per fold (threshold from the validation fold) and its summary. */
  readonly calibrated: CrossValidation;
  readonly auc: FoldSummary & { readonly perFold: readonly number[] };
  /** The fixed decision rule and its per-fold accuracy. */
  readonly fixed: FoldSummary & { readonly threshold: number; readonly rule: string; readonly accuracies: readonly number[] };
  /** Raw pixels on the same folds at their own validation threshold. */
  readonly rawPixels: FoldSummary & { readonly accuracies: readonly number[] };
  /** Folds (0-based) scored, and those asked for but not trained. */
  readonly folds: readonly number[];
  readonly missing: readonly number[];
  readonly trainSeconds: number;
  readonly runDirs: readonly string[];
}

/**
 * The fixed rule of a run's head and loss: a probability at 0.5, or a distance below the contrastive margin.
 * `cfg`: `input` resolved, when the caller already has it.
 */
export function fixedRule(input: ExperimentInput, cfg: ExperimentConfig = resolveExperiment(input).config): { threshold: number; rule: string } {
  if (siameseOutput(cfg.head).kind === 'probability') return { threshold: 0.5, rule: 'sigmoid >= 0.5' };
  const margin = cfg.loss.name === 'contrastive' ? cfg.loss.margin : 1;
  return { threshold: margin, rule: `distance <= margin ${margin}` };
}

/** The experiment of one fold. `base`: `input` resolved, when the caller already has it. */
export function foldExperiment(input: ExperimentInput, fold: number, dir: string, base: ExperimentConfig = resolveExperiment(input).config): ExperimentInput {
  return { ...input, name: `${base.name}-f${fold}`, data: { ...(input.data ?? {}), dir, protocol: 'view2', fold } };
}

/** Trains (or reads from the run cache) one network per View 2 fold; see the module comment. */
export async function trainPerFold(input: ExperimentInput, options: PerFoldOptions = {}): Promise<PerFoldResult> {
  const log = options.log ?? ((l: string) => console.log(l));
  const opened = await openData({ dir: options.dir, log });
  const list = await view2PairList(opened.dataset);
  // the folds share no person or image: a network trained on the other folds never saw the test fold's people
  assertNoFoldLeakage(list);
  const ids = [...new Set(list.folds)].sort((a, b) => a - b);
  const wanted = options.folds ?? ids;
  const base = resolveExperiment(input).config;
  const fixed = fixedRule(input, base);
  const dir = opened.data.root;
  const done: number[] = [];
  const missing: number[] = [];
  // each fold's experiment resolved once: looked up here, trained (or read from the cache) below
  const foldRuns = new Map<number, ResolvedExperiment>();
  for (const k of wanted) {
    const fold = resolveExperiment(foldExperiment(input, k, dir, base));
    foldRuns.set(k, fold);
    if (options.train === false && !readRunResult(await runDir(fold.config, opened.dataset, options.runsDir))) missing.push(k);
    else done.push(k);
  }
  const isSame = list.pairs.map((p) => p.isSame);
  const aucs: number[] = [];
  const fixedAcc: number[] = [];
  const raw: number[] = [];
  const dirs: string[] = [];
  let seconds = 0;
  const calibrated = done.length === 0 ? null : await crossValidateWith(isSame, list.folds, async ({ fold, test }) => {
    log(`${base.name}: View 2 fold ${fold + 1} of ${ids.length}`);
    const result = await runResolvedExperiment(foldRuns.get(fold)!, { log, progress: options.progress, runsDir: options.runsDir, opened });
    const preds = readRunPredictions(result.dir);
    if (!preds?.model.val) throw new Error(`${result.dir}: predictions.json has no validation values (a run from before they were kept); rerun it with force`);
    const valFold = view2ValidationFold(list.folds, fold);
    const calibrateOn = list.folds.flatMap((f, i) => (f === valFold ? [i] : []));
    const testY = test.map((i) => isSame[i]);
    const dirn = { higherIsCloser: preds.model.higherIsCloser };
    aucs.push(auc(preds.model.values, testY, dirn));
    fixedAcc.push(accuracyAt(preds.model.values, testY, fixed.threshold, dirn));
    raw.push(result.rawPixels.accuracy);
    dirs.push(result.dir);
    seconds += result.trainSeconds;
    return { ...dirn, train: preds.model.val.values, test: preds.model.values, calibrateOn };
  }, { only: done });
  if (!calibrated) throw new Error(`${base.name}: no View 2 fold has been trained yet (missing folds ${missing.map((k) => k + 1).join(', ')})`);
  return {
    name: base.name, calibrated, auc: { perFold: aucs, ...summarizeFolds(aucs) },
    fixed: { ...fixed, accuracies: fixedAcc, ...summarizeFolds(fixedAcc) }, rawPixels: { accuracies: raw, ...summarizeFolds(raw) },
    folds: done, missing, trainSeconds: seconds, runDirs: dirs,
  };
}
