// Identity sampling (lib/pipeline/identity-sampler.ts): person-disjoint, balanced, every person used, seeded,
// and carried through the pair pipeline (batches, resume) unchanged.
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { Dataset, makeSplit, refKey, type Pair } from '../../lib/data';
import { createIdentityPipeline, IdentitySampler, type IdentitySampling } from '../../lib/pipeline';
import { Rng } from '../../lib/util/rng';
import { makeLfwFolder, tempDir } from '../data/fixtures';

// 24 people: 16 with 2..7 images, 8 with a single image
const COUNTS = [2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 1, 1, 1, 1, 1, 1, 1, 1];
let tmp: { dir: string; cleanup: () => void };
let dataset: Dataset;
let people: string[];

before(async () => {
  tmp = tempDir('siamese-identity-');
  people = await makeLfwFolder(tmp.dir, COUNTS, 16);
  dataset = await Dataset.open(tmp.dir, { cache: null });
});
after(() => tmp.cleanup());

/** The training people: all but 2 multi-image and 2 single-image people, who are held out. */
function trainPeople(): { train: string[]; heldOut: string[] } {
  const heldOut = [people[0], people[5], people[16], people[17]];
  return { train: people.filter((p) => !heldOut.includes(p)), heldOut };
}

function sampler(sampling: IdentitySampling, extra: { seed?: number; batchSize?: number; defaultPairsPerEpoch?: number } = {}): IdentitySampler {
  const { train, heldOut } = trainPeople();
  return new IdentitySampler(dataset, train, sampling, { seed: extra.seed ?? 1, batchSize: extra.batchSize ?? 8, heldOut, defaultPairsPerEpoch: extra.defaultPairsPerEpoch ?? 64 });
}

const key = (pairs: readonly Pair[]): string => pairs.map((p) => `${refKey(p.a)}|${refKey(p.b)}|${p.isSame}`).join('\n');

describe('identityPairs', () => {
  it('draws balanced pairs of training people only, every multi-image person and every person used in an epoch', () => {
    const s = sampler({ name: 'identityPairs', pairsPerEpoch: 40 });
    const { train, heldOut } = trainPeople();
    const multi = train.filter((p) => dataset.images(p).length >= 2);
    assert.equal(s.multi.length, multi.length);
    for (let e = 0; e < 3; e++) {
      const pairs = s.epoch(e);
      assert.equal(pairs.length, 40);
      const same = pairs.filter((p) => p.isSame === 1);
      assert.equal(same.length, 20, 'half the pairs are same-person pairs');
      for (const p of pairs) {
        for (const r of [p.a, p.b]) {
          assert.ok(train.includes(r.person), `${r.person} is a training person`);
          assert.ok(!heldOut.includes(r.person));
          assert.ok(dataset.has(r), `${refKey(r)} exists`);
        }
        if (p.isSame) {
          assert.equal(p.a.person, p.b.person);
          assert.notEqual(p.a.file, p.b.file, 'a same-person pair is two distinct images');
        } else {
          assert.notEqual(p.a.person, p.b.person);
        }
      }
      assert.deepEqual([...new Set(same.map((p) => p.a.person))].sort(), multi, `epoch ${e}: every training person with 2+ images gives positives`);
      const inNegatives = new Set(pairs.filter((p) => !p.isSame).flatMap((p) => [p.a.person, p.b.person]));
      assert.deepEqual([...inNegatives].sort(), [...train].sort(), `epoch ${e}: every training person, single-image ones included, is in a negative`);
      assert.ok(train.filter((p) => dataset.images(p).length === 1).every((p) => inNegatives.has(p)));
    }
  });

  it('is a function of the seed and the epoch: same seed, same pairs; another seed or epoch, other pairs', () => {
    const a = sampler({ name: 'identityPairs' });
    const b = sampler({ name: 'identityPairs' });
    const c = sampler({ name: 'identityPairs' }, { seed: 2 });
    assert.equal(a.pairsPerEpoch, 64, 'default: as many pairs as the fixed list');
    assert.equal(key(a.epoch(3)), key(b.epoch(3)));
    assert.equal(key(a.epoch(0)), key(b.epoch(0)));
    assert.notEqual(key(a.epoch(0)), key(c.epoch(0)));
    assert.notEqual(key(a.epoch(0)), key(a.epoch(1)), 'fresh pairs each epoch');
    assert.equal(a.hash(), b.hash());
    assert.equal(a.hash(), c.hash(), 'the seed is not part of what the epochs are drawn from (the pipeline checks it separately)');
    assert.notEqual(a.hash(), sampler({ name: 'identityPairs', pairsPerEpoch: 32 }).hash());
  });

  it('honours sameFraction', () => {
    const pairs = sampler({ name: 'identityPairs', pairsPerEpoch: 40, sameFraction: 0.25 }).epoch(0);
    assert.equal(pairs.filter((p) => p.isSame).length, 10);
  });
});

