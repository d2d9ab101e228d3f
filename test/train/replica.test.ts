/**
 * Training on two threads (`workers: 2`, lib/train/replica.ts + lib/backend/parallel EmbeddingParallel): a pair
 * loss gives what one thread gives (the Siamese model embeds a and b in separate calls either way, so even the
 * batch-norm statistics agree), a BCE head trains from this thread's tape, runs are deterministic, a crash
 * resumes bit-identical, the run key says how many threads trained, and nothing leaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { readWeights } from '../../lib/models';
import { resolveExperiment, runExperiment, type ExperimentInput } from '../../lib/train';
import { tempRuns, tinyConfig, tinyFaces } from './fixtures';

const quiet = { log: () => undefined, progress: 'none' as const };

function weightsOf(dir: string): Map<string, Float32Array> {
  const weights = readWeights(path.join(dir, 'model'));
  const out = new Map(weights.map((w) => [w.name, (w.tensor.dataSync() as Float32Array).slice()]));
  tf.dispose(weights.map((w) => w.tensor));
  return out;
}

const pairLoss: ExperimentInput = { loss: { name: 'contrastive', margin: 1, pairs: 'given' }, augment: 'none', epochs: 1 };

test('two threads give one thread\'s losses for a pair loss, and their trainable weights agree', { timeout: 300_000 }, async () => {
  await initBackend({ quiet: true });
  const dir = await tinyFaces();
  const logs: string[] = [];
  const one = await runExperiment(tinyConfig(dir, pairLoss), { ...quiet, runsDir: tempRuns() });
  const two = await runExperiment(tinyConfig(dir, { ...pairLoss, workers: 2 }), { ...quiet, log: (l) => void logs.push(l), runsDir: tempRuns() });
  assert.ok(logs.some((l) => /training on 2 threads/.test(l)), 'the run says it trains on two threads');
  const [l1, l2] = [one.history[0].trainLoss, two.history[0].trainLoss];
  assert.ok(Math.abs(l1 - l2) <= 1e-5 * Math.abs(l1), `epoch 1 training loss: one thread ${l1}, two threads ${l2}`);
  const [w1, w2] = [weightsOf(one.dir), weightsOf(two.dir)];
  for (const [name, a] of w1) {
    if (/moving_(mean|variance)/.test(name)) continue; // updated once per step from the a images on two threads, twice on one
    const b = w2.get(name)!;
    const worst = a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
    assert.ok(worst < 1e-3, `${name}: largest difference ${worst}`);
  }
});

test('a BCE head trains on two threads: its weights get this thread\'s gradient', { timeout: 300_000 }, async () => {
  const dir = await tinyFaces();
  const bce: ExperimentInput = { head: 'bceAbsDiff', loss: { name: 'bce' }, augment: 'none', epochs: 1, normalize: false };
  const one = await runExperiment(tinyConfig(dir, bce), { ...quiet, runsDir: tempRuns() });
  const two = await runExperiment(tinyConfig(dir, { ...bce, workers: 2 }), { ...quiet, runsDir: tempRuns() });
  const [l1, l2] = [one.history[0].trainLoss, two.history[0].trainLoss];
  assert.ok(Math.abs(l1 - l2) <= 1e-5 * Math.abs(l1), `epoch 1 training loss: one thread ${l1}, two threads ${l2}`);
  const a = weightsOf(one.dir).get('head_bce_dense/kernel')!, b = weightsOf(two.dir).get('head_bce_dense/kernel')!;
  assert.ok(a.every((x, i) => Math.abs(x - b[i]) < 1e-4), 'the head moved the same way');
});

test('two threads: same seed, same weights; a crash resumes bit-identical; no tensor leak across epochs', { timeout: 300_000 }, async () => {
  const dir = await tinyFaces();
  const config = tinyConfig(dir, { workers: 2, epochs: 3 });
  const counts: number[] = [];
  const whole = await runExperiment(config, { ...quiet, runsDir: tempRuns(), onEpoch: () => void counts.push(tf.memory().numTensors) });
  assert.equal(counts[2], counts[1], `tensors after each epoch: ${counts.join(', ')}`);
  const again = await runExperiment(config, { ...quiet, runsDir: tempRuns() });
  assert.deepEqual(weightsOf(again.dir), weightsOf(whole.dir));
  const runs = tempRuns();
  await assert.rejects(runExperiment(config, {
    ...quiet, runsDir: runs, checkpointEvery: 1, onStep: (s) => { if (s === 4) throw new Error('simulated crash'); },
  }), /simulated crash/);
  const resumed = await runExperiment(config, { ...quiet, runsDir: runs });
  assert.deepEqual(weightsOf(resumed.dir), weightsOf(whole.dir));
  assert.deepEqual(resumed.history.map((h) => h.trainLoss), whole.history.map((h) => h.trainLoss));
});

test('workers: 1 resolves to a config without workers (the key of runs from before the choice); 2 is the default; anything else is refused', () => {
  assert.equal('workers' in resolveExperiment({ workers: 1 }).config, false);
  assert.equal(resolveExperiment({}).config.workers, 2);
  assert.deepEqual(resolveExperiment({ workers: 2 }).config, resolveExperiment({}).config);
  assert.throws(() => resolveExperiment({ workers: 3 as 2 }), /"workers" must be 1 or 2, got 3/);
});
