/**
 * Experiments as single calls: `runExperiment(config)` resolves the data, makes (or reuses) the split,
 * builds the model, trains it, evaluates it on the held-out people and writes everything to
 * `artifacts/runs/<run key>/`: the key hashes the resolved config without its display name and the identity of
 * the data (see {@link runKey}), so a renamed config reuses its run and other data never does. A finished run
 * with the same key is returned at once (unless `force`); an interrupted one resumes from its last checkpoint.
 * The run's split.json records what it was made from and is rebuilt when that changed. `loadOrTrain` also
 * loads the model.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { createIdentityPipeline, createPairPipeline, type PipelineConfigInput } from '../pipeline/pipeline';
import { checkIdentitySampling, IdentitySampler, type IdentitySampling } from '../pipeline/identity-sampler';
import { openData, type ResolvedData } from '../data/resolve';
import {
  assertNoLeakage, canonicalSplitPreset, datasetFingerprint, legacySplitPreset, loadSplit, makeSplit, makeView1Split, makeView2FoldSplit, pairFileHashes, resolveSplitConfig, saveSplit, splitInputs,
  splitRng, staleInputs, type Split, type SplitConfigInput, type SplitInputs,
} from '../data/split';
import type { Dataset } from '../data/dataset';
import type { Pair, IsSame, LabelledValues, Preprocessing, ThresholdedValues } from '../data/types';
import { auc, bestThreshold, accuracyAt, bootstrapCi } from '../eval';
import { buildEmbedding, canonicalModelKind, MODEL_KIND_ALIASES, preprocessingFor, type ModelSpec } from '../models/build';
import { requireConvertedWeights } from '../models/imagenet-weights';
import { MOBILENET_HEAD_ALIASES, resolveMobileNetV3Small } from '../models/mobilenet-v3-small';
import { POLICY_PRESET_ALIASES } from '../augment/policy';
import { canonicalName, legacyName } from '../util/aliases';
import { loadModel, saveModel } from '../models/save-load';
import { siamese, siameseOutput, type SiameseHead, type SiameseOutput } from '../models/siamese';
import { artifactsDir } from '../util/paths';
import { configHash } from '../util/hash';
import { checkExperimentInput } from './config-schema';
import type { Rng } from '../util/rng';
import { stream } from '../util/streams';
import { describeFsError, writeFileAtomicSafe } from '../util/files';
import { acquireRunLock, LOCK_FILE } from './lock';
import { resolveOptimizer, type OptimizerConfig } from './optimizer';
import { resolveSchedule, type ScheduleConfig } from './schedule';
import { isEmbeddingLoss, predictPairs, trainSiamese, type EarlyStopping, type EpochRecord, type LossConfig, type TrainOptions } from './trainer';
import { REPLICA_MODULE, type TrainReplicaOptions } from './replica';
import { largeDenseLayers } from './streamed-dense';
import { activeWasmKernels } from '../backend/kernels/register-wasm-kernels';

/** Everything that defines a run. JSON data; its hash names the run folder. */
export interface ExperimentConfig {
  readonly name: string;
  readonly data: {
    /** A dataset folder (else the resolver: LFW_DIR, data home LFW, the synthetic set). */
    readonly dir: string | null;
    /**
     * `split`: a person-disjoint split of the dataset's people (`split` below); `view1`: LFW's View 1
     * (pairsDevTrain to train, 15 % of its people to validate, pairsDevTest to test), the Siamese CNN reference's setup; `view2`:
     * one fold of View 2 (`fold` tests, the next fold validates, the other eight train; see `makeView2FoldSplit`).
     */
    readonly protocol: 'split' | 'view1' | 'view2';
    /** The View 2 test fold (0-based), with protocol `view2` only (absent otherwise, so other runs' hashes do not change). */
    readonly fold?: number;
    readonly split: SplitConfigInput;
    /** Seed of the split (person assignment and pair sampling). */
    readonly splitSeed: number;
  };
  readonly model: ModelSpec;
  readonly head: SiameseHead;
  /** L2-normalise embeddings before the head (distances in [0, 2]; the MobileNetV3 notebook and the Siamese CNN reference: false). */
  readonly normalize: boolean;
  readonly loss: LossConfig;
  /**
   * How training pairs are drawn. Absent (or `{name: 'given'}`, which resolves to absent so other runs' keys do
   * not change): the split's fixed training pairs, reshuffled each epoch. `identityPairs`: balanced pairs drawn
   * fresh each epoch from the training people; `identityPK`: P identities × K images per batch, for triplet loss
   * (lib/pipeline/identity-sampler.ts). Validation and test are the split's pairs either way.
   */
  readonly sampling?: ExperimentSampling;
  readonly optimizer: Partial<OptimizerConfig>;
  readonly schedule: Partial<ScheduleConfig>;
  /** Augmentation policy preset for training pairs ('none', 'siamese-cnn', 'default'). */
  readonly augment: string;
  readonly epochs: number;
  /** Pairs per step. */
  readonly batchSize: number;
  /**
   * Threads a training step runs on (lib/train/trainer.ts `parallel`): 2 (the default) = this thread embeds each
   * pair's first image and a helper thread the second, the loss is taken over both; 1 = one thread (resolved to
   * absent, so the keys of runs trained before there was a choice do not change). Part of the result (batch-norm
   * statistics are per thread's images), the same on any machine; on a backend that already uses every core
   * (tfjs-node) the step runs on one thread and says so.
   */
  readonly workers?: 1 | 2;
  /**
   * Score validation and test pairs with flip test-time augmentation: each image's embedding is the mean of the
   * image's and its left-right mirror's (`flipAveragedSiamese`; training is unchanged). A run with it also reports
   * the test without it (`testWithoutFlip`), so the gain is on record. False resolves to absent (old run keys keep).
   */
  readonly flipTest?: boolean;
  /** Seed of initialisation, shuffles, augmentation and dropout. */
  readonly seed: number;
  readonly earlyStopping: EarlyStopping | null;
}

