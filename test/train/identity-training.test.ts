// Training with identity sampling (lib/pipeline/identity-sampler.ts through lib/train/experiment.ts): triplet loss
// on P×K batches and contrastive on identity-sampled pairs, their config checks, a real learning check on held-out
// synthetic people, no tensor leak, and bit-identical resumption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { ensureSynthetic } from '../../lib/data';
import { readWeights } from '../../lib/models';
import { readCheckpoint, resolveExperiment, runExperiment, type ExperimentInput } from '../../lib/train';
import { tempRuns, tinyConfig, tinyFaces } from './fixtures';

const quiet = { log: () => undefined, progress: 'none' as const };
const TRIPLET: ExperimentInput = { loss: { name: 'triplet', margin: 0.2 }, sampling: { name: 'identityPK', perPerson: 4 }, head: 'euclidean' };

function weightsOf(dir: string): Map<string, Buffer> {
  const weights = readWeights(path.join(dir, 'model'));
  const out = new Map(weights.map((w) => [w.name, Buffer.from((w.tensor.dataSync() as Float32Array).buffer)]));
  tf.dispose(weights.map((w) => w.tensor));
  return out;
}

test('the config checks name the field and say what would work', () => {
  assert.throws(() => resolveExperiment({ loss: { name: 'triplet', margin: 0.2 } }),
    /loss triplet needs batches of several images per person: set "sampling" to \{"name": "identityPK"\}.*got the given pairs/);
  assert.throws(() => resolveExperiment({ loss: { name: 'triplet', margin: 0.2 }, sampling: { name: 'identityPairs' } }), /got sampling "identityPairs"/);
  assert.throws(() => resolveExperiment({ ...TRIPLET, head: 'bceConcat' }), /loss triplet needs head euclidean or cosine/);
  assert.throws(() => resolveExperiment({ ...TRIPLET, loss: { name: 'triplet' } as never }), /"loss\.margin" is required for loss triplet/);
  assert.throws(() => resolveExperiment({ ...TRIPLET, loss: { name: 'triplet', margin: 0.2, mining: 'hard' as never } }), /"loss\.mining" must be one of batchHard, all, got "hard"/);
  assert.throws(() => resolveExperiment({ sampling: { name: 'identityPK' }, loss: { name: 'bce' }, head: 'bceConcat' }),
    /sampling identityPK makes P×K batches whose given pairs are all same-person pairs; loss bce would learn nothing/);
  assert.throws(() => resolveExperiment({ sampling: { name: 'identityPK' }, loss: { name: 'contrastive', margin: 1, pairs: 'given' } }), /loss contrastive with pairs 'given' would learn nothing/);
  assert.throws(() => resolveExperiment({ ...TRIPLET, sampling: { name: 'identityPK', perPersn: 4 } as never }), /unknown key "sampling\.perPersn" in experiment config: did you mean "sampling\.perPerson"\?/);
  assert.throws(() => resolveExperiment({ ...TRIPLET, sampling: { name: 'identityPk' } as never }), /"sampling\.name" must be one of given, identityPairs, identityPK, got "identityPk": did you mean "identityPK"\?/);
  assert.throws(() => resolveExperiment({ ...TRIPLET, batchSize: 30, sampling: { name: 'identityPK', perPerson: 8 } }), /"sampling\.perPerson" \(8\) must divide the batch's 60 identity images \(2 × batchSize 30\)/);
  assert.throws(() => resolveExperiment({ sampling: { name: 'identityPairs', pairsPerEpoch: 10 } }, 'run.json'), /run\.json: "sampling\.pairsPerEpoch" must be an integer >= batchSize \(32\)/);
  // contrastive over every pair of a P×K batch, and any loss on identity-sampled pairs, are fine
  assert.equal(resolveExperiment({ sampling: { name: 'identityPK' } }).config.loss.name, 'contrastive');
  assert.equal(resolveExperiment({ sampling: { name: 'identityPairs' }, loss: { name: 'bce' }, head: 'bceConcat' }).config.sampling?.name, 'identityPairs');
  // the given pairs, written out or left out, are one config (one run key)
  assert.deepEqual(resolveExperiment({ sampling: { name: 'given' } }).config, resolveExperiment({}).config);
  assert.equal('sampling' in resolveExperiment({}).config, false, 'the default config has no sampling key, so old runs keep their keys');
});

test('triplet loss on P×K batches separates held-out synthetic people, leaking no tensor', { timeout: 300_000 }, async () => {
  await initBackend({ quiet: true });
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-triplet-')), 'faces');
  await ensureSynthetic(dir, { people: 40, perPerson: 6, size: 48, seed: 5, devTrainPairs: 10, devTestPairs: 5, folds: 2, foldPairs: 4 });
  const config: ExperimentInput = {
    ...TRIPLET, name: 'triplet-learns',
    data: { dir, split: { preset: 'default', peopleFractions: { train: 0.5, val: 0.2, test: 0.3 }, numPairs: { train: 96, val: 60, test: 100 } }, splitSeed: 1 },
    model: { kind: 'workshopCnn', options: { inputSize: 24, filters: [8, 16, 32], kernelSizes: [3, 3, 3], embeddingDim: 32 } },
    epochs: 12, batchSize: 16, augment: 'default', optimizer: { name: 'adam', lr: 3e-3 }, schedule: { name: 'cosine' },
  };
  const lines: string[] = [];
  const perEpoch: number[] = [];
  const before = tf.memory().numTensors;
  const r = await runExperiment(config, { progress: 'none', log: (l) => void lines.push(l), runsDir: tempRuns(), onEpoch: () => void perEpoch.push(tf.memory().numTensors) });
  assert.equal(tf.memory().numTensors, before, `tensors before the run ${before}, after ${tf.memory().numTensors}`);
  assert.ok(perEpoch.slice(1).every((n) => n === perEpoch[1]), `tensors after each epoch: ${perEpoch.join(', ')}`);
  assert.match(lines.join('\n'), /P×K batches: 8 identities × 4 images, 6 batches per epoch from 20 training people/);
  assert.equal(r.history.length, 12);
  assert.ok(r.history.every((h) => Number.isFinite(h.trainLoss) && Number.isFinite(h.valLoss!)));
  // 100 test pairs of 12 people the network never saw: chance is AUC 0.5, raw pixels 0.57, and the same network untrained
  // (lr 1e-9, otherwise this config) 0.65; trained it reaches 0.80
  assert.ok(r.test.auc >= 0.75, `held-out AUC ${r.test.auc.toFixed(3)} (raw pixels ${r.rawPixels.auc.toFixed(3)}; untrained about 0.65)`);
  assert.ok(r.test.auc >= r.rawPixels.auc + 0.1, `held-out AUC ${r.test.auc.toFixed(3)} does not beat raw pixels ${r.rawPixels.auc.toFixed(3)} by 0.1`);
});

test('a triplet run that crashes mid-epoch resumes from its checkpoint and ends bit-identical to an uninterrupted one', { timeout: 300_000 }, async () => {
  const dir = await tinyFaces();
  const config = tinyConfig(dir, TRIPLET); // 6 training people, P = 4 x K = 4, 3 batches per epoch
  const whole = await runExperiment(config, { ...quiet, runsDir: tempRuns() });
  const runs = tempRuns();
  await assert.rejects(runExperiment(config, {
    ...quiet, runsDir: runs, checkpointEvery: 1, onStep: (s) => { if (s === 4) throw new Error('simulated crash'); },
  }), /simulated crash/);
  const ckpt = readCheckpoint<{ epoch: number; batchInEpoch: number }>(path.join(runs, path.basename(whole.dir), 'checkpoints', 'last.ckpt'));
  assert.deepEqual([ckpt.meta.epoch, ckpt.meta.batchInEpoch], [1, 1], 'the checkpoint is mid-epoch 2');
  const resumed = await runExperiment(config, { ...quiet, runsDir: runs });
  assert.deepEqual(weightsOf(resumed.dir), weightsOf(whole.dir));
  assert.deepEqual(resumed.history.map((h) => h.trainLoss), whole.history.map((h) => h.trainLoss));
  const other = await runExperiment(tinyConfig(dir, { ...TRIPLET, seed: 7 }), { ...quiet, runsDir: tempRuns() });
  assert.notDeepEqual(other.history.map((h) => h.trainLoss), whole.history.map((h) => h.trainLoss), 'another seed draws other batches');
});

test('contrastive loss trains on identity-sampled pairs, fresh each epoch', { timeout: 300_000 }, async () => {
  const dir = await tinyFaces();
  const lines: string[] = [];
  const r = await runExperiment(tinyConfig(dir, { loss: { name: 'contrastive', margin: 1 }, sampling: { name: 'identityPairs', pairsPerEpoch: 32 } }),
    { progress: 'none', log: (l) => void lines.push(l), runsDir: tempRuns() });
  assert.match(lines.join('\n'), /identity-sampled pairs: 32 fresh pairs per epoch \(50 % same person\) from 6 training people/);
  assert.equal(r.history.length, 2);
  assert.ok(r.history.every((h) => Number.isFinite(h.trainLoss) && h.valAuc !== null));
  assert.equal(r.config.sampling?.name, 'identityPairs');
});

test('a P×K batch the training people cannot fill is refused before anything trains, naming the run and what to change', { timeout: 300_000 }, async () => {
  const dir = await tinyFaces();
  const before = tf.memory().numTensors;
  await assert.rejects(runExperiment(tinyConfig(dir, { ...TRIPLET, batchSize: 16, sampling: { name: 'identityPK', perPerson: 2 } }), { ...quiet, runsDir: tempRuns() }),
    /experiment tiny: P×K batches of 16 identities × 2 images need 16 training people with 2\+ images; the training split has 6: lower batchSize or raise sampling\.perPerson/);
  assert.equal(tf.memory().numTensors, before);
});
