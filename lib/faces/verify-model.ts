/**
 * The decision settings `siamese verify` uses for each embedder: the threshold, the uncertain band and how
 * they were obtained. They live in `lib/faces/verify-threshold.json` (committed, so a fresh clone verifies
 * without training) and are refitted by `bench/lfw-face-api.ts --write` on real LFW.
 *
 * @see notebooks/07-personal-images.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../util/paths';

/** The tuned model's name: face-api's ResNet with a top fine-tuned on LFW (bench/lfw-face-product.ts). */
export const TUNED_MODEL = 'face-api-tuned';

/** How one embedder decides, and where the numbers came from. */
export interface VerifyModelSettings {
  /** Decision threshold in the embedder's units (accept on the close side or equal). */
  readonly threshold: number;
  /** Values within this of the threshold answer "uncertain". */
  readonly uncertainBand: number;
  readonly higherIsCloser: boolean;
  /** What the threshold was fitted on. */
  readonly fittedOn: string;
  /** The command that refits it. */
  readonly command: string;
  /** The crop the threshold was fitted on (`'chip'` or `'box'`; absent in files written before crops had names). */
  readonly cropKind?: 'chip' | 'box';
  /**
   * The embedding is the mean of the crop's and its mirror image's (absent: the crop's alone). The threshold was
   * fitted on such embeddings, so the embedder must make them the same way.
   */
  readonly mirror?: boolean;
  /** A trained model's weights manifest, relative to the project root (absent for face-api's own weights). */
  readonly weights?: string;
  readonly [extra: string]: unknown;
}

/**
 * The settings entry of `model` used with `crop`: the model's name for dlib's face chip (the default crop),
 * `<model>:box` for the squared aligned box. Each entry records its `cropKind`.
 */
export function verifySettingsKey(model: string, crop: 'chip' | 'box'): string {
  return crop === 'chip' ? model : `${model}:${crop}`;
}

/** The committed settings file. */
export function verifyModelsFile(): string {
  return path.join(projectRoot(), 'lib', 'faces', 'verify-threshold.json');
}

/** Reads the settings of `model` (throws naming the file and the models it has, if absent or malformed). */
export function readVerifyModel(model: string, file = verifyModelsFile()): VerifyModelSettings {
  let all: Record<string, VerifyModelSettings>;
  try {
    all = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, VerifyModelSettings>;
  } catch (err) {
    throw new Error(`cannot read verification settings ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); refit with bench/lfw-face-api.ts --write`);
  }
  const s = all[model];
  if (!s) throw new Error(`${file} has no settings for model ${JSON.stringify(model)} (it has: ${Object.keys(all).join(', ') || 'none'})`);
  for (const k of ['threshold', 'uncertainBand'] as const) {
    if (typeof s[k] !== 'number' || !Number.isFinite(s[k])) throw new Error(`${file}: ${model}.${k} must be a finite number, got ${JSON.stringify(s[k])}`);
  }
  if (typeof s.higherIsCloser !== 'boolean') throw new Error(`${file}: ${model}.higherIsCloser must be true or false, got ${JSON.stringify(s.higherIsCloser)}`);
  return s;
}

/** Whether the settings file has an entry for `model` (false when the file is missing or unreadable). */
export function hasVerifyModel(model: string, file = verifyModelsFile()): boolean {
  try {
    return model in (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>);
  } catch {
    return false;
  }
}

/** Writes (or replaces) the settings of `model`, keeping the others; returns the file. */
export function writeVerifyModel(model: string, settings: VerifyModelSettings, file = verifyModelsFile()): string {
  const all = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, VerifyModelSettings> : {};
  all[model] = settings;
  fs.writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  return file;
}

/** The weights manifest that `model`'s settings name (absolute); throws when they name none or it is missing. */
export function settingsWeightsFile(model: string, settings: VerifyModelSettings | undefined): string {
  if (typeof settings?.weights !== 'string') throw new Error(`the settings of model ${JSON.stringify(model)} name no weights file (its entry's field "weights", a path from the project root)`);
  const file = path.resolve(projectRoot(), settings.weights);
  if (!fs.existsSync(file)) throw new Error(`model ${JSON.stringify(model)}: its weights ${file} are missing; retrain with bench/lfw-face-product.ts --write`);
  return file;
}

/** One model's scores on View 1's test pairs of one kind (bench/lfw-face-product.ts writes them in its settings' `view1`). */
interface View1Score {
  readonly threshold: number;
  readonly testAccuracy: number;
  readonly testAuc: number;
  /** At the threshold the model uses on photos (the one fitted on the originals). */
  readonly testAccuracyAtThreshold: number;
}

/**
 * The shipped tuned model's View 1 test scores against face-api zero-shot with the mirror, per kind of pair (LFW's
 * originals, their tight crops), as table rows. Throws naming the file when the settings lack them.
 * @see notebooks/06-test-evaluation.ipynb
 */
export function tunedModelRows(settings: VerifyModelSettings = readVerifyModel(TUNED_MODEL), file = verifyModelsFile()): Record<string, string>[] {
  const view1 = settings.view1 as Record<string, { tuned?: View1Score; zeroShotMirror?: View1Score }> | undefined;
  if (!view1 || typeof view1 !== 'object') throw new Error(`${file}: ${TUNED_MODEL} has no view1 scores; retrain with bench/lfw-face-product.ts --write`);
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  return Object.entries(view1).flatMap(([pairs, m]) => ([['face-api zero-shot + mirror', m.zeroShotMirror], [TUNED_MODEL, m.tuned]] as const).map(([model, s]) => {
    if (!s || typeof s.testAccuracyAtThreshold !== 'number') throw new Error(`${file}: ${TUNED_MODEL}.view1.${pairs} lacks the scores of ${model}`);
    return { 'View 1 test pairs': pairs, model, 'accuracy at its threshold for photos': pct(s.testAccuracyAtThreshold), 'accuracy, threshold fitted on these crops': pct(s.testAccuracy), AUC: s.testAuc.toFixed(4) };
  }));
}
