/**
 * What `siamese eval` runs: one model scored on one protocol, as a table row.
 *
 * - **Held-out split** (the default data): the pairs of the people a run never saw. The threshold is fitted
 *   on the validation people's pairs only and applied to the test pairs: accuracy with a bootstrap interval,
 *   AUC, EER, TAR at FAR 1e-2 and 1e-3 (`summarizeModel`). Untrained models are scored on the same split as
 *   the `default` experiment (or `splitOf`'s), so all rows share their test people.
 * - **LFW View 2** (`pairs.txt`, 10 folds): everything fitted on the other folds only, mean ± standard error
 *   over the folds, after checking that no test fold shares a person or image with its training folds.
 *
 * Models: `raw-pixels`; `face-api` (the frozen dlib descriptor, zero-shot, on the squared landmark box);
 * `face-api:chip` (the same on dlib's face chip); `face-api+head` (a head trained on its descriptors: on the
 * split's training pairs, or per fold); `face-api-tuned` (View 2 only: the ResNet's top fine-tuned per fold,
 * lib/train/face-tune.ts); or a trained network: an experiment preset
 * (trained if not cached; per fold on View 2) or a run folder name under artifacts/runs.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openData } from '../data/resolve';
import { refKey, type Dataset } from '../data/dataset';
import { view2PairList } from '../data/split';
import type { IsSame, Pair, PairList } from '../data/types';
import { assertNoFoldLeakage, auc, crossValidate, crossValidateWith, fixedVsCalibrated, summarizeFolds, summarizeModel, type CrossValidation } from '../eval';
import { embedDataset, pairImages, pairValues, rawPixelsEmbedder, readEmbeddingCache, type EmbeddingRecord } from '../faces';
import { euclideanDistance } from '../distances/arrays';
import { faceApiEmbedder, type FaceEmbedder } from '../faces/face-embedder';
import { artifactsDir } from '../util/paths';
import { stream } from '../util/streams';
import { experimentSplit, readRunResult, resolveExperiment, runDir, runExperiment, runPredictions, type ExperimentInput, type ExperimentResult, type RunOptions } from './experiment';
import { trainHead, type HeadConfig } from './head';
import { describeCached, resolveFaceTune, tuneView2, type FaceTuneConfig, type FaceTuneFold } from './face-tune';
import { loadRecognitionNet, OPEN_BLOCKS, type RecognitionNet } from '../faces/recognition-net';
import { deriveTrunkCache, emptyFoundCounts, fillTrunkCache, lfwTrunkDir, TrunkCache, type TrunkFoundBy } from '../faces/trunk-cache';
import { trainPerFold } from './per-fold';
import { EXPERIMENT_PRESETS } from './presets';

/** The frozen models `siamese eval` knows besides presets and runs. */
export const EVAL_BASELINES = ['raw-pixels', 'face-api', 'face-api:chip', 'face-api+head', 'face-api-tuned'] as const;

/** Options of {@link evaluateModel}. */
export interface EvaluateOptions {
  /** A baseline (`raw-pixels`, `face-api`, `face-api+head`), an experiment preset, or a run folder name. */
  readonly model: string;
  /** An LFW folder: evaluate on View 2. Absent: the held-out split of the default data. */
  readonly lfw?: string;
  /** View 2 folds to test (0-based; default all). */
  readonly folds?: readonly number[];
  /** false: never train; a preset without a cached run (or fold) is an error (or a missing fold). */
  readonly train?: boolean;
  /** Bootstrap resamples for the held-out interval. */
  readonly bootstrap?: number;
  /** The experiment whose split untrained models are scored on (default `default`). */
  readonly splitOf?: string;
  /** The descriptor cache of `bench/lfw-face-api.ts` (default artifacts/eval/lfw-face-api.jsonl). */
  readonly descriptors?: string;
  readonly head?: Partial<HeadConfig>;
  /** `face-api-tuned`: how to fine-tune. */
  readonly tune?: Partial<FaceTuneConfig>;
  /** The trunk-activation cache (default artifacts/faces/lfw-trunk-2: lfwTrunkDir). */
  readonly trunkCache?: string;
  /**
   * `face-api-tuned`: View 2's pairs also scored from other copies of their images, keyed by a name (e.g.
   * `{ tight: '<folder of tight crops, LFW names>' }`, bench/lfw-tight-crops.ts), each fold by its own tuned
   * top. Each copy is described into its own trunk cache, artifacts/faces/lfw-<name>-trunk.
   */
  readonly alsoScoreFrom?: Readonly<Record<string, string>>;
  /** Root of run folders (default artifacts/runs). */
  readonly runsDir?: string;
  /** Where the report's JSON goes (default artifacts/eval). */
  readonly outDir?: string;
  readonly log?: (line: string) => void;
}

