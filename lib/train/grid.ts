/**
 * Comparisons as one call: `runGrid(base, {optimizer: [...], schedule: [...], loss: [...]})` runs every
 * combination (each a cached experiment, so a rerun is instant and an interrupted grid resumes), and returns a
 * table of held-out results (a danfojs DataFrame) and each run's label and history (`viz.gridCurves` draws them).
 *
 * @see notebooks/05-training-runs.ipynb
 */
import type * as Dfd from 'danfojs-node';
import { resolveExperiment, runExperiment, type ExperimentInput, type ExperimentResult, type ExperimentSampling, type RunOptions } from './experiment';
import type { OptimizerConfig } from './optimizer';
import type { ScheduleConfig } from './schedule';
import type { LossConfig } from './trainer';

/** The values to try along each axis; a missing axis keeps the base experiment's value. */
export interface GridAxes {
  readonly optimizer?: readonly Partial<OptimizerConfig>[];
  readonly schedule?: readonly Partial<ScheduleConfig>[];
  /**
   * Each loss with the head it needs (contrastive, triplet: a distance head; bce: a probability head) and, when it
   * trains on other batches than the base's, how its training pairs are drawn (triplet: `{name: 'identityPK'}`;
   * `{name: 'given'}` for the split's pairs under a base that samples identities).
   */
  readonly loss?: readonly { readonly loss: LossConfig; readonly head: ExperimentInput['head']; readonly sampling?: ExperimentSampling }[];
}

export interface GridResult {
  readonly results: readonly ExperimentResult[];
  /** One row per run: its settings and held-out results. */
  readonly rows: readonly Record<string, string | number>[];
  readonly table: Dfd.DataFrame;
  /** Each run's label and per-epoch history, for `viz.gridCurves` (validation AUC per epoch, one line per run). */
  readonly runs: readonly { readonly label: string; readonly history: ExperimentResult['history'] }[];
}

/** `optimizer/schedule/loss`, and `+sampling` for a run that samples identities. */
function label(r: ExperimentResult): string {
  const c = r.config;
  return `${c.optimizer.name}/${c.schedule.name}/${c.loss.name}${c.sampling ? `+${c.sampling.name}` : ''}`;
}

/** Every combination of `axes` over `base`, each named after what it trains with (defaults included). */
export function gridRuns(base: ExperimentInput, axes: GridAxes): ExperimentInput[] {
  const optimizers = axes.optimizer ?? [base.optimizer ?? {}];
  const schedules = axes.schedule ?? [base.schedule ?? {}];
  const losses = axes.loss ?? [{ loss: base.loss ?? { name: 'contrastive', margin: 1 }, head: base.head }];
  const runs: ExperimentInput[] = [];
  for (const optimizer of optimizers) {
    for (const schedule of schedules) {
      for (const { loss, head, sampling } of losses) {
        const input: ExperimentInput = {
          ...base, optimizer: { ...base.optimizer, ...optimizer }, schedule: { ...base.schedule, ...schedule }, loss, head, ...(sampling ? { sampling } : {}),
        };
        // an unset schedule trains with the default's, so the name says that one, not "constant"
        const resolved = resolveExperiment(input).config;
        const drawn = resolved.sampling ? `-${resolved.sampling.name}` : '';
        runs.push({ ...input, name: `${base.name ?? 'grid'}-${resolved.optimizer.name}-${resolved.schedule.name}-${resolved.loss.name}${drawn}` });
      }
    }
  }
  return runs;
}

/** Runs every combination of `axes` over `base`, one after the other. */
export async function runGrid(base: ExperimentInput, axes: GridAxes, options: RunOptions = {}): Promise<GridResult> {
  const results: ExperimentResult[] = [];
  for (const run of gridRuns(base, axes)) results.push(await runExperiment(run, options));
  const rows = results.map((r) => ({
    run: label(r), 'test accuracy': r.test.accuracy, 'CI low': r.test.accuracyCi[0], 'CI high': r.test.accuracyCi[1], 'test AUC': r.test.auc,
    'best val AUC': Math.max(...r.history.map((h) => h.valAuc ?? 0)), epochs: r.history.length, minutes: r.trainSeconds / 60,
  }));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dfd = require('danfojs-node') as typeof Dfd;
  const table = new dfd.DataFrame(rows);
  const runs = results.map((r) => ({ label: label(r), history: r.history }));
  return { results, rows, table, runs };
}
