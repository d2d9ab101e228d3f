import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { embedPeople, fitThresholdOnPairs, indexDataset, retrievalScores, untrainedEmbedder } from '../../lib/apps';
import { Dataset } from '../../lib/data';
import { resolveExperiment } from '../../lib/train';
import { tinyConfig, tinyFaces } from '../train/fixtures';

describe('embeddings of people before training', () => {
  it('untrainedEmbedder is deterministic (the run\'s seed), embedPeople keeps the tensor count flat', async () => {
    const dir = await tinyFaces();
    const ds = await Dataset.open(dir, { cache: null });
    const config = resolveExperiment(tinyConfig(dir));
    const people = ds.people.slice(0, 3);
    const a = untrainedEmbedder(config, 'a'), b = untrainedEmbedder(config, 'b');
    await embedPeople(ds, people, [a]);
    const before = tf.memory().numTensors;
    const out = await embedPeople(ds, people, [a, b], 2);
    assert.equal(tf.memory().numTensors, before, 'embedding leaked tensors');
    assert.equal(out.refs.length, 6);
    assert.deepEqual(out.persons, [people[0], people[0], people[1], people[1], people[2], people[2]]);
    assert.deepEqual(out.embeddings.a, out.embeddings.b, 'same seed, same initial weights, same embeddings');
    const other = untrainedEmbedder(resolveExperiment(tinyConfig(dir, { seed: 7 })), 'c');
    assert.notDeepEqual((await embedPeople(ds, people, [other], 2)).embeddings.c, out.embeddings.a);
    const index = await indexDataset(ds, out.refs, a);
    assert.equal(index.size, 6);
    assert.equal(index.search(out.embeddings.a[0], 1)[0].index, 0);
    assert.equal(retrievalScores(out.embeddings.a, out.persons).queries, 6);
    const t = await fitThresholdOnPairs(ds, [{ a: out.refs[0], b: out.refs[1], isSame: 1 }, { a: out.refs[0], b: out.refs[2], isSame: 0 }], a);
    assert.ok(Number.isFinite(t));
    await assert.rejects(fitThresholdOnPairs(ds, [], a), /no pairs to fit a's threshold on/);
  });
});
