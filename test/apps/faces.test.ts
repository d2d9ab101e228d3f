import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { cacheVariantOf, descriptorsOf, embedPeople, fitThresholdOnPairs, indexDataset, retrievalScores, untrainedEmbedder } from '../../lib/apps';
import type { Verifier } from '../../lib/faces';
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

describe('cached descriptors of people', () => {
  it('descriptorsOf reads the variant made with the verifier\'s crop, so cached descriptors match its threshold', async () => {
    const ds = await Dataset.open(await tinyFaces(), { cache: null });
    const people = ds.people.slice(0, 2);
    const cache = new Map(people.flatMap((p) => ds.images(p).map((f) => [`${p}/${f}`, { square: [1, 0], chip: [0, 1], 'chip+mirror': [1, 1] }] as const)));
    const chipVerifier = { crop: 'chip' } as unknown as Verifier;
    const mirrorVerifier = { crop: 'chip', settings: { mirror: true } } as unknown as Verifier;
    assert.equal(cacheVariantOf('chip', true), 'chip+mirror');
    const mirrored = await descriptorsOf(ds, people, { cache, verifier: mirrorVerifier });
    assert.equal(mirrored.source, 'cached chip+mirror descriptors', 'a verifier whose settings say mirror reads the mirror-averaged variant');
    assert.ok(mirrored.embeddings.every((e) => e[0] === 1 && e[1] === 1));
    const boxVerifier = { crop: 'box' } as unknown as Verifier;
    assert.equal(cacheVariantOf('chip'), 'chip');
    const chip = await descriptorsOf(ds, people, { cache, verifier: chipVerifier });
    assert.equal(chip.source, 'cached chip descriptors');
    assert.ok(chip.embeddings.length > 0 && chip.embeddings.every((e) => e[1] === 1));
    const box = await descriptorsOf(ds, people, { cache, verifier: boxVerifier });
    assert.equal(box.source, 'cached square descriptors');
    assert.ok(box.embeddings.every((e) => e[0] === 1));
    assert.equal((await descriptorsOf(ds, people, { cache })).source, 'cached square descriptors', 'without a verifier: the cache\'s square variant, as before');
    assert.equal((await descriptorsOf(ds, people, { cache, variant: 'chip' })).source, 'cached chip descriptors');
  });
});
