/**
 * predictPairs scores an unaugmented epoch from each distinct image's embedding (PairPipeline.distinctImages):
 * the same outputs and loss as applying the Siamese model to each batch of pairs, the pipeline left where
 * epoch() leaves it, and the pair path kept wherever a batch is not a function of its images alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { Dataset, makePairList, type Pair, type PairList } from '../../lib/data';
import { siamese, siameseOutput, workshopCnn, type SiameseHead } from '../../lib/models';
import { createPairPipeline, type PipelineConfigInput } from '../../lib/pipeline';
import { predictPairs, type LossConfig } from '../../lib/train';
import { tinyFaces } from './fixtures';

const SIZE = 16;

/** 30 pairs over the set's images, most images in several pairs, in an order that is not by image. */
function pairsOf(ds: Dataset): PairList {
  const people = ds.people;
  const list: Pair[] = [];
  for (let i = 0; list.length < 30; i++) {
    const p = people[i % people.length];
    const q = people[(i * 5 + 3) % people.length];
    const [x, y] = [ds.images(p), ds.images(q)];
    list.push(i % 3 === 0
      ? { a: { person: p, file: x[i % x.length] }, b: { person: p, file: x[(i + 1) % x.length] }, isSame: 1 }
      : { a: { person: p, file: x[(i * 7) % x.length] }, b: { person: q, file: y[i % y.length] }, isSame: 0 });
  }
  return makePairList('predict', list);
}

function pipelineOf(ds: Dataset, pairs: PairList, extra: PipelineConfigInput = {}) {
  return createPairPipeline(pairs, ds, { batchSize: 7, preprocessing: { size: SIZE }, augment: 'none', shuffle: false, worker: false, prefetch: 0, ...extra });
}

function modelOf(head: SiameseHead, normalize: boolean): tf.LayersModel {
  const net = workshopCnn({ inputSize: SIZE, filters: [4, 8], kernelSizes: [3, 3], embeddingDim: 8, seed: 5 });
  return siamese(net, { head, normalize, seed: 2 });
}

const LOSSES: Record<SiameseHead, LossConfig> = {
  euclidean: { name: 'contrastive', margin: 1 },
  cosine: { name: 'contrastive', margin: 0.5 },
  bceConcat: { name: 'bce' },
  bceAbsDiff: { name: 'bce' },
};

function close(a: readonly number[], b: readonly number[], what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-6 * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('by distinct images: the outputs and loss of the pairs path, every head, with and without the flip, nothing leaked', { timeout: 120_000 }, async () => {
  await initBackend({ quiet: true });
  const ds = await Dataset.open(await tinyFaces(), { cache: null });
  const pairs = pairsOf(ds);
  for (const head of ['euclidean', 'cosine', 'bceConcat', 'bceAbsDiff'] as const) {
    const model = modelOf(head, head !== 'bceConcat');
    const output = siameseOutput(head);
    for (const flip of [false, true]) {
      const byImage = await pipelineOf(ds, pairs);
      const byPair = await pipelineOf(ds, pairs);
      const plan = byImage.distinctImages()!;
      assert.ok(plan.count < 2 * plan.pairs.length && plan.count > 0 && plan.pairs.length === 30, `${plan.count} distinct images in ${plan.pairs.length} pairs`);
      const before = tf.memory().numTensors;
      const fast = await predictPairs(model, byImage, LOSSES[head], output, flip);
      assert.equal(tf.memory().numTensors, before, `${head}${flip ? ' flip' : ''}: no tensor left behind`);
      const slow = await predictPairs(model, byPair, LOSSES[head], output, flip, false);
      close(fast.values, slow.values, `${head}${flip ? ' flip' : ''} values`);
      assert.deepEqual(fast.isSame, slow.isSame);
      close([fast.loss!], [slow.loss!], `${head} loss`);
      assert.deepEqual(byImage.position, byPair.position, 'both paths leave the pipeline at the next epoch');
      assert.deepEqual(byImage.position, { epoch: 1, batch: 0 });
      // a second epoch scores the same again
      close((await predictPairs(model, byImage, null, output, flip)).values, slow.values, `${head} second epoch`);
      await byImage.close();
      await byPair.close();
    }
    model.dispose();
  }
});

test('a shuffled epoch is scored in the order epoch() hands it out; dropLast leaves out what epoch() leaves out', { timeout: 60_000 }, async () => {
  await initBackend({ quiet: true });
  const ds = await Dataset.open(await tinyFaces(), { cache: null });
  const pairs = pairsOf(ds);
  const model = modelOf('euclidean', true);
  const output = siameseOutput('euclidean');
  for (const extra of [{ shuffle: true, seed: 4 }, { shuffle: true, seed: 4, dropLast: true }]) {
    const a = await pipelineOf(ds, pairs, extra);
    const b = await pipelineOf(ds, pairs, extra);
    for (let epoch = 0; epoch < 2; epoch++) {
      const fast = await predictPairs(model, a, null, output);
      const slow = await predictPairs(model, b, null, output, false, false);
      close(fast.values, slow.values, `epoch ${epoch} ${JSON.stringify(extra)}`);
      assert.deepEqual(fast.isSame, slow.isSame);
      assert.equal(fast.values.length, extra.dropLast ? 28 : 30);
    }
    await a.close();
    await b.close();
  }
  model.dispose();
});

test('distinctImages is null where a batch is not a function of its images alone: augmentation, or an epoch begun', { timeout: 60_000 }, async () => {
  await initBackend({ quiet: true });
  const ds = await Dataset.open(await tinyFaces(), { cache: null });
  const pairs = pairsOf(ds);
  const augmented = await pipelineOf(ds, pairs, { augment: 'default' });
  assert.equal(augmented.distinctImages(), null);
  await augmented.close();
  const begun = await pipelineOf(ds, pairs);
  (await begun.next()).dispose();
  assert.equal(begun.distinctImages(), null);
  // and predictPairs then scores the rest of the epoch pair by pair, as before
  const model = modelOf('euclidean', true);
  const rest = await predictPairs(model, begun, null, siameseOutput('euclidean'));
  assert.equal(rest.values.length, 30 - 7);
  const plan = begun.distinctImages()!;
  const images = plan.images(4);
  (await begun.next()).dispose();
  await assert.rejects(images.next(), /moved/, 'a pipeline moved since the listing is refused');
  await begun.close();
  model.dispose();
});