/** One model on one protocol: the printed row and everything behind it. */
export interface EvaluationReport {
  readonly protocol: 'held-out split' | 'LFW View 2';
  readonly model: string;
  readonly description: string;
  /** Trained on data outside the evaluation's training folds (LFW asks to say so). */
  readonly outsideData: boolean;
  readonly row: Record<string, string | number>;
  readonly details: Record<string, unknown>;
  /** Where the JSON was written. */
  readonly file: string;
}

/** The default descriptor cache written by bench/lfw-face-api.ts. */
export function faceApiDescriptorFile(): string {
  return artifactsDir('eval', 'lfw-face-api.jsonl');
}

type Kind = { kind: 'baseline'; name: typeof EVAL_BASELINES[number] } | { kind: 'preset'; input: ExperimentInput } | { kind: 'run'; result: ExperimentResult };

function resolveModel(model: string, runsDir: string): Kind {
  if ((EVAL_BASELINES as readonly string[]).includes(model)) return { kind: 'baseline', name: model as typeof EVAL_BASELINES[number] };
  if (EXPERIMENT_PRESETS[model]) return { kind: 'preset', input: EXPERIMENT_PRESETS[model] };
  const result = /^[\w.-]+$/.test(model) ? readRunResult(path.join(runsDir, model)) : null;
  if (result) return { kind: 'run', result };
  throw new RangeError(`unknown model ${JSON.stringify(model)}: use ${EVAL_BASELINES.join(', ')}, an experiment preset (${Object.keys(EXPERIMENT_PRESETS).join(', ')}) ` +
    `or the folder name of a finished run in ${runsDir}`);
}

const pct = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(2) : 'n/a');
const meanSe = (m: number, se: number): string => `${pct(m)} ± ${pct(se)}`;