export const DEFAULT_EXPERIMENT: Readonly<ExperimentConfig> = Object.freeze({
  name: 'default',
  data: { dir: null, protocol: 'split', split: { preset: 'default', numPairs: { train: 3000, val: 400, test: 400 } }, splitSeed: 1 },
  model: { kind: 'workshopCnn', options: { inputSize: 64 } },
  head: 'euclidean',
  normalize: true,
  loss: { name: 'contrastive', margin: 1, pairs: 'batch' },
  optimizer: { name: 'adam', lr: 1e-3 },
  schedule: { name: 'cosine' },
  augment: 'default',
  epochs: 10,
  batchSize: 32,
  workers: 2,
  seed: 0,
  earlyStopping: null,
} as ExperimentConfig);

/** How an experiment draws its training pairs: `{name: 'given'}` (the split's pairs, the default) or identity sampling. */
export type ExperimentSampling = IdentitySampling | { readonly name: 'given' };

/** A partial config: nested objects merge field by field (a `model` or `loss` given replaces the default's). */
export type ExperimentInput = Partial<Omit<ExperimentConfig, 'data'>> & { readonly data?: Partial<ExperimentConfig['data']> };

/**
 * `over` merged over `base`, the one merge of experiment configs (the defaults under an input, a preset under a
 * `--config` file under flags, a notebook's changes over a preset): top-level fields replace, `data`,
 * `optimizer` and `schedule` merge field by field, and a field given as undefined means "keep the base's".
 */
export function mergeExperiment<T extends ExperimentInput>(base: T, over: ExperimentInput): T {
  const given = Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)) as ExperimentInput;
  return {
    ...base, ...given,
    data: { ...(base.data ?? {}), ...(given.data ?? {}) },
    optimizer: { ...(base.optimizer ?? {}), ...(given.optimizer ?? {}) },
    schedule: { ...(base.schedule ?? {}), ...(given.schedule ?? {}) },
  } as T;
}

/**
 * An experiment resolved once, with what every stage derives from its config computed here and carried: the
 * trainer, the evaluation, the raw-pixel baseline, the saved model and the applications take these values
 * instead of deriving them again. Only `config` is JSON (hashed into the run key, written to config.json).
 */
export interface ResolvedExperiment {
  readonly config: ExperimentConfig;
  /** The input the model wants (size, channels, normalisation): how every pair and crop of the run is prepared. */
  readonly preprocessing: Preprocessing;
  /** The split's random stream (`splitRng(data.splitSeed)`, as `siamese data split --seed` draws it), a fresh generator per call. */
  readonly splitRng: () => Rng;
}

/**
 * Merges `input` over the defaults and checks it: an unknown key (at any level) is an error suggesting the
 * nearest valid one, a value of the wrong type names its dotted key and the type, and a bad value is named.
 * `source` says where the config came from in those errors (a file name; default "experiment config").
 * Returns the config with the values derived from it (see {@link ResolvedExperiment}).
 */
