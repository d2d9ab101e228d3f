/** `siamese train`: run an experiment (a preset, adjusted by flags); cached when it already finished. */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { experimentPreset, runExperiment, EXPERIMENT_PRESETS, type ExperimentInput, type ExperimentResult } from '../../train';

interface TrainFlags {
  preset: string; config?: string; name?: string; epochs?: string; batchSize?: string; lr?: string; optimizer?: string;
  schedule?: string; augment?: string; seed?: string; splitSeed?: string; dir?: string; force?: boolean; margin?: string;
}

function num(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${flag} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

/** The experiment the flags describe: the preset, then --config's JSON, then single flags. */
export function experimentFromFlags(flags: TrainFlags): ExperimentInput {
  const preset = experimentPreset(flags.preset);
  let fromFile: ExperimentInput = {};
  if (flags.config) {
    try {
      fromFile = JSON.parse(fs.readFileSync(flags.config, 'utf8')) as ExperimentInput;
    } catch (err) {
      throw new Error(`--config ${flags.config}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const merged: ExperimentInput = { ...preset, ...fromFile, data: { ...(preset.data ?? {}), ...(fromFile.data ?? {}) },
    optimizer: { ...(preset.optimizer ?? {}), ...(fromFile.optimizer ?? {}) }, schedule: { ...(preset.schedule ?? {}), ...(fromFile.schedule ?? {}) } };
  const epochs = num(flags.epochs, '--epochs');
  const batchSize = num(flags.batchSize, '--batch-size');
  const lr = num(flags.lr, '--lr');
  const seed = num(flags.seed, '--seed');
  const margin = num(flags.margin, '--margin');
  const splitSeed = num(flags.splitSeed, '--split-seed');
  return {
    ...merged,
    ...(flags.name ? { name: flags.name } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(flags.augment ? { augment: flags.augment } : {}),
    ...(margin !== undefined ? { loss: { name: 'contrastive', margin } } : {}),
    optimizer: { ...merged.optimizer, ...(lr !== undefined ? { lr } : {}), ...(flags.optimizer ? { name: flags.optimizer as 'adam' } : {}) },
    schedule: { ...merged.schedule, ...(flags.schedule ? { name: flags.schedule as 'cosine' } : {}) },
    data: { ...merged.data, ...(flags.dir ? { dir: flags.dir } : {}), ...(splitSeed !== undefined ? { splitSeed } : {}) },
  };
}

/** One line per number that matters. */
export function formatResult(r: ExperimentResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `run          ${r.dir}${r.cached ? ' (cached)' : ''}`,
    `data         ${r.data.root} (${r.data.source})`,
    `held-out     ${pct(r.test.accuracy)} accuracy [95 % CI ${pct(r.test.accuracyCi[0])} – ${pct(r.test.accuracyCi[1])}], AUC ${r.test.auc.toFixed(3)}, ${r.test.n} pairs of unseen people`,
    `raw pixels   ${pct(r.rawPixels.accuracy)} accuracy, AUC ${r.rawPixels.auc.toFixed(3)} (chance: 50.0 %)`,
    `training     ${r.history.length} epochs in ${(r.trainSeconds / 60).toFixed(1)} min on ${r.backend}; best epoch ${r.bestEpoch}`,
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train an experiment (cached by config hash under artifacts/runs/; an interrupted run resumes)')
    .option('--preset <name>', `one of ${Object.keys(EXPERIMENT_PRESETS).join(', ')}`, 'default')
    .option('--config <file.json>', 'experiment fields (JSON) over the preset')
    .option('--name <name>', 'run name')
    .option('--epochs <n>').option('--batch-size <n>', 'pairs per step').option('--lr <x>', 'base learning rate')
    .option('--optimizer <name>', 'adam, sgd or rmsprop').option('--schedule <name>', 'constant, step or cosine')
    .option('--margin <m>', 'contrastive loss with this margin').option('--augment <policy>', 'none, default or seed2')
    .option('--seed <n>', 'seed of initialisation, shuffles, augmentation and dropout')
    .option('--split-seed <n>', 'seed of the person split and pair sampling').option('--dir <folder>', 'dataset folder (default: LFW_DIR, a downloaded LFW, else the synthetic set)')
    .option('--resume', 'continue an interrupted run of this config from its last checkpoint (also what happens without the flag)')
    .option('--force', 'train again from scratch even if this config already finished or was interrupted')
    .action(async (flags: TrainFlags) => {
      const result = await runExperiment(experimentFromFlags(flags), { force: flags.force });
      console.log(formatResult(result));
    });
}