describe('identityPK', () => {
  it('makes batches of P distinct identities x K images, covering every multi-image training person each epoch', () => {
    const s = sampler({ name: 'identityPK', perPerson: 4 }, { batchSize: 8, defaultPairsPerEpoch: 0 }); // P = 4
    const { train } = trainPeople();
    const multi = train.filter((p) => dataset.images(p).length >= 2);
    assert.equal(s.config.name === 'identityPK' && s.config.identities, 4);
    assert.equal(s.config.name === 'identityPK' && s.config.batchesPerEpoch, Math.ceil(multi.length / 4), 'default: one pass over the people');
    for (let e = 0; e < 3; e++) {
      const pairs = s.epoch(e);
      assert.equal(pairs.length, s.pairsPerEpoch);
      const seen = new Set<string>();
      for (let b = 0; b < pairs.length / 8; b++) {
        const batch = pairs.slice(b * 8, b * 8 + 8);
        const images = batch.flatMap((p) => [p.a, p.b]);
        const byPerson = new Map<string, string[]>();
        for (const r of images) byPerson.set(r.person, [...(byPerson.get(r.person) ?? []), r.file]);
        assert.equal(byPerson.size, 4, `epoch ${e} batch ${b}: P = 4 identities`);
        for (const [person, files] of byPerson) {
          seen.add(person);
          assert.ok(multi.includes(person), `${person} is a training person with 2+ images`);
          assert.equal(files.length, 4, 'K = 4 images each');
          const n = dataset.images(person).length;
          assert.equal(new Set(files).size, Math.min(4, n), `${person}: K distinct images when it has them, all of its ${n} otherwise`);
        }
        assert.ok(batch.every((p) => p.isSame === 1), 'K even: each pair is two images of one person');
      }
      assert.deepEqual([...seen].sort(), multi, `epoch ${e}: every multi-image person`);
    }
  });

  it('with negatives, adds people with one image each who are not among the batch\'s identities, single-image people included', () => {
    const s = sampler({ name: 'identityPK', perPerson: 4, negatives: 4 }, { batchSize: 8, defaultPairsPerEpoch: 0 }); // P = 3
    const { train } = trainPeople();
    const multi = train.filter((p) => dataset.images(p).length >= 2);
    assert.equal(s.config.name === 'identityPK' && s.config.identities, 3);
    assert.match(s.describe(), /3 identities × 4 images \+ 4 more people as negatives, 5 batches per epoch/);
    const asNegative = new Set<string>();
    for (let e = 0; e < 6; e++) {
      const pairs = s.epoch(e);
      for (let b = 0; b < pairs.length / 8; b++) {
        const images = pairs.slice(b * 8, b * 8 + 8).flatMap((p) => [p.a, p.b]);
        const ids = images.slice(0, 12).map((r) => r.person);
        const extra = images.slice(12).map((r) => r.person);
        assert.equal(new Set(ids).size, 3);
        assert.ok(ids.every((p) => multi.includes(p)));
        assert.equal(new Set(extra).size, 4, 'four distinct extra people');
        assert.ok(extra.every((p) => !ids.includes(p) && train.includes(p)), 'an extra person is no identity of the batch, and a training person');
        extra.forEach((p) => asNegative.add(p));
      }
    }
    assert.deepEqual([...asNegative].sort(), [...train].sort(), 'over the epochs every training person serves as a negative, single-image ones included');
  });

  it('is seeded, and its length follows batchesPerEpoch', () => {
    const a = sampler({ name: 'identityPK', perPerson: 2, batchesPerEpoch: 7 });
    assert.equal(a.pairsPerEpoch, 7 * 8);
    assert.equal(key(a.epoch(2)), key(sampler({ name: 'identityPK', perPerson: 2, batchesPerEpoch: 7 }).epoch(2)));
    assert.notEqual(key(a.epoch(2)), key(sampler({ name: 'identityPK', perPerson: 2, batchesPerEpoch: 7 }, { seed: 9 }).epoch(2)));
    assert.notEqual(key(a.epoch(0)), key(a.epoch(1)));
  });
});