/** Scores `options.model` on the held-out split or on LFW View 2 and writes the report as JSON. */
export async function evaluateModel(options: EvaluateOptions): Promise<EvaluationReport> {
  const log = options.log ?? ((l: string) => console.log(l));
  const runsDir = options.runsDir ?? artifactsDir('runs');
  const kind = resolveModel(options.model, runsDir);
  const report = options.lfw ? await view2(kind, options, options.lfw, runsDir, log) : await heldOut(kind, options, runsDir, log);
  const file = path.join(options.outDir ?? artifactsDir('eval'), `eval-${options.lfw ? 'view2' : 'heldout'}-${options.model.replace(/[^\w.+-]/g, '_')}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const out = { ...report, file, date: new Date().toISOString() };
  fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

function embedderOf(name: 'raw-pixels' | 'face-api'): Promise<FaceEmbedder> {
  return name === 'raw-pixels' ? Promise.resolve(rawPixelsEmbedder()) : faceApiEmbedder();
}

/** Values of `pairs` from embedding records (every image must be there). */
function valuesOf(pairs: readonly Pair[], records: ReadonlyMap<string, EmbeddingRecord>, variant: string, compare: (a: number[], b: number[]) => number): { values: number[]; isSame: IsSame[] } {
  const vec = (r: Pair['a']): number[] => records.get(refKey(r))![variant] as number[];
  return { values: pairs.map((p) => compare(vec(p.a), vec(p.b))), isSame: pairs.map((p) => p.isSame) };
}

async function heldOut(kind: Kind, options: EvaluateOptions, runsDir: string, log: (l: string) => void): Promise<Omit<EvaluationReport, 'file'>> {
  const { data, dataset } = await openData({ log });
  const rng = stream(0, 'bootstrap');
  const boot = options.bootstrap ? { resamples: options.bootstrap } : {};
  if (kind.kind === 'baseline') {
    if (kind.name === 'face-api:chip' || kind.name === 'face-api-tuned') throw new RangeError(`${kind.name} is scored on LFW View 2 only (from photos of real faces): give --lfw <dir> or set LFW_DIR`);
    const splitOf = options.splitOf ?? 'default';
    const input = EXPERIMENT_PRESETS[splitOf];
    if (!input) throw new RangeError(`--split-of ${JSON.stringify(splitOf)} is not an experiment preset (${Object.keys(EXPERIMENT_PRESETS).join(', ')})`);
    const split = await experimentSplit(input, dataset, runsDir);
    const name = kind.name === 'face-api+head' ? 'face-api' : kind.name;
    const embedder = await embedderOf(name);
    const pairs = kind.name === 'face-api+head' ? [...split.pairs.train, ...split.pairs.val, ...split.pairs.test] : [...split.pairs.val, ...split.pairs.test];
    log(`${kind.name}: embedding ${pairImages(pairs).length} images of ${data.root} (the split of experiment ${splitOf})`);
    const records = await embedDataset(dataset, pairImages(pairs), embedder);
    let compare = embedder.compare as (a: number[], b: number[]) => number;
    if (kind.name === 'face-api+head') {
      const vec = (r: Pair['a']): number[] => records.get(refKey(r))![name] as number[];
      const t = split.pairs.train;
      const head = trainHead({ a: t.map((p) => vec(p.a)), b: t.map((p) => vec(p.b)), isSame: t.map((p) => p.isSame) }, options.head);
      compare = head.compare;
    }
    const val = valuesOf(split.pairs.val, records, name, compare);
    const test = valuesOf(split.pairs.test, records, name, compare);
    const row = summarizeModel(kind.name, val, test, embedder, rng, boot);
    return { protocol: 'held-out split', model: kind.name, description: embedder.description, outsideData: embedder.outsideData, row, details: { data: data.root, splitOf, val, test } };
  }
  const result = kind.kind === 'run' ? kind.result : await trainedResult(kind.input, options, runsDir, log, { data, dataset });
  const preds = await runPredictions(result, dataset);
  const dir = { higherIsCloser: preds.higherIsCloser };
  const row = summarizeModel(result.name, preds.val, { values: preds.values, isSame: preds.isSame }, dir, rng, boot);
  return {
    protocol: 'held-out split', model: result.name, description: `${result.config.model.kind} trained by the project (run ${path.basename(result.dir)})`,
    outsideData: false, row, details: { data: data.root, run: result.dir, val: preds.val, test: { values: preds.values, isSame: preds.isSame } },
  };
}

async function trainedResult(input: ExperimentInput, options: EvaluateOptions, runsDir: string, log: (l: string) => void,
  opened: NonNullable<RunOptions['opened']>): Promise<ExperimentResult> {
  if (options.train === false) {
    // the run of this config on this data (the run key names the data)
    const cached = readRunResult(await runDir(resolveExperiment(input).config, opened.dataset, runsDir));
    if (!cached) throw new Error(`experiment ${JSON.stringify(input.name)} has no finished run in ${runsDir}, and --no-train was given`);
    return cached;
  }
  return runExperiment(input, { log, runsDir, opened });
}


/** The cross-validation restricted to `folds` (all when absent), summarised again. */
function onlyFolds(cv: CrossValidation, folds: readonly number[] | undefined): CrossValidation {
  if (!folds) return cv;
  const kept = cv.folds.filter((f) => folds.includes(f.fold));
  if (kept.length === 0) throw new RangeError(`--folds: none of ${folds.map((k) => k + 1).join(', ')} is a fold of this pair list (it has ${cv.folds.length})`);
  return { folds: kept, ...summarizeFolds(kept.map((f) => f.accuracy)) };
}

/** Per-fold AUCs of fixed values. */
function foldAucs(values: readonly number[], isSame: readonly IsSame[], folds: readonly number[], cv: CrossValidation, dir: { higherIsCloser: boolean }): number[] {
  return cv.folds.map((f) => {
    const idx = folds.flatMap((g, i) => (g === f.fold ? [i] : []));
    return auc(idx.map((i) => values[i]), idx.map((i) => isSame[i]), dir);
  });
}

async function view2(kind: Kind, options: EvaluateOptions, lfw: string, runsDir: string, log: (l: string) => void): Promise<Omit<EvaluationReport, 'file'>> {
  const { dataset } = await openData({ dir: lfw, log });
  const list = await view2PairList(dataset);
  const leaks = assertNoFoldLeakage(list);
  const leakage = `checked: no test fold shares a person or image with its training folds (${leaks.length} folds)`;
  const row = (model: string, accuracy: string, aucText: string, fixed: string, folds: number, outside: boolean): Record<string, string | number> =>
    ({ model, folds, 'accuracy % (mean ± s.e.)': accuracy, 'AUC (mean ± s.e.)': aucText, 'fixed rule %': fixed, 'outside training data': outside ? 'yes' : 'no' });
  if (kind.kind === 'baseline' && (kind.name === 'face-api:chip' || kind.name === 'face-api-tuned')) {
    return chipModels(kind.name, list, dataset, options, leakage, row, log);
  }
  if (kind.kind === 'baseline') {
    let values: number[], isSame: IsSame[], folds: number[];
    let description: string;
    let outside: boolean;
    let descriptors: Map<string, EmbeddingRecord> | null = null;
    if (kind.name === 'raw-pixels') {
      const embedder = rawPixelsEmbedder();
      log(`raw-pixels: embedding ${pairImages(list.pairs).length} View 2 images of ${dataset.root}`);
      const records = await embedDataset(dataset, pairImages(list.pairs), embedder);
      ({ values, isSame, folds } = pairValues(list, records, embedder.name, embedder.compare));
      description = embedder.description;
      outside = false;
    } else {
      const file = options.descriptors ?? faceApiDescriptorFile();
      if (!fs.existsSync(file)) throw new Error(`no face-api descriptors at ${file}: compute them once with \`LFW_DIR=${lfw} npx tsx bench/lfw-face-api.ts --variants square\` (detect, align, describe every LFW pair image; about 25 min on two cores, resumable)`);
      descriptors = readEmbeddingCache(file);
      const p = pairValues(list, descriptors, 'square', euclideanDistance);
      if (p.missing.length) throw new Error(`${file} lacks descriptors for ${p.missing.length} View 2 pairs (first: pair ${p.missing[0] + 1}); complete it with \`LFW_DIR=${lfw} npx tsx bench/lfw-face-api.ts --variants square\` (resumable)`);
      ({ values, isSame, folds } = p);
      description = 'dlib ResNet face descriptor from @vladmandic/face-api (detected, aligned, 150 px crops; trained on outside data)';
      outside = true;
    }
    const dir = { higherIsCloser: false };
    if (kind.name === 'face-api+head') {
      const records = descriptors!;  // read above: face-api+head uses face-api's descriptors
      const ab = list.pairs.map((pr) => [records.get(refKey(pr.a))!.square, records.get(refKey(pr.b))!.square] as [number[], number[]]);
      const aucs: number[] = [];
      const cv = await crossValidateWith(isSame, folds, ({ train, test }) => {
        const h = trainHead({ a: train.map((i) => ab[i][0]), b: train.map((i) => ab[i][1]), isSame: train.map((i) => isSame[i]) }, options.head);
        const v = (idx: readonly number[]) => idx.map((i) => h.compare(ab[i][0], ab[i][1]));
        const testValues = v(test);
        aucs.push(auc(testValues, test.map((i) => isSame[i]), dir));
        return { ...dir, train: v(train), test: testValues };
      }, { only: options.folds });
      const a = summarizeFolds(aucs);
      return {
        protocol: 'LFW View 2', model: kind.name, description: `${description}, plus an MLP head trained per fold on the other folds' pairs`, outsideData: true,
        row: row(kind.name, meanSe(cv.mean, cv.stdError), `${a.mean.toFixed(4)} ± ${a.stdError.toFixed(4)}`, '–', cv.folds.length, true),
        details: { leakage, folds: cv.folds, aucs },
      };
    }
    const fixedAll = kind.name === 'face-api' ? fixedVsCalibrated(values, isSame, folds, dir, 0.6) : null;
    const cv = onlyFolds(fixedAll?.calibrated ?? crossValidate(values, isSame, folds, dir), options.folds);
    const fixedAcc = fixedAll ? fixedAll.calibrated.folds.flatMap((f, i) => (cv.folds.includes(f) ? [fixedAll.fixed.accuracies[i]] : [])) : null;
    const fixed = fixedAll && fixedAcc ? { fixed: { accuracies: fixedAcc, ...summarizeFolds(fixedAcc) } } : null;
    const aucs = foldAucs(values, isSame, folds, cv, dir);
    const a = summarizeFolds(aucs);
    return {
      protocol: 'LFW View 2', model: kind.name, description, outsideData: outside,
      row: row(kind.name, meanSe(cv.mean, cv.stdError), `${a.mean.toFixed(4)} ± ${a.stdError.toFixed(4)}`, fixed ? `${meanSe(fixed.fixed.mean, fixed.fixed.stdError)} (distance <= 0.6, dlib's rule)` : '–', cv.folds.length, outside),
      details: { leakage, folds: cv.folds, aucs, fixed: fixed?.fixed },
    };
  }
  if (kind.kind === 'run') throw new Error(`run ${path.basename(kind.result.dir)} was trained once, not per fold: on View 2 give an experiment preset, which is trained on each fold's other folds`);
  const r = await trainPerFold(kind.input, { dir: lfw, folds: options.folds, train: options.train, log, runsDir, progress: 'none' });
  const name = r.name;
  return {
    protocol: 'LFW View 2', model: name, description: `${kind.input.model?.kind ?? 'network'} trained per fold by the project`, outsideData: false,
    row: row(name, meanSe(r.calibrated.mean, r.calibrated.stdError), `${r.auc.mean.toFixed(4)} ± ${r.auc.stdError.toFixed(4)}`,
      `${meanSe(r.fixed.mean, r.fixed.stdError)} (${r.fixed.rule})`, r.folds.length, false),
    details: { leakage, folds: r.calibrated.folds, missingFolds: r.missing, aucs: r.auc.perFold, fixed: r.fixed, rawPixelsSameFolds: r.rawPixels, trainSeconds: r.trainSeconds, runs: r.runDirs },
  };
}

