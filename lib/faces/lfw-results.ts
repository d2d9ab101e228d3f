/**
 * The measured real-face results of face-api's ResNet (zero-shot on two crops, and fine-tuned by the
 * project), committed in `lib/faces/lfw-results.json` by `bench/lfw-face-tune.ts --write`, so notebook 06
 * can show them on a machine without LFW (where they cannot be recomputed) and say how they were measured.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../util/paths';

/** One row of a results table: column name to printed value. */
export type ResultRow = Readonly<Record<string, string>>;

/** The committed record. */
export interface LfwResults {
  /** When and how it was measured. */
  readonly measuredAt: string;
  readonly command: string;
  readonly machine: string;
  /** LFW View 2, 10 folds: one row per model. */
  readonly view2: readonly ResultRow[];
  /** Detection on the pair images and on all of LFW. */
  readonly detection: string;
  /** The fine-tuned model's paired gain over zero-shot chip, per fold, in points. */
  readonly gain: string;
  /** The MobileNetV3 notebook's split protocol over several split seeds (rows per seed, and the mean). */
  readonly splits: readonly ResultRow[];
  readonly splitsSummary: string;
  /** What the numbers mean, in a few sentences. */
  readonly reading: string;
  /** View 2's pairs made of tight crops (bench/lfw-tight-crops.ts), each fold by its own tuned top: detection and AUC. */
  readonly tight?: string;
}

/** The committed file. */
export function lfwResultsFile(): string {
  return path.join(projectRoot(), 'lib', 'faces', 'lfw-results.json');
}

const FIELDS: readonly (keyof LfwResults)[] = ['measuredAt', 'command', 'machine', 'view2', 'detection', 'gain', 'splits', 'splitsSummary', 'reading'];

/**
 * Reads the committed record; throws naming the file and the first missing or malformed field.
 * @see notebooks/06-test-evaluation.ipynb
 */
export function readLfwResults(file = lfwResultsFile()): LfwResults {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot read the LFW results ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); rewrite them with \`LFW_DIR=<lfw> npx tsx bench/lfw-face-tune.ts --write\``);
  }
  for (const k of FIELDS) {
    const v = r[k];
    const ok = k === 'view2' || k === 'splits' ? Array.isArray(v) && v.every((row) => row && typeof row === 'object') : typeof v === 'string';
    if (!ok) throw new Error(`${file}: field ${k} is missing or malformed (got ${JSON.stringify(v)?.slice(0, 60)})`);
  }
  if (r.tight !== undefined && typeof r.tight !== 'string') throw new Error(`${file}: field tight is malformed (got ${JSON.stringify(r.tight)?.slice(0, 60)})`);
  return r as unknown as LfwResults;
}

/**
 * Writes the record (from bench/lfw-face-tune.ts); returns the file.
 * @see notebooks/06-test-evaluation.ipynb
 */
export function writeLfwResults(results: LfwResults, file = lfwResultsFile()): string {
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  readLfwResults(file);
  return file;
}
