// A tiny synthetic face set and a tiny experiment config shared by the training tests.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureSynthetic } from '../../lib/data';
import type { ExperimentInput } from '../../lib/train';

/** 12 people x 4 images at 32 px, generated once per process into a temp folder. */
let made: Promise<string> | null = null;
export function tinyFaces(): Promise<string> {
  made ??= (async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-train-')), 'faces');
    await ensureSynthetic(dir, { people: 12, perPerson: 4, size: 32, seed: 3, devTrainPairs: 10, devTestPairs: 5, folds: 2, foldPairs: 4 });
    return dir;
  })();
  return made;
}

/** A config small enough to train in seconds: a 16 px two-block CNN, 24 training pairs in batches of 8. */
export function tinyConfig(dir: string, extra: ExperimentInput = {}): ExperimentInput {
  return {
    name: 'tiny',
    data: { dir, split: { preset: 'default', peopleFractions: { train: 0.5, val: 0.25, test: 0.25 }, numPairs: { train: 24, val: 8, test: 8 } }, splitSeed: 1 },
    model: { kind: 'workshopCnn', options: { inputSize: 16, filters: [4, 8], kernelSizes: [3, 3], embeddingDim: 8 } },
    epochs: 2,
    batchSize: 8,
    augment: 'default',
    ...extra,
  };
}

export function tempRuns(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-runs-'));
}