/** Per-fold scores of View 2's test pairs read from another copy of their images (`face-api-tuned`'s `details.also`). */
export interface OtherCacheSummary {
  readonly folds: readonly number[];
  readonly found: Readonly<Record<string, number>>;
  readonly zeroShotAuc: PerFold;
  readonly tunedAuc: PerFold;
  readonly zeroShotAccuracy: PerFold;
  readonly tunedAccuracy: PerFold;
  readonly zeroShotFlipAuc?: PerFold;
  readonly zeroShotFlipAccuracy?: PerFold;
}

/** Per-fold values and their mean ± s.e. */
type PerFold = { readonly perFold: readonly number[]; readonly mean: number; readonly stdError: number };

/**
 * One line on View 2's pairs made of tight crops (`face-api-tuned`'s `details.also.tight`): how their faces were found,
 * AUC per fold, accuracy, tuned against zero-shot with the same mirror averaging. `siamese eval --tight` and the bench print it.
 */
export function tightPairsSummary(t: OtherCacheSummary): string {
  const f = t.found;
  const images = Object.values(f).reduce((a, b) => a + b, 0);
  const per = (x: PerFold) => x.perFold.map((v) => v.toFixed(4)).join(', ');
  return `tight crops (48-128 px, wide or tall, a third grey) of the test pairs' ${images} images over ${t.folds.length} folds: `
    + `found by ${Object.entries(f).filter(([k, v]) => v > 0 && k !== 'fixed').map(([k, v]) => `${k} ${v}`).join(', ')} (+pad: on the padded crop, +eq: on the contrast-equalised crop, +low: only at the rescue passes' lowered score), no face ${f.fixed} (LFW's fixed chip, counted); `
    + `AUC tuned ${t.tunedAuc.mean.toFixed(4)} ± ${t.tunedAuc.stdError.toFixed(4)} (per fold: ${per(t.tunedAuc)}; lowest ${Math.min(...t.tunedAuc.perFold).toFixed(4)}), `
    + `zero-shot ${t.zeroShotAuc.mean.toFixed(4)} ± ${t.zeroShotAuc.stdError.toFixed(4)}${t.zeroShotFlipAuc ? `, zero-shot with the mirror ${t.zeroShotFlipAuc.mean.toFixed(4)} ± ${t.zeroShotFlipAuc.stdError.toFixed(4)} (per fold: ${per(t.zeroShotFlipAuc)})` : ''}; `
    + `accuracy tuned ${pctSe(t.tunedAccuracy)} %, zero-shot ${pctSe(t.zeroShotAccuracy)} %${t.zeroShotFlipAccuracy && t.zeroShotFlipAuc ? `, zero-shot with the mirror ${pctSe(t.zeroShotFlipAccuracy)} %; `
      + `tuned minus zero-shot with the mirror, paired per fold: AUC ${pairedGain(t.tunedAuc.perFold, t.zeroShotFlipAuc.perFold, 1, 4)}, accuracy ${pairedGain(t.tunedAccuracy.perFold, t.zeroShotFlipAccuracy.perFold, 100, 2)} points` : ''}`;
}

