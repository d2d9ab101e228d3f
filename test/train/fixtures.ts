// A tiny synthetic face set and a tiny experiment config shared by the training tests.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureSynthetic } from '../../lib/data';
import { TRUNK_SIZE } from '../../lib/faces/recognition-net';
import { Rng } from '../../lib/util/rng';
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

/**
 * A trunk cache (lib/faces/trunk-cache.ts) of made-up "trunk activations" for the given people's images: a
 * person's direction in an 8-dimensional subspace plus loud noise everywhere (the mirror view: the same plus a
 * little more noise), so face-api's top, never trained on them, separates the people only a little and a tuned
 * top can do better. Images are written in the order given.
 */
export function writeFakeTrunkCache(dir: string, people: readonly (readonly [string, readonly string[]])[], seed = 11): void {
  const rng = new Rng(seed);
  const basis = Array.from({ length: 8 }, () => Float32Array.from({ length: TRUNK_SIZE }, () => rng.normal()));
  const index: string[] = [];
  const floats: Float32Array[] = [];
  for (const [, refs] of people) {
    const code = Array.from({ length: 8 }, () => rng.normal());
    for (const ref of refs) {
      const rec = new Float32Array(2 * TRUNK_SIZE);
      for (let j = 0; j < TRUNK_SIZE; j++) {
        let v = 0.4 + 0.6 * rng.normal();
        for (let k = 0; k < 8; k++) v += 0.12 * code[k] * basis[k][j];
        rec[j] = Math.max(0, v);
        rec[TRUNK_SIZE + j] = Math.max(0, v + 0.05 * rng.normal());
      }
      index.push(JSON.stringify({ ref, found: 'tiny', faces: 1, shard: 0, index: floats.length }));
      floats.push(rec);
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index-0.jsonl'), `${index.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'trunk-0.f32'), Buffer.concat(floats.map((f) => Buffer.from(f.buffer))));
}
