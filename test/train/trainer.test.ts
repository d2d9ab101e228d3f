import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { readWeights } from '../../lib/models';
import { NonFiniteLossError, readCheckpoint, readRunResult, runExperiment } from '../../lib/train';
import { tempRuns, tinyConfig, tinyFaces } from './fixtures';

const quiet = { log: () => undefined, progress: 'none' as const };

function weightsOf(dir: string): Map<string, Buffer> {
  const weights = readWeights(path.join(dir, 'model'));
  const out = new Map(weights.map((w) => [w.name, Buffer.from((w.tensor.dataSync() as Float32Array).buffer)]));
  tf.dispose(weights.map((w) => w.tensor));
  return out;
}

test('a run writes its folder, and the same config returns the cached result without training', { timeout: 300_000 }, async () => {
  await initBackend({ quiet: true });
  const dir = await tinyFaces();
  const runs = tempRuns();
  const first = await runExperiment(tinyConfig(dir), { ...quiet, runsDir: runs });
  assert.equal(first.cached, false);
  for (const f of ['config.json', 'split.json', 'metrics.jsonl', 'result.json', 'model/model.json', 'checkpoints/last.ckpt']) {
    assert.ok(fs.existsSync(path.join(first.dir, f)), `${f} written`);
  }
  const lines = fs.readFileSync(path.join(first.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.epoch), [1, 2]);
  assert.ok(lines.every((l) => Number.isFinite(l.trainLoss) && l.valAuc >= 0 && l.valAuc <= 1));
  const t0 = performance.now();
  const again = await runExperiment(tinyConfig(dir), { ...quiet, runsDir: runs });
  assert.equal(again.cached, true);
  assert.ok(performance.now() - t0 < 2000, 'the cached result comes back at once');
  assert.deepEqual(again.test, first.test);
  assert.notEqual((await runExperiment(tinyConfig(dir, { seed: 5 }), { ...quiet, runsDir: runs })).dir, first.dir, 'another config, another run');
});

test('same seed, same weights; another seed, other weights', { timeout: 300_000 }, async () => {
  const dir = await tinyFaces();
  const a = await runExperiment(tinyConfig(dir, { epochs: 1 }), { ...quiet, runsDir: tempRuns() });
  const b = await runExperiment(tinyConfig(dir, { epochs: 1 }), { ...quiet, runsDir: tempRuns() });
  const c = await runExperiment(tinyConfig(dir, { epochs: 1, seed: 9 }), { ...quiet, runsDir: tempRuns() });
  assert.deepEqual(weightsOf(b.dir), weightsOf(a.dir));
  assert.notDeepEqual(weightsOf(c.dir), weightsOf(a.dir));
});

test('a run that crashes mid-epoch resumes from its checkpoint and ends bit-identical to an uninterrupted one', { timeout: 300_000 }, async () => {
  const dir = await tinyFaces();
  const whole = await runExperiment(tinyConfig(dir), { ...quiet, runsDir: tempRuns() });
  const runs = tempRuns();
  // 3 steps per epoch: crash after step 4, i.e. inside epoch 2, with a checkpoint after every step
  await assert.rejects(runExperiment(tinyConfig(dir), {
    ...quiet, runsDir: runs, checkpointEvery: 1, onStep: (s) => { if (s === 4) throw new Error('simulated crash'); },
  }), /simulated crash/);
  const ckpt = readCheckpoint<{ epoch: number; batchInEpoch: number }>(path.join(runs, path.basename(whole.dir), 'checkpoints', 'last.ckpt'));
  assert.deepEqual([ckpt.meta.epoch, ckpt.meta.batchInEpoch], [1, 1], 'the checkpoint is mid-epoch 2');
  const resumed = await runExperiment(tinyConfig(dir), { ...quiet, runsDir: runs });
  assert.deepEqual(weightsOf(resumed.dir), weightsOf(whole.dir));
  assert.deepEqual(resumed.history.map((h) => h.trainLoss), whole.history.map((h) => h.trainLoss));
});

test('a non-finite loss stops the run with the step and the likely cause, keeping the last good checkpoint', { timeout: 300_000 }, async () => {
  const dir = await tinyFaces();
  const runs = tempRuns();
  const err = await runExperiment(tinyConfig(dir, { optimizer: { name: 'sgd', lr: 3e38, momentum: 0 }, normalize: false, epochs: 3 }), { ...quiet, runsDir: runs })
    .then(() => null, (e: unknown) => e);
  assert.ok(err instanceof NonFiniteLossError, `expected NonFiniteLossError, got ${String(err)}`);
  assert.match(err.message, /(loss became (NaN|Infinity) at|validation outputs became (NaN|Infinity) after) step \d+ \(epoch \d, batch \d, lr 3e\+38\); likely causes: a learning rate too high/);
  const last = path.join(runs, fs.readdirSync(runs)[0], 'checkpoints', 'last.ckpt');
  if (err.step > 3) {
    const ckpt = readCheckpoint<{ step: number }>(last);
    assert.ok(ckpt.meta.step < err.step, 'the checkpoint predates the bad step');
    assert.ok([...ckpt.tensors.values()].every((t) => t.values.every(Number.isFinite)), 'the kept checkpoint is finite');
  }
  assert.equal(readRunResult(path.dirname(path.dirname(last))), null, 'no result is written for a failed run');
});

test('training does not leak tensors across epochs', { timeout: 300_000 }, async () => {
  const dir = await tinyFaces();
  const counts: number[] = [];
  await runExperiment(tinyConfig(dir, { epochs: 3 }), { ...quiet, runsDir: tempRuns(), onEpoch: () => void counts.push(tf.memory().numTensors) });
  assert.equal(counts.length, 3);
  assert.equal(counts[2], counts[1], `tensors after each epoch: ${counts.join(', ')}`);
});
