import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SYNTH, ensureSynthetic, generateSynthetic, imageCounts, LFW_SINGLE_SHARE, planSynthetic, type Pair, type SynthPlan } from '../../../lib/data';
import { byStratum, stratifiedSample } from '../../../lib/data/synth/images-per-person';
import { Rng } from '../../../lib/util';
import { tempDir } from '../fixtures';

const countsOf = (plan: SynthPlan): Map<string, number> => new Map(plan.manifest.people.map((p) => [p.name, p.images]));
const median = (xs: readonly number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('the default set keeps LFW\'s skew: most people have one image, a long tail to a few with many', () => {
  const counts = [...countsOf(planSynthetic()).values()];
  const n = counts.length;
  const single = counts.filter((k) => k === 1).length;
  const hist = (k: number): number => counts.filter((c) => c === k).length;
  assert.equal(n, DEFAULT_SYNTH.people);
  assert.ok(Math.abs(single / n - LFW_SINGLE_SHARE) < 0.01, `${single} of ${n} people with one image; LFW's share is ${LFW_SINGLE_SHARE.toFixed(3)}`);
  assert.equal(median(counts), 1);
  assert.ok(Math.max(...counts) >= 10 * median(counts));
  assert.equal(Math.max(...counts), 40);
  // a tail: fewer people at each step up (1 > 2 > 3-4 > 5-9 > ...), and a few people hold many of the images
  const band = (lo: number, hi: number): number => counts.filter((c) => c >= lo && c <= hi).length;
  assert.ok(hist(1) > hist(2) && hist(2) > hist(3) && hist(3) > hist(10), JSON.stringify([hist(1), hist(2), hist(3), hist(10)]));
  assert.ok(band(1, 1) > band(2, 9) && band(2, 9) > band(10, 19) && band(10, 19) > band(20, 29) && band(20, 29) > band(30, 40));
  const top10 = counts.slice().sort((a, b) => b - a).slice(0, 10).reduce((a, b) => a + b, 0);
  assert.ok(top10 / counts.reduce((a, b) => a + b, 0) > 0.2, 'the ten people with most images hold over a fifth of them');
});

test('image counts are a pure function of seed, index and distribution; more people and a larger max keep everyone\'s images', () => {
  const d = { kind: 'lfw-like', max: 40, exponent: 1 } as const;
  const a = imageCounts(d, 500, new Rng('x').fork('images'));
  assert.deepEqual(a, imageCounts(d, 500, new Rng('x').fork('images')));
  assert.notDeepEqual(a, imageCounts(d, 500, new Rng('y').fork('images')));
  assert.deepEqual(imageCounts(d, 120, new Rng('x').fork('images')), a.slice(0, 120));
  const smallerMax = imageCounts({ ...d, max: 12 }, 500, new Rng('x').fork('images'));
  assert.ok(smallerMax.every((k, i) => k <= a[i] && k <= 12), 'a smaller max never gives anyone more images');
  assert.ok(smallerMax.some((k, i) => k < a[i]));
  assert.equal(smallerMax.filter((k) => k === 1).length, a.filter((k) => k === 1).length, 'the one-image people stay the same');
  assert.deepEqual(imageCounts(7, 5, new Rng('x')), [7, 7, 7, 7, 7]);

  // The whole plan: same config, same plan; another seed, other people; a bigger set contains the smaller one's people and images.
  const cfg = { people: 120, perPerson: { kind: 'lfw-like', max: 20 }, foldPairs: 5, devTestPairs: 50 } as const;
  assert.deepEqual(planSynthetic(cfg), planSynthetic(cfg));
  assert.notDeepEqual([...countsOf(planSynthetic(cfg))], [...countsOf(planSynthetic({ ...cfg, seed: 2 }))]);
  const small = planSynthetic(cfg);
  const big = planSynthetic({ ...cfg, people: 300, perPerson: { kind: 'lfw-like', max: 40 } });
  const bigPeople = new Map(big.manifest.people.map((p) => [p.name, p]));
  for (const p of small.manifest.people) {
    const q = bigPeople.get(p.name);
    assert.ok(q, `${p.name} missing from the bigger set`);
    assert.equal(q.index, p.index);
    assert.deepEqual(q.traits, p.traits);
    assert.ok(q.images >= p.images, `${p.name}: ${p.images} images, ${q.images} in the bigger set`);
  }
});

test('stratified assignment: one stratum is the plain random order; several get their share of each', () => {
  const order = [4, 1, 3, 0, 2, 5];
  assert.deepEqual(byStratum(order, [5, 5, 5, 5, 5, 5]), order);
  assert.deepEqual(stratifiedSample(order, [5, 5, 5, 5, 5, 5], 4), [4, 1, 3, 0]);
  // strata: 40 images (people 0, 1), 2-3 images (2, 3), 1 image (4, 5)
  const counts = [40, 33, 2, 3, 1, 1];
  assert.deepEqual(byStratum(order, counts), [1, 0, 3, 2, 4, 5]);
  assert.deepEqual(stratifiedSample(order, counts, 3).sort(), [1, 3, 4]);
});

/** People named by `pairs`, matched and mismatched separately. */
function people(pairs: readonly Pair[]): Set<string> {
  return new Set(pairs.flatMap((p) => [p.a.person, p.b.person]));
}

test('default set\'s pair files: full, balanced, no pair twice, matched pairs from people with 2+ images, one-image people as negatives, person-disjoint', () => {
  const plan = planSynthetic();
  const counts = countsOf(plan);
  const { pairFiles } = plan.manifest;
  assert.deepEqual(pairFiles, { pairsDevTrain: 500, pairsDevTest: 250, pairs: { folds: 10, perFold: 50 } });
  const files = { devTrain: plan.devTrain, devTest: plan.devTest, view2: plan.view2.pairs };
  for (const [name, pairs] of Object.entries(files)) {
    assert.equal(pairs.filter((p) => p.isSame === 1).length * 2, pairs.length, `${name} is not balanced`);
    const keys = pairs.map((p) => `${p.a.person}/${p.a.file}|${p.b.person}/${p.b.file}`);
    assert.equal(new Set(keys).size, keys.length, `${name} repeats a pair`);
    for (const p of pairs) {
      for (const r of [p.a, p.b]) assert.ok(Number(r.file.slice(-8, -4)) <= (counts.get(r.person) ?? 0), `${name}: ${r.file} does not exist`);
      if (p.isSame === 1) assert.ok(p.a.person === p.b.person && p.a.file !== p.b.file && (counts.get(p.a.person) ?? 0) >= 2);
      else assert.notEqual(p.a.person, p.b.person);
    }
    assert.ok(pairs.some((p) => p.isSame === 0 && (counts.get(p.a.person) === 1 || counts.get(p.b.person) === 1)), `${name}: no one-image person as a negative`);
  }
  const train = people(plan.devTrain), test = people(plan.devTest);
  assert.ok([...train].every((p) => !test.has(p)), 'dev-train and dev-test people must be disjoint');
  for (let k = 0; k < 10; k++) {
    const inFold = people(plan.view2.pairs.filter((_, i) => plan.view2.folds[i] === k));
    const others = people(plan.view2.pairs.filter((_, i) => plan.view2.folds[i] !== k));
    assert.ok([...inFold].every((p) => !others.has(p)), `fold ${k} shares people with other folds`);
  }
  // The dev-test people are 30 % of each stratum: their share of the people with 10+ images is about 30 % too.
  const many = plan.manifest.people.filter((p) => p.images >= 10);
  const manyTest = many.filter((p) => p.dev === 'test').length;
  assert.ok(Math.abs(manyTest - 0.3 * many.length) <= 2, `${manyTest} of ${many.length} people with 10+ images are dev-test people`);
});

test('a skewed set too small for its pair files is refused with what to change; a skewed config is reused as such', async () => {
  assert.throws(() => planSynthetic({ people: 4, seed: 2, perPerson: { kind: 'lfw-like', max: 3 } }), /only 1 of its 4 people has 2\+ images, too few to give pairsDevTrain\.txt a matched pair; ask for more people/);
  const { dir, cleanup } = tempDir('siamese-synth-');
  try {
    const cfg = { people: 30, perPerson: { kind: 'lfw-like', max: 8 }, size: 32, devTrainPairs: 6, devTestPairs: 3, folds: 3, foldPairs: 2 } as const;
    const first = await ensureSynthetic(path.join(dir, 's'), cfg);
    assert.equal(first.generated, true);
    assert.deepEqual(first.manifest.config.perPerson, { kind: 'lfw-like', max: 8, exponent: 1 });
    for (const p of first.manifest.people) assert.equal(fs.readdirSync(path.join(dir, 's', p.name)).length, p.images);
    assert.ok(first.manifest.people.some((p) => p.images === 1) && first.manifest.people.some((p) => p.images >= 3));
    assert.equal((await ensureSynthetic(path.join(dir, 's'), cfg)).generated, false, 'the same skewed config reuses the set');
    assert.equal((await ensureSynthetic(path.join(dir, 's'), { ...cfg, perPerson: { kind: 'lfw-like', max: 8, exponent: 1 } })).generated, false);
    assert.equal((await ensureSynthetic(path.join(dir, 's'), { ...cfg, perPerson: { kind: 'lfw-like', max: 9 } })).generated, true);
    // the images a bigger max keeps are byte-identical to a set generated with the smaller one
    const again = await generateSynthetic(path.join(dir, 'small'), cfg);
    for (const p of again.manifest.people) {
      for (let n = 1; n <= p.images; n++) {
        const f = path.join(p.name, `${p.name}_${String(n).padStart(4, '0')}.jpg`);
        assert.ok(fs.readFileSync(path.join(dir, 'small', f)).equals(fs.readFileSync(path.join(dir, 's', f))), `${f} changed`);
      }
    }
  } finally {
    cleanup();
  }
});