describe('refusals', () => {
  it('refuses a training person who is also held out, naming them', () => {
    const { train } = trainPeople();
    assert.throws(() => new IdentitySampler(dataset, train, { name: 'identityPairs' }, { seed: 1, batchSize: 8, heldOut: [train[3]], defaultPairsPerEpoch: 32 }),
      new RegExp(`would leak: 1 training people are also validation/test people \\(${train[3]}\\)`));
  });

  it('refuses batch shapes that cannot be P x K, and too few identities, saying what to change', () => {
    assert.throws(() => sampler({ name: 'identityPK', perPerson: 3 }, { batchSize: 8 }), /"sampling\.perPerson" \(3\) must divide the batch's 16 identity images \(2 × batchSize 8\)/);
    assert.throws(() => sampler({ name: 'identityPK', perPerson: 1 }), /"sampling\.perPerson" must be an integer >= 2/);
    assert.throws(() => sampler({ name: 'identityPK', perPerson: 4, negatives: 3 }), /"sampling\.negatives" must be an even integer in \[0, 16\)/);
    assert.throws(() => sampler({ name: 'identityPK', perPerson: 4, negatives: 6 }), /"sampling\.perPerson" \(4\) must divide the batch's 10 identity images \(2 × batchSize 8 − negatives 6\)/);
    assert.throws(() => sampler({ name: 'identityPK', perPerson: 2, negatives: 12 }, { batchSize: 16 }),
      /batches of 10 identities and 12 more people as negatives need 22 training people; the training split has 20: lower sampling\.negatives/);
    assert.throws(() => sampler({ name: 'identityPK', perPerson: 2 }, { batchSize: 32 }), /32 identities × 2 images need 32 training people with 2\+ images; the training split has 14/);
    assert.throws(() => sampler({ name: 'identityPairs', pairsPerEpoch: 4 }), /"sampling\.pairsPerEpoch" must be an integer >= batchSize \(8\)/);
    assert.throws(() => sampler({ name: 'identityPairs', sameFraction: 1 }), /"sampling\.sameFraction" must be a number strictly between 0 and 1/);
    assert.throws(() => new IdentitySampler(dataset, ['Nobody'], { name: 'identityPairs' }, { seed: 1, batchSize: 8, heldOut: [], defaultPairsPerEpoch: 8 }), /1 training people are not in dataset/);
  });

  it('on a person-disjoint split, never draws a validation or test person', () => {
    const split = makeSplit(dataset, new Rng(4), { numPairs: { train: 10, val: 4, test: 4 } });
    const s = new IdentitySampler(dataset, split.people.train, { name: 'identityPairs', pairsPerEpoch: 200 },
      { seed: 1, batchSize: 8, heldOut: [...split.people.val, ...split.people.test], defaultPairsPerEpoch: 10 });
    const held = new Set([...split.people.val, ...split.people.test]);
    for (let e = 0; e < 5; e++) assert.ok(s.epoch(e).every((p) => !held.has(p.a.person) && !held.has(p.b.person)));
  });
});

describe('identity pipeline', () => {
  it('hands out P x K batches, and a resumed pipeline continues with exactly the same batches', async () => {
    await initBackend({ quiet: true });
    const cfg = { batchSize: 8, preprocessing: { size: 16 }, augment: 'default', seed: 3, worker: false, prefetch: 0, dropLast: true } as const;
    const snap = async (pipe: Awaited<ReturnType<typeof createIdentityPipeline>>) => {
      const b = await pipe.next();
      const out = { pairs: key(b.pairs), a: Array.from(await b.a.data()), isSame: Array.from(await b.isSame.data()), epoch: b.epoch, index: b.index };
      assert.deepEqual(b.a.shape, [8, 16, 16, 3]);
      b.dispose();
      return out;
    };
    const before = tf.memory().numTensors;
    const whole = await createIdentityPipeline(sampler({ name: 'identityPK', perPerson: 4, batchesPerEpoch: 4 }, { seed: 3 }), dataset, cfg);
    assert.equal(whole.batchesPerEpoch, 4);
    const all = [];
    for (let i = 0; i < 6; i++) all.push(await snap(whole));
    await whole.close();
    assert.deepEqual(all.map((x) => [x.epoch, x.index]), [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1]]);
    const first = await createIdentityPipeline(sampler({ name: 'identityPK', perPerson: 4, batchesPerEpoch: 4 }, { seed: 3 }), dataset, cfg);
    for (let i = 0; i < 3; i++) await snap(first);
    const state = first.state();
    await first.close();
    const resumed = await createIdentityPipeline(sampler({ name: 'identityPK', perPerson: 4, batchesPerEpoch: 4 }, { seed: 3 }), dataset, cfg, { resume: state });
    for (let i = 3; i < 6; i++) assert.deepEqual(await snap(resumed), all[i], `batch ${i} after resuming`);
    await resumed.close();
    assert.equal(tf.memory().numTensors, before, 'no tensor outlives its batch');
    await assert.rejects(createIdentityPipeline(sampler({ name: 'identityPK', perPerson: 2, batchesPerEpoch: 4 }, { seed: 3 }), dataset, cfg, { resume: state }),
      /pipeline resume: the saved state has pairsHash = /);
    await assert.rejects(createIdentityPipeline(sampler({ name: 'identityPairs' }), dataset, { ...cfg, batchSize: 4 }), /batchSize 4 differs from the identity sampler's 8/);
  });
});