export function resolveExperiment(input: ExperimentInput = {}, source = 'experiment config'): ResolvedExperiment {
  checkExperimentInput(input, source);
  const merged: ExperimentConfig = canonicalConfig(mergeExperiment(DEFAULT_EXPERIMENT, input));
  // the given pairs are the default: written out or left out, the config (and the run key) is the same
  const { sampling: givenSampling, ...withoutSampling } = merged;
  const sampled: ExperimentConfig = givenSampling === undefined || givenSampling.name === 'given' ? withoutSampling : merged;
  // one thread is the default: written out or left out, the config (and the run key) is the same
  const { workers, ...withoutWorkers } = sampled;
  const threaded: ExperimentConfig = workers === undefined || workers === 1 ? withoutWorkers : sampled;
  // no flip at test time is the default: written out or left out, the same config and run key
  const { flipTest, ...withoutFlip } = threaded;
  const cfg: ExperimentConfig = flipTest === undefined || flipTest === false ? withoutFlip : threaded;
  if (!(flipTest === undefined || typeof flipTest === 'boolean')) throw new RangeError(`${source}: "flipTest" must be true or false, got ${JSON.stringify(flipTest)}`);
  if (!(workers === undefined || workers === 1 || workers === 2)) throw new RangeError(`${source}: "workers" must be 1 or 2, got ${JSON.stringify(workers)}`);
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(cfg.name)) throw new RangeError(`experiment name must be letters, digits, '.', '_' or '-', got ${JSON.stringify(cfg.name)}`);
  if (!(Number.isInteger(cfg.epochs) && cfg.epochs >= 1)) throw new RangeError(`experiment epochs must be an integer >= 1, got ${cfg.epochs}`);
  if (!(Number.isInteger(cfg.batchSize) && cfg.batchSize >= 1)) throw new RangeError(`experiment batchSize must be an integer >= 1, got ${cfg.batchSize}`);
  const out = siameseOutput(cfg.head);
  if (cfg.loss.name === 'bce' && out.kind !== 'probability') throw new RangeError(`loss bce needs head bceConcat or bceAbsDiff, got ${cfg.head}`);
  if (cfg.loss.name === 'contrastive' && out.kind !== 'distance') throw new RangeError(`loss contrastive needs head euclidean or cosine, got ${cfg.head}`);
  if (cfg.loss.name === 'triplet' && out.kind !== 'distance') throw new RangeError(`${source}: loss triplet needs head euclidean or cosine (it compares embedding distances), got ${cfg.head}`);
  if ((cfg.loss.name === 'contrastive' || cfg.loss.name === 'triplet') && !(cfg.loss.margin > 0 && Number.isFinite(cfg.loss.margin))) {
    throw new RangeError(cfg.loss.margin === undefined ? `${source}: "loss.margin" is required for loss ${cfg.loss.name} (a positive number)` : `${source}: "loss.margin" must be a positive number, got ${cfg.loss.margin}`);
  }
  checkSampling(cfg, source);
  resolveSplitConfig(cfg.data.split);
  const preprocessing = preprocessingFor(cfg.model);
  resolveOptimizer(cfg.optimizer);
  resolveSchedule(cfg.schedule);
  if (!['split', 'view1', 'view2'].includes(cfg.data.protocol)) throw new RangeError(`experiment data.protocol must be 'split', 'view1' or 'view2', got ${JSON.stringify(cfg.data.protocol)}`);
  if (cfg.data.protocol === 'view2' ? !(Number.isInteger(cfg.data.fold) && cfg.data.fold! >= 0) : cfg.data.fold !== undefined) {
    throw new RangeError(`experiment data.fold must be a fold number >= 0 with protocol 'view2' (and only then), got ${JSON.stringify(cfg.data.fold)} with protocol ${JSON.stringify(cfg.data.protocol)}`);
  }
  const splitSeed = cfg.data.splitSeed;
  return { config: cfg, preprocessing, splitRng: () => splitRng(splitSeed) };
}

/**
 * `config` with every name that has an old alias under its current name: model kind `seed2Cnn` → `siameseCnn`,
 * MobileNetV3 head `seed1` → `mnv3-notebook`, split preset `seed1` → `mnv3-notebook`, augmentation `seed2` →
 * `siamese-cnn`. Configs written with old names (flags, `--config` files, saved runs) resolve to the same config
 * as with the new ones. Only fields present are touched, so nothing is added to the config.
 */
export function canonicalConfig<T extends ExperimentInput>(config: T): T {
  return renameConfig(config, {
    kind: canonicalModelKind, head: (h) => canonicalName(h, MOBILENET_HEAD_ALIASES),
    splitPreset: canonicalSplitPreset, augment: (a) => canonicalName(a, POLICY_PRESET_ALIASES),
  });
}

/**
 * `config` with the old identifiers the run keys of runs made before the rename were computed with (the inverse of
 * {@link canonicalConfig}): what {@link runKey} hashes, so a config gives the same key under either vocabulary.
 */
export function legacyKeyConfig<T extends ExperimentInput>(config: T): T {
  return renameConfig(config, {
    kind: (k) => legacyName(canonicalModelKind(k), MODEL_KIND_ALIASES), head: (h) => legacyName(canonicalName(h, MOBILENET_HEAD_ALIASES), MOBILENET_HEAD_ALIASES),
    splitPreset: legacySplitPreset, augment: (a) => legacyName(canonicalName(a, POLICY_PRESET_ALIASES), POLICY_PRESET_ALIASES),
  });
}