/** 100 x a mean ± s.e. as `m ± s`. */
function pctSe(x: { mean: number; stdError: number }): string {
  return `${(100 * x.mean).toFixed(2)} ± ${(100 * x.stdError).toFixed(2)}`;
}

/** The paired per-fold difference a − b, times `scale`, as mean ± s.e. */
function pairedGain(a: readonly number[], b: readonly number[], scale: number, digits: number): string {
  const g = summarizeFolds(a.map((x, i) => scale * (x - b[i])));
  return `${g.mean >= 0 ? '+' : ''}${g.mean.toFixed(digits)} ± ${g.stdError.toFixed(digits)}`;
}

/**
 * Makes the LFW trunk cache of `copy` (absent: the originals') `open` blocks short of the trunk's output from one
 * further short that holds every image of `refs` (trunk-cache.ts deriveTrunkCache: seconds, where filling detects
 * and describes each photo again). Returns whether it did.
 */
function deriveFromFurther(net: RecognitionNet, copy: string | undefined, open: number, refs: readonly string[], log: (l: string) => void): boolean {
  for (let from = OPEN_BLOCKS.length; from > open; from--) {
    const dir = artifactsDir('faces', lfwTrunkDir(copy, from));
    if (!fs.existsSync(dir)) continue;
    const source = TrunkCache.open(dir);
    if (source.open !== from || !refs.every((r) => source.records.has(r))) continue;
    const to = artifactsDir('faces', lfwTrunkDir(copy, open));
    const started = Date.now();
    const { added } = deriveTrunkCache(net, source, open, to);
    log(`${to}: ${added} records made from ${dir} by running the trunk's ${from - open} block(s) after it (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    return true;
  }
  return false;
}

/**
 * `face-api:chip` and `face-api-tuned` on View 2, from the trunk-activation cache (filled first where it
 * lacks an image: detection, chip and trunk once per photo, resumable).
 */
async function chipModels(name: 'face-api:chip' | 'face-api-tuned', list: PairList, dataset: Dataset, options: EvaluateOptions, leakage: string,
  row: (model: string, accuracy: string, aucText: string, fixed: string, folds: number, outside: boolean) => Record<string, string | number>,
  log: (l: string) => void): Promise<Omit<EvaluationReport, 'file'>> {
  const net = loadRecognitionNet();
  try {
    // a tuning that trains the trunk's last blocks too reads the activations before them
    const open = name === 'face-api-tuned' ? resolveFaceTune(options.tune).open ?? 0 : 0;
    const cacheDir = options.trunkCache ?? artifactsDir('faces', lfwTrunkDir(undefined, open));
    const pairRefs = pairImages(list.pairs).map(refKey);
    // fine-tuning uses every image of the pairs' people (View 2's unrestricted setting)
    const people = new Set(list.pairs.flatMap((p) => [p.a.person, p.b.person]));
    const refs = name === 'face-api:chip' ? pairRefs
      : [...people].sort().flatMap((person) => dataset.refs(person).map(refKey));
    let cache = TrunkCache.declare(cacheDir, open);
    let todo = refs.filter((r) => !cache.records.has(r));
    if (todo.length && !options.trunkCache && deriveFromFurther(net, undefined, open, todo, log)) {
      cache = TrunkCache.open(cacheDir);
      todo = refs.filter((r) => !cache.records.has(r));
    }
    if (todo.length) {
      if (options.train === false) throw new Error(`${cacheDir} lacks ${todo.length} of the ${refs.length} images ${name} needs (first: ${todo[0]}), and --no-train was given`);
      log(`${name}: describing ${todo.length} of ${refs.length} images into ${cacheDir} (detect, chip, trunk: about 0.15 s an image; resumable)`);
      const started = Date.now();
      const filled = await fillTrunkCache(net, dataset.root, todo, cacheDir, 0, (d, n) => {
        if (d % 500 === 0) log(`  ${d}/${n} (${((Date.now() - started) / d).toFixed(0)} ms an image)`);
      });
      for (const e of filled.errors) log(`  skipped ${e}`);
      cache = TrunkCache.open(cacheDir);
    }
    const found = emptyFoundCounts();
    for (const r of pairRefs) { const rec = cache.records.get(r); if (rec) found[rec.found]++; }
    const detection = `pair images, by the detection pass that found the face: ${Object.entries(found).filter(([k, v]) => v > 0 || k === 'fixed').map(([k, v]) => `${k === 'fixed' ? 'none (LFW\'s fixed chip used, counted)' : k} ${v}`).join(', ')}`;
    const dir = { higherIsCloser: false };
    if (name === 'face-api:chip') {
      const desc = new Map(pairRefs.map((r, i) => [r, i]));
      const d = describeCached(net.top, cache, pairRefs, false);
      const values = list.pairs.map((p) => euclideanDistance(d[desc.get(refKey(p.a))!], d[desc.get(refKey(p.b))!]));
      const isSame = list.pairs.map((p) => p.isSame);
      const fixedAll = fixedVsCalibrated(values, isSame, list.folds, dir, 0.6);
      const cv = onlyFolds(fixedAll.calibrated, options.folds);
      const fixedAcc = fixedAll.calibrated.folds.flatMap((f, i) => (cv.folds.includes(f) ? [fixedAll.fixed.accuracies[i]] : []));
      const fixed = summarizeFolds(fixedAcc);
      const aucs = foldAucs(values, isSame, list.folds, cv, dir);
      const a = summarizeFolds(aucs);
      return {
        protocol: 'LFW View 2', model: name, outsideData: true,
        description: "dlib ResNet face descriptor from @vladmandic/face-api on dlib's face chip (68 landmarks fitted to dlib's mean face, 150 px; trained on outside data)",
        row: row(name, meanSe(cv.mean, cv.stdError), `${a.mean.toFixed(4)} ± ${a.stdError.toFixed(4)}`, `${meanSe(fixed.mean, fixed.stdError)} (distance <= 0.6, dlib's rule)`, cv.folds.length, true),
        details: { leakage, detection, folds: cv.folds, aucs, fixed: { accuracies: fixedAcc, ...fixed } },
      };
    }
    const alsoScore: Record<string, TrunkCache> = {};
    const augment = resolveFaceTune(options.tune).augment ?? [];
    for (const copy of augment) {
      if (!options.alsoScoreFrom?.[copy]) throw new Error(`face-tune augment names the copy "${copy}", but no folder of it is given (alsoScoreFrom; bench/lfw-face-tune.ts --tight DIR)`);
    }
    for (const [other, root] of Object.entries(options.alsoScoreFrom ?? {})) {
      const dir = artifactsDir('faces', lfwTrunkDir(other, open));
      // a copy trained on needs every image of the pairs' people, one only scored needs the pair images
      const wanted = augment.includes(other) ? refs : pairRefs;
      const lacking = () => { const have = TrunkCache.declare(dir, open).records; return wanted.filter((ref) => !have.has(ref)); };
      let missing = lacking();
      if (missing.length && deriveFromFurther(net, other, open, missing, log)) missing = lacking();
      if (missing.length) {
        if (options.train === false) throw new Error(`${dir} lacks ${missing.length} of the ${wanted.length} images of ${root} it needs (first: ${missing[0]}), and --no-train was given`);
        log(`${name}: describing ${missing.length} images of ${root} into ${dir} (the ${other} copies)`);
        const filled = await fillTrunkCache(net, root, missing, dir, 0, (d, n) => { if (d % 500 === 0) log(`  ${d}/${n}`); });
        if (filled.errors.length) throw new Error(`${root}: ${filled.errors.length} images could not be read (first: ${filled.errors[0]})`);
      }
      alsoScore[other] = TrunkCache.open(dir);
    }
    const r = tuneView2(net, cache, list, options.tune, {
      folds: options.folds, train: options.train, log, ...(options.alsoScoreFrom ? { alsoScore } : {}),
      augment: Object.fromEntries(augment.map((copy) => [copy, alsoScore[copy]])),
    });
    if (r.folds.length === 0) throw new Error(`face-api-tuned: no fold is tuned yet in ${r.dir}, and --no-train was given`);
    const acc = r.folds.map((f) => f.tuned.accuracy);
    const zs = r.folds.map((f) => f.zeroShot.accuracy);
    const gain = r.folds.map((f, i) => acc[i] - zs[i]);
    const s = summarizeFolds(acc);
    const a = summarizeFolds(r.folds.map((f) => f.tuned.auc));
    const g = summarizeFolds(gain);
    // the same gain against zero-shot with the mirror image averaged in as well (test-time flip alone)
    const gainFlip = r.folds.map((f, i) => acc[i] - f.zeroShotFlip.accuracy);
    const gf = summarizeFolds(gainFlip);
    // per other copy: each fold's zero-shot and tuned test AUC and accuracy, and how its faces were found
    const also = Object.fromEntries(Object.keys(alsoScore).map((other) => {
      const done = r.folds.filter((f) => f.also?.[other]);
      const found = emptyFoundCounts();
      for (const f of done) for (const [k, v] of Object.entries(f.also![other].found)) found[k as TrunkFoundBy] += v;
      const of = (pick: (f: FaceTuneFold) => number) => ({ perFold: done.map(pick), ...summarizeFolds(done.map(pick)) });
      return [other, {
        folds: done.map((f) => f.fold), found,
        zeroShotAuc: of((f) => f.also![other].zeroShot.auc), tunedAuc: of((f) => f.also![other].tuned.auc),
        zeroShotAccuracy: of((f) => f.also![other].zeroShot.accuracy), tunedAccuracy: of((f) => f.also![other].tuned.accuracy),
        // with the mirror averaged in, as the tuned model describes a face: what the training itself adds on these photos
        ...(done.every((f) => f.also![other].zeroShotFlip) ? {
          zeroShotFlipAuc: of((f) => f.also![other].zeroShotFlip!.auc), zeroShotFlipAccuracy: of((f) => f.also![other].zeroShotFlip!.accuracy),
        } : {}),
      }];
    }));
    return {
      protocol: 'LFW View 2', model: name, outsideData: true,
      description: `face-api's ResNet, its top fine-tuned per fold (${r.config.loss}, all images of the training folds' people; early stopping and threshold on the validation fold${r.config.flip ? '; trained on chips and their mirror images, each test image described as the mean of both' : ''}${r.config.augment ? `; also trained on the ${r.config.augment.join(', ')} copies of the images` : ''}${r.config.withZeroShot ? "; each face described by the tuned top and face-api's own side by side (the distance: the root mean square of the two)" : ''}); gain over zero-shot chip on the same folds and threshold rule: ${meanSe(g.mean, g.stdError)} points${r.config.flip ? ` (over zero-shot with the same mirror averaging: ${meanSe(gf.mean, gf.stdError)})` : ''}`,
      row: row(name, meanSe(s.mean, s.stdError), `${a.mean.toFixed(4)} ± ${a.stdError.toFixed(4)}`, '–', r.folds.length, true),
      details: { leakage: `${leakage}; per fold, no training person or image is in its test or validation pairs (checked)`, detection, config: r.config, resultsDir: r.dir, folds: r.folds, missingFolds: r.missing, gain: { perFold: gain, ...g }, gainOverZeroShotFlip: { perFold: gainFlip, ...gf }, ...(Object.keys(also).length ? { also } : {}) },
    };
  } finally {
    net.dispose();
  }
}
