import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Dataset, ensureSynthetic, makeView2FoldSplit, readOfficialPairs } from '../../lib/data';
import { fixedRule, readRunResult, resolveExperiment, runDir, trainPerFold, foldExperiment, type ExperimentInput } from '../../lib/train';
import { tempRuns } from './fixtures';

/** 18 people x 4 images at 32 px with a View 2 of 3 person-disjoint folds (4 same + 4 different pairs each). */
async function threeFolds(): Promise<string> {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-perfold-')), 'faces');
  await ensureSynthetic(dir, { people: 18, perPerson: 4, size: 32, seed: 5, devTrainPairs: 10, devTestPairs: 5, folds: 3, foldPairs: 4 });
  return dir;
}

const tiny = (): ExperimentInput => ({
  name: 'tiny-v2',
  model: { kind: 'workshopCnn', options: { inputSize: 16, filters: [4, 8], kernelSizes: [3, 3], embeddingDim: 8 } },
  loss: { name: 'contrastive', margin: 1 },
  epochs: 1,
  batchSize: 8,
  augment: 'none',
});

describe('View 2 per fold', () => {
  let faces: string;
  before(async () => {
    await tf.setBackend('cpu');
    faces = await threeFolds();
  });

  it('splits a fold: the fold tests, the next validates, the rest train, no person shared', async () => {
    const ds = await Dataset.open(faces, { cache: null });
    const list = await readOfficialPairs(path.join(faces, 'pairs.txt'));
    const split = await makeView2FoldSplit(ds, 2);
    const inFold = (k: number) => list.pairs.filter((_, i) => list.folds[i] === k);
    assert.deepEqual(split.pairs.test, inFold(2));
    assert.deepEqual(split.pairs.val, inFold(0));
    assert.deepEqual(split.pairs.train, inFold(1));
    for (const s of ['train', 'val'] as const) assert.ok(split.people[s].every((p) => !split.people.test.includes(p)));
    await assert.rejects(makeView2FoldSplit(ds, 3), /View 2 fold must be one of 0, 1, 2 \(0-based\) in .*pairs\.txt, got 3/);
    assert.throws(() => resolveExperiment({ data: { protocol: 'view2' } }), /data\.fold must be a fold number >= 0 with protocol 'view2'/);
    assert.throws(() => resolveExperiment({ data: { fold: 1 } }), /and only then/);
  });

  it('trains one run per fold, calibrated on its validation fold, resumable from the run cache', async () => {
    const runsDir = tempRuns();
    const r = await trainPerFold(tiny(), { dir: faces, folds: [0, 2], runsDir, progress: 'none', log: () => {} });
    assert.deepEqual(r.folds, [0, 2]);
    assert.deepEqual(r.calibrated.folds.map((f) => f.fold), [0, 2]);
    for (const [i, k] of r.folds.entries()) {
      const run = readRunResult(await runDir(resolveExperiment(foldExperiment(tiny(), k, faces)).config, await Dataset.open(faces, { cache: null }), runsDir))!;
      // the same threshold and accuracy as the run itself: fitted on its validation fold, applied to its test fold
      assert.equal(r.calibrated.folds[i].threshold, run.test.threshold);
      assert.equal(r.calibrated.folds[i].accuracy, run.test.accuracy);
      assert.equal(r.calibrated.folds[i].nTrain, 8);
      assert.equal(r.calibrated.folds[i].nTest, 8);
      assert.equal(r.rawPixels.accuracies[i], run.rawPixels.accuracy);
    }
    assert.deepEqual(fixedRule(tiny()), { threshold: 1, rule: 'distance <= margin 1' });
    // nothing retrains: the summary without training gives the same numbers and lists the untrained fold
    const again = await trainPerFold(tiny(), { dir: faces, runsDir, train: false, log: () => {} });
    assert.deepEqual(again.folds, [0, 2]);
    assert.deepEqual(again.missing, [1]);
    assert.deepEqual(again.calibrated, r.calibrated);
    assert.deepEqual(again.auc, r.auc);
    await assert.rejects(trainPerFold(tiny(), { dir: faces, runsDir: tempRuns(), train: false, log: () => {} }), /no View 2 fold has been trained yet \(missing folds 1, 2, 3\)/);
  });
});