/** `config` with the names `rename` maps replaced, each where present (and a string); other fields as they are. */
function renameConfig<T extends ExperimentInput>(config: T, rename: Record<'kind' | 'head' | 'splitPreset' | 'augment', (name: string) => string>): T {
  let out: ExperimentInput = config;
  const model = config.model;
  if (model && typeof model.kind === 'string') {
    const kind = rename.kind(model.kind);
    const options = model.options as { head?: unknown } | undefined;
    const head = kind === rename.kind('mobileNetV3Small') && typeof options?.head === 'string' ? rename.head(options.head) : undefined;
    if (kind !== model.kind || (head !== undefined && head !== options?.head)) {
      out = { ...out, model: { ...model, kind, ...(head !== undefined ? { options: { ...options, head } } : {}) } as ModelSpec };
    }
  }
  const preset = config.data?.split?.preset;
  if (typeof preset === 'string' && rename.splitPreset(preset) !== preset) {
    out = { ...out, data: { ...config.data, split: { ...config.data!.split, preset: rename.splitPreset(preset) } } };
  }
  if (typeof config.augment === 'string' && rename.augment(config.augment) !== config.augment) out = { ...out, augment: rename.augment(config.augment) };
  return out as T;
}

/** Whether the loss and the sampling go together; errors name the fields and say what would work. */
function checkSampling(cfg: ExperimentConfig, source: string): void {
  const sampling = cfg.sampling;
  const pk = sampling?.name === 'identityPK';
  if (cfg.loss.name === 'triplet' && !pk) {
    throw new RangeError(`${source}: loss triplet needs batches of several images per person: set "sampling" to {"name": "identityPK"} ` +
      `(P identities × K images per batch; got ${sampling ? `sampling ${JSON.stringify(sampling.name)}` : 'the given pairs'})`);
  }
  if (pk && !isEmbeddingLoss(cfg.loss)) {
    throw new RangeError(`${source}: sampling identityPK makes P×K batches whose given pairs are all same-person pairs; ` +
      `loss ${cfg.loss.name}${cfg.loss.name === 'contrastive' ? " with pairs 'given'" : ''} would learn nothing from them: use loss triplet, ` +
      `contrastive with "pairs": "batch", or sampling identityPairs`);
  }
  if (sampling && sampling.name !== 'given') checkIdentitySampling(sampling, cfg.batchSize, source);
}

/** Held-out (test) results of a run, at the threshold fitted on the validation pairs. */
export interface TestResult {
  readonly n: number;
  readonly accuracy: number;
  /** 95 % bootstrap interval of the accuracy. */
  readonly accuracyCi: readonly [number, number];
  readonly auc: number;
  readonly threshold: number;
  /** Accuracy if the threshold were chosen on the test pairs themselves (optimistic; for reference). */
  readonly oracleAccuracy: number;
}

export interface ExperimentResult {
  readonly name: string;
  readonly hash: string;
  readonly dir: string;
  readonly config: ExperimentConfig;
  readonly history: readonly EpochRecord[];
  readonly bestEpoch: number;
  readonly test: TestResult;
  /** The same evaluation with raw pixels as the "embedding": what learning has to beat. */
  readonly rawPixels: TestResult;
  /** With `flipTest`: the same model scored without the flip (its own validation threshold), so the flip's gain is on record. */
  readonly testWithoutFlip?: TestResult;
  readonly data: { readonly root: string; readonly source: string };
  readonly backend: string;
  readonly trainSeconds: number;
  readonly finishedAt: string;
  /** True when this result came from the cache without training. */
  readonly cached: boolean;
}

export interface RunOptions {
  /** Train again even if a finished run with this config exists (its folder is replaced). */
  readonly force?: boolean;
  readonly log?: (line: string) => void;
  readonly onEpoch?: (record: EpochRecord, history: readonly EpochRecord[]) => void;
  readonly progress?: 'bar' | 'none';
  /** Passed to the trainer (tests simulate crashes with it). */
  readonly onStep?: (step: number) => void;
  readonly checkpointEvery?: number;
  /** Passed to the trainer: which Dense layers are updated block by block (see TrainOptions). */
  readonly streamLargeUpdates?: TrainOptions['streamLargeUpdates'];
  /** Root of run folders (default artifacts/runs). */
  readonly runsDir?: string;
  /** Data the caller already resolved and opened for this config (else it is resolved here). */
  readonly opened?: { readonly data: ResolvedData; readonly dataset: Dataset };
}

/**
 * The run cache key: a hash of the resolved config without its display name and folder (`name`, `data.dir`),
 * and of the identity of the data it trains on: the dataset's fingerprint (image names and sizes, see
 * `datasetFingerprint`), the crop the images are read with, and the pair files its protocol reads. Two configs
 * that differ only by name share a run; the same config on other data (LFW_DIR set, another --dir) does not.
 * Nothing trains from the key: it only says where the run is stored.
 */
export async function runKey(config: ExperimentConfig, dataset: Dataset): Promise<string> {
  // the old identifiers (`seed2Cnn`, `seed1`, ...) are the key's canonical form: runs cached before the rename are found again
  const { name: _name, ...rest } = legacyKeyConfig(config);
  const data = { dataset: await datasetFingerprint(dataset), crop: dataset.crop, pairFiles: await pairFileHashes(dataset, config.data.protocol) };
  return configHash({ config: { ...rest, data: { ...rest.data, dir: undefined } }, data });
}

