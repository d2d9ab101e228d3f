import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataset } from '../../lib/data';
import { EXPERIMENT_PRESETS, experimentPreset, experimentSplit, mergeExperiment, presetBudget, resolveExperiment, trainingSampler, trainingSteps } from '../../lib/train';
import { experimentFromFlags } from '../../lib/cli/commands/train';

test('every preset resolves', () => {
  for (const name of Object.keys(EXPERIMENT_PRESETS)) assert.doesNotThrow(() => resolveExperiment(experimentPreset(name), `preset ${name}`), name);
});

test('lfw-scratch trains from scratch on View 1 with identity sampling and triplet loss, at 64-112 px, and prints its budget', () => {
  const { config, preprocessing } = resolveExperiment(experimentPreset('lfw-scratch'));
  assert.equal(config.data.protocol, 'view1');
  assert.equal(config.loss.name, 'triplet');
  assert.equal(config.sampling?.name, 'identityPK');
  assert.notEqual(config.augment, 'none', 'augmentation stays on');
  assert.ok(preprocessing.size >= 64 && preprocessing.size <= 112, `input ${preprocessing.size} px`);
  assert.equal(config.model.kind, 'workshopCnn', 'from scratch: no pretrained weights');
  assert.equal(trainingSteps(config), 2400);
  assert.equal(config.flipTest, true, 'validated and tested with flip test-time augmentation');
  const line = presetBudget('lfw-scratch');
  assert.match(line ?? '', /^budget: 30 epochs × 80 steps = 2400 steps × 0\.6 s\/step ≈ 24 min of training on 2 cores, about 30 min with validation and the test \(step time measured: .*2026-12-03\)$/);
  // adjusted by flags, the budget follows the config
  const shorter = resolveExperiment(mergeExperiment(experimentPreset('lfw-scratch'), { epochs: 10 })).config;
  assert.match(presetBudget('lfw-scratch', shorter) ?? '', /10 epochs × 80 steps = 800 steps/);
  assert.equal(presetBudget('default'), null, 'no measured speed, no budget line');
  assert.equal(trainingSteps(resolveExperiment({}).config), null, 'the given pairs: steps depend on the data');
});

test('--margin keeps a triplet preset on triplet loss', () => {
  const flags = { preset: 'lfw-scratch', margin: '0.3' };
  assert.deepEqual(experimentFromFlags(flags).loss, { name: 'triplet', margin: 0.3, mining: 'batchHard' });
  assert.deepEqual(experimentFromFlags({ preset: 'quick', margin: '2' }).loss, { name: 'contrastive', margin: 2 });
});

const LFW_DIR = process.env.LFW_DIR;
const skip = LFW_DIR ? false : 'LFW_DIR is not set: point it at a real LFW folder (<LFW_DIR>/<Name>/<Name>_0001.jpg) to run these checks';

test('real LFW: lfw-scratch draws full P×K batches (and its negatives) of View 1 training people only', { skip }, async (t) => {
  const ds = await Dataset.open(LFW_DIR!, { cache: null });
  const input = mergeExperiment(experimentPreset('lfw-scratch'), { data: { dir: LFW_DIR! } });
  const split = await experimentSplit(input, ds);
  const sampler = trainingSampler(resolveExperiment(input).config, split, ds)!;
  const held = new Set([...split.people.val, ...split.people.test]);
  const pairs = sampler.epoch(0);
  assert.equal(pairs.length, 80 * 32);
  assert.ok(pairs.every((p) => !held.has(p.a.person) && !held.has(p.b.person)), 'no validation or test person is drawn');
  for (let b = 0; b < 80; b++) {
    const images = pairs.slice(b * 32, b * 32 + 32).flatMap((p) => [p.a.person, p.b.person]);
    assert.equal(new Set(images.slice(0, 56)).size, 14, `batch ${b}: 14 identities × 4 images`);
    assert.equal(new Set(images).size, 22, `batch ${b}: and 8 more people as negatives`);
  }
  const trainImages = sampler.people.reduce((n, p) => n + ds.images(p).length, 0);
  t.diagnostic(`${sampler.describe()}; ${trainImages} training images (the given pairs use ${new Set(split.pairs.train.flatMap((p) => [p.a.file, p.b.file])).size})`);
});
