/** `siamese train`: run an experiment (a preset, adjusted by flags); cached when it already finished. */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { POLICY_PRESET_ALIASES, POLICY_PRESETS } from '../../augment/policy';
import { canonicalPresetName, experimentPreset, SYNTHETIC_MEANING, mergeExperiment, presetBudget, resolveExperiment, runResolvedExperiment, EXPERIMENT_PRESETS, OPTIMIZERS, SCHEDULES, type ExperimentInput, type ExperimentResult } from '../../train';
import { checkExperimentInput, nearest } from '../../train/config-schema';
import { WEIGHTS_OPTIONS } from '../../models';
import type { ModelSpec } from '../../models';

interface TrainFlags {
  preset: string; config?: string; name?: string; epochs?: string; batchSize?: string; workers?: string; flipTest?: boolean; lr?: string; optimizer?: string;
  schedule?: string; augment?: string; seed?: string; splitSeed?: string; dir?: string; force?: boolean; margin?: string; weights?: string;
}

function num(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${flag} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw new Error(`${flag} must be an integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** A flag naming one of `values` (or an old name in `aliases`, kept as given); the error names the flag and suggests the nearest value. */
function choice<T extends string>(value: string | undefined, flag: string, values: readonly T[], aliases: Readonly<Record<string, string>> = {}): T | undefined {
  if (value === undefined || (values as readonly string[]).includes(value) || Object.prototype.hasOwnProperty.call(aliases, value)) return value as T | undefined;
  const near = nearest(value, values);
  throw new Error(`${flag} must be one of ${values.join(', ')}, got ${JSON.stringify(value)}${near ? `: did you mean "${near}"?` : ''}`);
}

/** `file:line:column` of character `pos` of `text` (1-based). */
function lineAndColumn(text: string, pos: number): string {
  const before = text.slice(0, Math.max(0, Math.min(pos, text.length)));
  const line = before.split('\n').length;
  return `${line}:${before.length - before.lastIndexOf('\n')}`;
}

/**
 * Reads a `--config` file: a JSON object of experiment fields, checked by name (unknown keys, with the nearest
 * valid one; wrong types, with the dotted key). A byte-order mark and CRLF line ends are fine; a syntax error
 * names the file, line and column.
 */
export function readExperimentFile(file: string): ExperimentInput {
  let text: string;
  try {
    if (fs.statSync(file).isDirectory()) throw new Error('is a folder, not a JSON file');
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`--config ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new Error(`--config ${file} is empty (expected a JSON object of experiment fields, e.g. {"epochs": 5})`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /at position (\d+)/.exec(message);
    const where = lineAndColumn(text, at ? Number(at[1]) : text.length);
    throw new Error(`${file}:${where}: not valid JSON: ${message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`--config ${file} must be a JSON object of experiment fields, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
  }
  checkExperimentInput(value, file);
  return value as ExperimentInput;
}

/** The experiment the flags describe: the preset, then --config's JSON, then single flags (each merged by `mergeExperiment`, as `resolveExperiment` merges). */
export function experimentFromFlags(flags: TrainFlags): ExperimentInput {
  const preset = experimentPreset(flags.preset);
  const fromFile: ExperimentInput = flags.config ? readExperimentFile(flags.config) : {};
  const merged = mergeExperiment(preset, fromFile);
  const epochs = num(flags.epochs, '--epochs');
  const batchSize = num(flags.batchSize, '--batch-size');
  const workers = choice(flags.workers, '--workers', ['1', '2']);
  const lr = num(flags.lr, '--lr');
  const seed = integer(flags.seed, '--seed');
  const margin = num(flags.margin, '--margin');
  const splitSeed = integer(flags.splitSeed, '--split-seed');
  const optimizer = choice(flags.optimizer, '--optimizer', OPTIMIZERS);
  const schedule = choice(flags.schedule, '--schedule', SCHEDULES);
  const augment = choice(flags.augment, '--augment', Object.keys(POLICY_PRESETS), POLICY_PRESET_ALIASES);
  const model = withWeights(merged.model, choice(flags.weights, '--weights', WEIGHTS_OPTIONS), flags.preset);
  return mergeExperiment(merged, {
    ...(model ? { model } : {}),
    ...(flags.name ? { name: flags.name } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(workers !== undefined ? { workers: Number(workers) as 1 | 2 } : {}),
    ...(flags.flipTest !== undefined ? { flipTest: flags.flipTest } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(augment ? { augment } : {}),
    ...(margin !== undefined ? { loss: merged.loss?.name === 'triplet' ? { ...merged.loss, margin } : { name: 'contrastive', margin } } : {}),
    optimizer: { ...(lr !== undefined ? { lr } : {}), ...(optimizer ? { name: optimizer } : {}) },
    schedule: { ...(schedule ? { name: schedule } : {}) },
    data: { ...(flags.dir ? { dir: flags.dir } : {}), ...(splitSeed !== undefined ? { splitSeed } : {}) },
  });
}

/**
 * The model with `--weights` applied: `imagenet` sets the MobileNetV3-Small option (which implies Keras's
 * padding and input range), `none` drops it (random init, the default, so the run key does not change).
 */
function withWeights(model: ModelSpec | undefined, weights: (typeof WEIGHTS_OPTIONS)[number] | undefined, preset: string): ModelSpec | undefined {
  if (weights === undefined) return undefined;
  if (model?.kind !== 'mobileNetV3Small') {
    if (weights === 'none') return undefined;
    throw new Error(`--weights ${weights} is for MobileNetV3-small models; preset ${preset} trains ${model?.kind ?? 'the default workshopCnn'} ` +
      '(use an mnv3-* or view2-mnv3-* preset, or a --config with {"model": {"kind": "mobileNetV3Small"}})');
  }
  const { weights: _old, ...rest } = model.options ?? {};
  return { kind: 'mobileNetV3Small', options: weights === 'none' ? rest : { ...rest, weights } };
}

/**
 * The one note `siamese train` prints when the flags use old names (`--preset seed1-adam-cosine`, `--augment seed2`):
 * what they are called now (both work; the run and its cache are the same). Null when nothing is an old name.
 */
export function aliasNote(flags: Pick<TrainFlags, 'preset' | 'augment'>): string | null {
  const renamed: string[] = [];
  if (canonicalPresetName(flags.preset) !== flags.preset) renamed.push(`preset ${flags.preset} is now ${canonicalPresetName(flags.preset)}`);
  if (flags.augment !== undefined && Object.prototype.hasOwnProperty.call(POLICY_PRESET_ALIASES, flags.augment)) {
    renamed.push(`augmentation ${flags.augment} is now ${POLICY_PRESET_ALIASES[flags.augment]}`);
  }
  return renamed.length ? `note: ${renamed.join('; ')} (the old name still works and trains the same run)` : null;
}

/** One line per number that matters. */
export function formatResult(r: ExperimentResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `run          ${r.dir}${r.cached ? ' (cached)' : ''}`,
    `data         ${r.data.root} (${r.data.source})`,
    `held-out     ${pct(r.test.accuracy)} accuracy [95 % CI ${pct(r.test.accuracyCi[0])} – ${pct(r.test.accuracyCi[1])}], AUC ${r.test.auc.toFixed(3)}, ${r.test.n} pairs of unseen people` +
      (r.testWithoutFlip ? ` (flip test-time augmentation; without it ${pct(r.testWithoutFlip.accuracy)}, AUC ${r.testWithoutFlip.auc.toFixed(3)})` : ''),
    `raw pixels   ${pct(r.rawPixels.accuracy)} accuracy, AUC ${r.rawPixels.auc.toFixed(3)} (chance: 50.0 %)`,
    `training     ${r.history.length} epochs in ${(r.trainSeconds / 60).toFixed(1)} min on ${r.backend}, ${r.config.workers === 2 ? '2 threads' : '1 thread'}; best epoch ${r.bestEpoch}`,
    ...(r.data.source === 'synthetic' ? [`meaning      ${SYNTHETIC_MEANING}`] : []),
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train an experiment (cached under artifacts/runs/<run key>: the config without its name, plus the data\'s identity; an interrupted run resumes)')
    .option('--preset <name>', `one of ${Object.keys(EXPERIMENT_PRESETS).join(', ')}`, 'default')
    .option('--config <file.json>', 'experiment fields (JSON) over the preset; unknown keys and wrong types are errors')
    .option('--name <name>', 'run name')
    .option('--epochs <n>').option('--batch-size <n>', 'pairs per step')
    .option('--workers <n>', "threads a step trains on: 2 (this thread embeds each pair's first image, a helper thread the second) or 1").option('--lr <x>', 'base learning rate')
    .option('--flip-test', "score validation and test pairs with flip test-time augmentation (each embedding the mean of the image's and its mirror's)")
    .option('--no-flip-test', 'score without it (the default, except in presets that set flipTest)')
    .option('--optimizer <name>', 'adam, sgd or rmsprop').option('--schedule <name>', 'constant, step or cosine')
    .option('--margin <m>', 'contrastive loss with this margin (a triplet preset keeps triplet loss, with this margin)').option('--augment <policy>', 'none, default or siamese-cnn')
    .option('--seed <n>', 'seed of initialisation, shuffles, augmentation and dropout')
    .option('--weights <name>', 'initial backbone weights of a MobileNetV3-small preset: none (seeded random) or imagenet (after `siamese weights fetch mobilenet-v3-small`)')
    .option('--split-seed <n>', 'seed of the person split and pair sampling').option('--dir <folder>', 'dataset folder (default: LFW_DIR, a downloaded LFW, else the synthetic set)')
    .option('--resume', 'continue an interrupted run of this config from its last checkpoint (also what happens without the flag)')
    .option('--force', 'train again from scratch even if this config already finished or was interrupted')
    .action(async (flags: TrainFlags) => {
      const note = aliasNote(flags);
      if (note) console.log(note);
      const experiment = resolveExperiment(experimentFromFlags(flags));
      const budget = presetBudget(flags.preset, experiment.config);
      if (budget) console.log(`${canonicalPresetName(flags.preset)}: ${budget}`);
      const result = await runResolvedExperiment(experiment, { force: flags.force });
      console.log(formatResult(result));
    });
}