/** The folder of a config's run on `dataset`: `<runsDir>/<run key>` (the display name is kept in its config.json and result.json). */
export async function runDir(config: ExperimentConfig, dataset: Dataset, runsDir = artifactsDir('runs')): Promise<string> {
  return path.join(runsDir, await runKey(config, dataset));
}

const RESULT = 'result.json';
const PREDICTIONS = 'predictions.json';

/**
 * A run's JSON file, parsed and checked by `valid`, or null when absent. A damaged file (truncated,
 * garbled, not what the run writes) is an error naming it and saying what to do; nothing is deleted.
 */
function readRunJson<T>(file: string, valid: (v: unknown) => boolean, alsoDelete = ''): T | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null; // no run there (yet)
    throw new Error(`${file}: cannot read it: ${describeFsError(err)}`, { cause: err });
  }
  const damaged = (why: string): never => {
    throw new Error(`${file}: damaged run file (${why}); nothing was changed. Delete it${alsoDelete} to recompute it from the run's last ` +
      'checkpoint without retraining, or retrain the run from scratch with --force (force: true)');
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return damaged(text.length === 0 ? 'empty (0 bytes)' : `not valid JSON, ${text.length} bytes: ${err instanceof Error ? err.message : String(err)}; truncated?`);
  }
  if (!valid(parsed)) damaged('valid JSON, but not what a run writes');
  return parsed as T;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The test predictions of a finished run (model and raw pixels), or null; a damaged file is an error naming it. */
export function readRunPredictions(dir: string): { model: TestPredictions; rawPixels: Omit<TestPredictions, 'pairs'> } | null {
  return readRunJson(path.join(dir, PREDICTIONS), (v) => isObject(v) && isObject(v.model) && Array.isArray(v.model.values) && Array.isArray(v.model.isSame), ` and ${RESULT}`);
}

/** A finished run's result, or null; a damaged result.json is an error naming it. */
export function readRunResult(dir: string): ExperimentResult | null {
  const result = readRunJson<ExperimentResult>(path.join(dir, RESULT),
    (v) => isObject(v) && isObject(v.test) && typeof v.test.accuracy === 'number' && isObject(v.config) && typeof v.hash === 'string');
  // a run saved before the rename has the old names in its config: it reads as the same config under the new ones
  return result && { ...result, config: canonicalConfig(result.config), cached: true };
}

/** Evaluates values on test pairs at the validation threshold. */
function testResult(val: { values: number[]; isSame: IsSame[] }, test: { values: number[]; isSame: IsSame[] }, dir: SiameseOutput, seed: number): TestResult {
  const fit = bestThreshold(val.values, val.isSame, dir);
  const accuracy = accuracyAt(test.values, test.isSame, fit.threshold, dir);
  const ci = bootstrapCi(test.values, test.isSame, (v, y) => accuracyAt(v, y, fit.threshold, dir), stream(seed, 'bootstrap'));
  return {
    n: test.values.length, accuracy, accuracyCi: [ci.lo, ci.hi], auc: auc(test.values, test.isSame, dir),
    threshold: fit.threshold, oracleAccuracy: bestThreshold(test.values, test.isSame, dir).accuracy,
  };
}

/** Per-pair test values of a run, kept for reports and error galleries (`predictions.json`). */
export interface TestPredictions extends ThresholdedValues {
  readonly pairs: readonly Pair[];
  /** The validation pairs' values the threshold was fitted on (runs made before this field have none). */
  readonly val?: LabelledValues;
}

/** Pairs in order, unaugmented, on this thread: how validation and test pairs are fed. */
function evalPipeline(pairs: readonly Pair[], dataset: Dataset, preprocessing: Preprocessing) {
  return createPairPipeline(pairs, dataset, { batchSize: 64, preprocessing, augment: 'none', shuffle: false, worker: false, prefetch: 0 });
}

/**
 * Predicts the validation and test pairs (prepared as `pre`), fits the threshold on validation, scores test (bootstrap
 * stream of `seed`); `flip`: with flip test-time augmentation (see {@link predictPairs}).
 */
async function evaluate(model: tf.LayersModel, output: SiameseOutput, pairs: { val: readonly Pair[]; test: readonly Pair[] }, dataset: Dataset,
  pre: Preprocessing, seed: number, flip = false): Promise<{ result: TestResult; predictions: TestPredictions }> {
  const valPipe = await evalPipeline(pairs.val, dataset, pre);
  const testPipe = await evalPipeline(pairs.test, dataset, pre);
  try {
    const val = await predictPairs(model, valPipe, null, output, flip);
    const test = await predictPairs(model, testPipe, null, output, flip);
    const result = testResult(val, test, output, seed);
    return { result, predictions: { pairs: pairs.test, values: test.values, isSame: test.isSame, threshold: result.threshold, higherIsCloser: output.higherIsCloser, val: { values: val.values, isSame: val.isSame } } };
  } finally {
    await valPipe.close();
    await testPipe.close();
  }
}

