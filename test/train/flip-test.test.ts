/**
 * Flip test-time augmentation in an experiment (`flipTest`, lib/train/experiment.ts): training is unchanged, the
 * test is scored on mirror-averaged embeddings, the result keeps the test without the flip, and leaving it off is
 * the config (and run key) of runs made before the option existed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../lib/backend';
import { resolveExperiment, runExperiment, runKey } from '../../lib/train';
import { Dataset } from '../../lib/data';
import { tempRuns, tinyConfig, tinyFaces } from './fixtures';

const quiet = { log: () => undefined, progress: 'none' as const };

test('flipTest: the same training, the test scored with the flip, and the test without it kept beside it', { timeout: 300_000 }, async () => {
  await initBackend({ quiet: true });
  const dir = await tinyFaces();
  const extra = { epochs: 1, augment: 'none', workers: 1 } as const;
  const plain = await runExperiment(tinyConfig(dir, extra), { ...quiet, runsDir: tempRuns() });
  const flipped = await runExperiment(tinyConfig(dir, { ...extra, flipTest: true }), { ...quiet, runsDir: tempRuns() });
  assert.equal(plain.testWithoutFlip, undefined);
  assert.equal(flipped.history[0].trainLoss, plain.history[0].trainLoss, 'training does not see the flip');
  assert.deepEqual(flipped.testWithoutFlip, plain.test, 'the result keeps the plain test of the same weights');
  assert.notDeepEqual(flipped.test, plain.test, 'the flip changes the test values');
  assert.notEqual(flipped.history[0].valAuc === plain.history[0].valAuc && flipped.history[0].valLoss === plain.history[0].valLoss, true,
    'validation is scored with the flip too');
  assert.deepEqual(flipped.rawPixels, plain.rawPixels, 'raw pixels are never flipped');
});

test('flipTest false is the config without it (old run keys keep); anything but a boolean is refused', async () => {
  const ds = await Dataset.open(await tinyFaces(), { cache: null });
  assert.equal('flipTest' in resolveExperiment({ flipTest: false }).config, false);
  assert.equal(await runKey(resolveExperiment({ flipTest: false }).config, ds), await runKey(resolveExperiment({}).config, ds));
  assert.notEqual(await runKey(resolveExperiment({ flipTest: true }).config, ds), await runKey(resolveExperiment({}).config, ds));
  assert.throws(() => resolveExperiment({ flipTest: 'yes' as unknown as boolean }), /flipTest/);
});