/** Raw pixels as the embedding: the flattened preprocessed images, compared by Euclidean distance. */
function rawPixelModel({ size, channels }: Preprocessing): tf.LayersModel {
  const input = tf.input({ shape: [size, size, channels] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  return siamese(tf.model({ inputs: input, outputs: flat, name: 'raw_pixels' }), { head: 'euclidean' });
}

/** Whether run `dir` has trained anything yet (a checkpoint). */
function hasCheckpoints(dir: string): boolean {
  return ['last.ckpt', 'best.ckpt'].some((f) => fs.existsSync(path.join(dir, 'checkpoints', f)));
}

/**
 * The split of run `dir`: its saved split.json when that was made from the current inputs and still loads,
 * else a new one (saying why the old one was not used), saved. A stale or unusable split in a run that already
 * has checkpoints is an error instead: they were trained on it, so only `--force` (start over) can replace it.
 */
async function loadOrMakeSplit(dir: string, dataset: Dataset, experiment: ResolvedExperiment, log: (line: string) => void): Promise<Split> {
  const file = path.join(dir, 'split.json');
  const inputs = await experimentSplitInputs(experiment, dataset);
  if (fs.existsSync(file)) {
    let problem: string;
    try {
      const saved = await loadSplit(file, dataset);
      const stale = staleInputs(saved.inputs, inputs);
      if (stale.length === 0) return saved;
      problem = saved.inputs ? `was made from other inputs (${stale.join(', ')})` : 'records no inputs (an older version made it)';
    } catch (err) {
      problem = `cannot be used: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (hasCheckpoints(dir)) {
      throw new Error(`${file} ${problem}\nand the run's checkpoints were trained on it: rerun with --force (\`siamese train --force\`, or force: true) to rebuild the split and train from scratch`);
    }
    log(`${file} ${problem}; rebuilding it`);
  }
  const split = await makeExperimentSplit(experiment, dataset, inputs);
  await saveSplit(split, file);
  return split;
}

/** What the split of `experiment` on `dataset` is made from (see `SplitInputs`). */
async function experimentSplitInputs(experiment: ResolvedExperiment, dataset: Dataset): Promise<SplitInputs> {
  const { protocol, fold, split } = experiment.config.data;
  return splitInputs(dataset, protocol, protocol === 'view2' ? `view2/fold${fold}` : experiment.splitRng().key, protocol === 'split' ? split : null);
}

/** Makes the split of `experiment` (its split stream, as `siamese data split --seed` draws it), leak-checked, with its inputs. */
async function makeExperimentSplit(experiment: ResolvedExperiment, dataset: Dataset, inputs: SplitInputs): Promise<Split> {
  const { config } = experiment;
  const rng = experiment.splitRng();
  const split = config.data.protocol === 'view1' ? await makeView1Split(dataset, rng)
    : config.data.protocol === 'view2' ? await makeView2FoldSplit(dataset, config.data.fold!) : makeSplit(dataset, rng, config.data.split);
  assertNoLeakage(split);
  return { ...split, inputs };
}

/**
 * Runs (or returns the cached result of) the experiment `input` describes.
 * @see notebooks/05-training-runs.ipynb
 */
export async function runExperiment(input: ExperimentInput = {}, options: RunOptions = {}): Promise<ExperimentResult> {
  return runResolvedExperiment(resolveExperiment(input), options);
}

/** {@link runExperiment} of an experiment already resolved (callers that resolved it to look at it first do not resolve it again). */
export async function runResolvedExperiment(experiment: ResolvedExperiment, options: RunOptions = {}): Promise<ExperimentResult> {
  const { config } = experiment;
  const log = options.log ?? ((l: string) => console.log(l));
  // the run key names the data, so the data is resolved first (also for a cached run)
  const opened = options.opened ?? await openData({ dir: config.data.dir ?? undefined, log });
  const hash = await runKey(config, opened.dataset);
  const dir = path.join(options.runsDir ?? artifactsDir('runs'), hash);
  const cached = (): ExperimentResult | null => {
    const result = readRunResult(dir);
    if (result) log(`experiment ${config.name}-${hash}: cached result (test accuracy ${(result.test.accuracy * 100).toFixed(1)} %); pass force to retrain`);
    return result;
  };
  if (!options.force) {
    const result = cached();
    if (result) return result;
  }
  // pretrained weights the model needs must be there before anything is written (a finished run does not need them)
  if (config.model.kind === 'mobileNetV3Small' && resolveMobileNetV3Small(config.model.options).weights === 'imagenet') requireConvertedWeights();
  // one trainer per run folder: a second one says who holds it and stops before touching anything
  const lock = acquireRunLock(dir, { log });
  try {
    if (!options.force) {
      const result = cached(); // finished by another trainer between the first look and the lock
      if (result) return result;
    }
    prepareRunDir(dir, options.force ?? false, log);
    writeFileAtomicSafe(path.join(dir, 'config.json'), [`${JSON.stringify(config, null, 2)}\n`]);
    return await trainRun(experiment, hash, dir, opened, options, log);
  } finally {
    lock.release();
  }
}

/**
 * Makes run folder `dir` ready under its lock: with `force` everything in it but the lock goes; temporary
 * files left by a writer that was killed (`*.tmp-<pid>…`) are removed, with a note.
 */
function prepareRunDir(dir: string, force: boolean, log: (line: string) => void): void {
  for (const name of fs.readdirSync(dir)) {
    if (force && name !== LOCK_FILE) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  for (const sub of [dir, path.join(dir, 'checkpoints')]) {
    if (!fs.existsSync(sub)) continue;
    for (const name of fs.readdirSync(sub).filter((n) => /\.tmp-\d+/.test(n))) {
      fs.rmSync(path.join(sub, name), { force: true });
      log(`note: removed ${path.join(sub, name)}, a temporary file left by an interrupted write`);
    }
  }
}

/**
 * The identity sampler of an experiment that draws its training pairs from the training people (null for the
 * given pairs): the split's training people only, with its validation and test people held out (asserted).
 */
export function trainingSampler(config: ExperimentConfig, split: Pick<Split, 'people' | 'pairs'>, dataset: Dataset): IdentitySampler | null {
  const sampling = config.sampling;
  if (!sampling || sampling.name === 'given') return null;
  return new IdentitySampler(dataset, split.people.train, sampling, {
    seed: config.seed, batchSize: config.batchSize, heldOut: [...split.people.val, ...split.people.test],
    defaultPairsPerEpoch: split.pairs.train.length, source: `experiment ${config.name}`,
  });
}

/**
 * The trainer's `parallel` option for `workers: 2`: the helper builds the same network on the same backend (wasm or
 * cpu). One thread instead where two cannot help: a backend that uses every core itself, or a network with a Dense
 * layer large enough to have its update streamed (lib/train/streamed-dense.ts), which only one thread can do: seed2's
 * CNN at 128 px trained at 1.92 pairs/s on one thread with it and 1.66 on two without it, in 2.7 GB of wasm heap
 * instead of 3.1 GB on each of two (`bench:train`, 2026-12-03).
 */
function parallelFor(config: ExperimentConfig, backend: { readonly tfjsName: string }, embedNet: tf.LayersModel, log: (line: string) => void,
  streaming: RunOptions['streamLargeUpdates']): TrainOptions['parallel'] {
  if (backend.tfjsName !== 'wasm' && backend.tfjsName !== 'cpu') {
    log(`workers 2: the ${backend.tfjsName} backend already uses every core, so this run trains on one thread`);
    return null;
  }
  const large = streaming === false ? [] : largeDenseLayers(embedNet, streaming?.minWeights);
  const kernels = activeWasmKernels();
  if (large.length > 0 && backend.tfjsName === 'wasm' && kernels?.variant != null && resolveOptimizer(config.optimizer).name === 'adam') {
    log(`workers 2: ${large.map((l) => l.name).join(', ')} is large enough to be updated block by block, which only one thread can do ` +
      '(faster and in less memory than two threads for this network), so this run trains on one thread');
    return null;
  }
  return { module: REPLICA_MODULE, options: { model: config.model, seed: config.seed } satisfies TrainReplicaOptions, backend: backend.tfjsName };
}

/** Trains, evaluates and writes run `dir` (its lock held by the caller). */
async function trainRun(experiment: ResolvedExperiment, hash: string, dir: string, opened: NonNullable<RunOptions['opened']>, options: RunOptions,
  log: (line: string) => void): Promise<ExperimentResult> {
  const { config, preprocessing: pre } = experiment;
  const backend = await initBackend();
  const { data, dataset } = opened;
  const split = await loadOrMakeSplit(dir, dataset, experiment, log);
  const sampler = trainingSampler(config, split, dataset); // before anything is allocated: it refuses what cannot be sampled
  const output = siameseOutput(config.head);
  const embedNet = buildEmbedding(config.model, config.seed);
  const model = siamese(embedNet, { head: config.head, seed: config.seed, normalize: config.normalize });
  const pipeline: PipelineConfigInput = { batchSize: config.batchSize, preprocessing: pre, augment: config.augment, seed: config.seed, dropLast: true };
  const val = await evalPipeline(split.pairs.val, dataset, pre);
  log(`experiment ${config.name}-${hash}: ${config.model.kind} (${config.head}, ${config.loss.name}), ${config.optimizer.name} lr ${config.optimizer.lr}, ` +
    `${config.schedule.name} schedule, ${config.epochs} epochs of ${sampler ? sampler.describe() : `${split.pairs.train.length} pairs`}, augment ${config.augment}`);
  try {
    const parallel = (config.workers ?? 1) === 2 ? parallelFor(config, backend, embedNet, log, options.streamLargeUpdates) : null;
    const trained = await trainSiamese({
      model, output, embedding: { net: embedNet, normalize: config.normalize }, loss: config.loss, optimizer: config.optimizer, schedule: config.schedule, epochs: config.epochs,
      train: (resume) => (sampler ? createIdentityPipeline(sampler, dataset, pipeline, { resume }) : createPairPipeline(split.pairs.train, dataset, pipeline, { resume })),
      val, flipTest: config.flipTest ?? false, earlyStopping: config.earlyStopping, dir, log, onEpoch: options.onEpoch, onStep: options.onStep,
      progress: options.progress, checkpointEvery: options.checkpointEvery, parallel, streamLargeUpdates: options.streamLargeUpdates,
    });
    await val.close();
    const { result: test, predictions } = await evaluate(model, output, split.pairs, dataset, pre, config.seed, config.flipTest ?? false);
    const testWithoutFlip = config.flipTest ? (await evaluate(model, output, split.pairs, dataset, pre, config.seed)).result : undefined;
    const raw = rawPixelModel(pre);
    const { result: rawPixels, predictions: rawPredictions } = await evaluate(raw, { kind: 'distance', higherIsCloser: false }, split.pairs, dataset, pre, config.seed);
    raw.dispose();
    writeFileAtomicSafe(path.join(dir, PREDICTIONS), [JSON.stringify({ model: predictions, rawPixels: { ...rawPredictions, pairs: undefined } })]);
    await saveModel(model, path.join(dir, 'model'), { config, hash, preprocessing: pre, crop: dataset.crop ?? null });
    const result: ExperimentResult = {
      name: config.name, hash, dir, config, history: trained.history, bestEpoch: trained.bestEpoch, test, rawPixels, ...(testWithoutFlip ? { testWithoutFlip } : {}),
      data: { root: data.root, source: data.source }, backend: backend.name, trainSeconds: trained.seconds,
      finishedAt: new Date().toISOString(), cached: false,
    };
    writeFileAtomicSafe(path.join(dir, RESULT), [`${JSON.stringify(result, null, 2)}\n`]);
    log(`experiment ${config.name}-${hash}: test accuracy ${(test.accuracy * 100).toFixed(1)} % ` +
      `[${(test.accuracyCi[0] * 100).toFixed(1)}, ${(test.accuracyCi[1] * 100).toFixed(1)}] (AUC ${test.auc.toFixed(3)}) on ${test.n} held-out pairs; ` +
      `${testWithoutFlip ? `without the flip ${(testWithoutFlip.accuracy * 100).toFixed(1)} %; ` : ''}raw pixels ${(rawPixels.accuracy * 100).toFixed(1)} %`);
    return result;
  } finally {
    await val.close();
    model.dispose();
    // the Siamese model holds the embedding network as a layer: disposing the model only releases its hold, so the
    // network's own weights go here (else every run leaves its weights behind)
    embedNet.dispose();
  }
}

/**
 * The split a config trains and tests on, without training: the run's saved `split.json` when the run
 * exists, else made exactly as `runExperiment` would make it (not saved). Lets untrained baselines (raw
 * pixels, a frozen backbone) be scored on the same held-out people as the trained run.
 */
export async function experimentSplit(input: ExperimentInput, dataset: Dataset, runsDir?: string): Promise<Split> {
  const experiment = resolveExperiment(input);
  const inputs = await experimentSplitInputs(experiment, dataset);
  const file = path.join(await runDir(experiment.config, dataset, runsDir), 'split.json');
  if (fs.existsSync(file)) {
    const saved = await loadSplit(file, dataset);
    if (staleInputs(saved.inputs, inputs).length === 0) return saved;
  }
  return makeExperimentSplit(experiment, dataset, inputs);
}

/**
 * A finished run's validation and test values: from its `predictions.json` when that has both, else
 * recomputed with the saved model on the run's split (runs made before validation values were kept), its
 * pairs prepared for the run's model (derived here once: a finished run carries its config, not a resolved experiment).
 */
export async function runPredictions(result: ExperimentResult, dataset: Dataset): Promise<TestPredictions & { readonly val: NonNullable<TestPredictions['val']> }> {
  const stored = readRunPredictions(result.dir)?.model;
  if (stored?.val) return stored as TestPredictions & { val: NonNullable<TestPredictions['val']> };
  const split = await loadSplit(path.join(result.dir, 'split.json'), dataset);
  const model = await loadModel(path.join(result.dir, 'model'));
  try {
    const { predictions } = await evaluate(model, siameseOutput(result.config.head), split.pairs, dataset, preprocessingFor(result.config.model), result.config.seed,
      result.config.flipTest ?? false);
    return predictions as TestPredictions & { val: NonNullable<TestPredictions['val']> };
  } finally {
    model.dispose();
  }
}

/**
 * The trained model of a run, training it first if needed, with the resolved experiment (its `preprocessing`
 * is how the model's crops are prepared). The caller disposes the model.
 */
export async function loadOrTrain(input: ExperimentInput = {}, options: RunOptions = {}): Promise<{ model: tf.LayersModel; result: ExperimentResult; experiment: ResolvedExperiment }> {
  const experiment = resolveExperiment(input);
  const result = await runResolvedExperiment(experiment, options);
  const model = await loadModel(path.join(result.dir, 'model'));
  return { model, result, experiment };
}
