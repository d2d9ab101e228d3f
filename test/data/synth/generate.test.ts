import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import {
  Dataset, DEFAULT_SYNTH, ensureSynthetic, generateSynthetic, makeSplit, makeView1Split, makeView2FoldSplit, parseOfficialPairs,
  planSynthetic, readSynthManifest, renderSyntheticImage, resolveSynthConfig, SPLIT_NAMES, splitRng, SYNTH_MANIFEST, type Pair,
} from '../../../lib/data';
import { measureSynthDifficulty } from '../../../lib/eval';
import { DEFAULT_EXPERIMENT } from '../../../lib/train';
import { Rng } from '../../../lib/util';
import { tempDir } from '../fixtures';

const SMALL = { people: 8, perPerson: 3, size: 48, devTrainPairs: 6, devTestPairs: 3, folds: 4, foldPairs: 2 };

/** Every file under `dir` (relative path -> bytes). */
function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

test('same seed gives byte-identical files; another seed gives other names and other pixels', async () => {
  const { dir, cleanup } = tempDir('siamese-synth-');
  try {
    await generateSynthetic(path.join(dir, 'a'), { ...SMALL, seed: 7 });
    await generateSynthetic(path.join(dir, 'b'), { ...SMALL, seed: 7 });
    await generateSynthetic(path.join(dir, 'c'), { ...SMALL, seed: 8 });
    const a = readTree(path.join(dir, 'a')), b = readTree(path.join(dir, 'b')), c = readTree(path.join(dir, 'c'));
    assert.equal(a.size, 8 * 3 + 4); // images + 3 pair files + manifest
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [k, v] of a) assert.ok(v.equals(b.get(k) as Buffer), `${k} differs between two runs with the same seed`);
    const jpegsA = [...a].filter(([k]) => k.endsWith('.jpg')).map(([, v]) => v.toString('base64'));
    const jpegsC = new Set([...c].filter(([k]) => k.endsWith('.jpg')).map(([, v]) => v.toString('base64')));
    assert.ok(jpegsA.every((j) => !jpegsC.has(j)), 'a different seed must give different images');
    assert.notDeepEqual([...a.keys()].sort(), [...c.keys()].sort());
  } finally {
    cleanup();
  }
});

test('LFW layout, readable JPEGs, and official-format pair files that parse, balance and resolve', async () => {
  const { dir, cleanup } = tempDir('siamese-synth-');
  try {
    const r = await generateSynthetic(dir, { ...SMALL, seed: 3 });
    const m = r.manifest;
    assert.equal(m.people.length, 8);
    for (const p of m.people) {
      assert.match(p.name, /^[A-Z][a-z]+_[A-Z][a-z]+$/);
      const files = fs.readdirSync(path.join(dir, p.name)).sort();
      assert.deepEqual(files, [1, 2, 3].map((n) => `${p.name}_${String(n).padStart(4, '0')}.jpg`));
      const meta = await sharp(path.join(dir, p.name, files[0])).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['jpeg', 48, 48, 3]);
    }
    const read = (name: string) => parseOfficialPairs(fs.readFileSync(path.join(dir, name), 'utf8'), name);
    const devTrain = read('pairsDevTrain.txt'), devTest = read('pairsDevTest.txt'), view2 = read('pairs.txt');
    assert.equal(fs.readFileSync(path.join(dir, 'pairsDevTrain.txt'), 'utf8').split('\n')[0], String(m.pairFiles.pairsDevTrain));
    assert.equal(fs.readFileSync(path.join(dir, 'pairs.txt'), 'utf8').split('\n')[0], `${m.pairFiles.pairs.folds}\t${m.pairFiles.pairs.perFold}`);
    assert.equal(devTrain.pairs.length, 12);
    assert.equal(devTest.pairs.length, 2 * m.pairFiles.pairsDevTest);
    assert.equal(view2.numFolds, 4);
    assert.equal(view2.pairs.length, 4 * 2 * 2);
    const peopleOf = (pairs: readonly Pair[]): Set<string> => new Set(pairs.flatMap((p) => [p.a.person, p.b.person]));
    const trainPeople = peopleOf(devTrain.pairs), testPeople = peopleOf(devTest.pairs);
    assert.ok([...trainPeople].every((p) => !testPeople.has(p)), 'dev-train and dev-test people must be disjoint');
    assert.ok([...trainPeople].every((p) => m.people.find((x) => x.name === p)?.dev === 'train'));
    for (let k = 0; k < 4; k++) {
      const inFold = peopleOf(view2.pairs.filter((_, i) => view2.folds[i] === k));
      const others = peopleOf(view2.pairs.filter((_, i) => view2.folds[i] !== k));
      assert.ok([...inFold].every((p) => !others.has(p)), `fold ${k} shares people with other folds`);
    }
    for (const list of [devTrain, devTest, view2]) {
      const same = list.pairs.filter((p) => p.isSame === 1).length;
      assert.equal(same * 2, list.pairs.length, `${list.name} is not balanced`);
      for (const p of list.pairs) for (const ref of [p.a, p.b]) assert.ok(fs.existsSync(path.join(dir, ref.person, ref.file)), `${ref.file} missing`);
    }
  } finally {
    cleanup();
  }
});

test('traits belong to the person: more images or more people keep every existing person and image unchanged', async () => {
  const { dir, cleanup } = tempDir('siamese-synth-');
  try {
    const small = await generateSynthetic(path.join(dir, 's'), { ...SMALL, seed: 5 });
    const big = await generateSynthetic(path.join(dir, 'b'), { ...SMALL, seed: 5, perPerson: 4, people: 10 });
    for (const p of small.manifest.people) {
      const q = big.manifest.people.find((x) => x.name === p.name);
      assert.ok(q, `${p.name} missing from the bigger set`);
      assert.deepEqual(q.traits, p.traits);
      for (let n = 1; n <= 3; n++) {
        const f = path.join(p.name, `${p.name}_000${n}.jpg`);
        assert.ok(fs.readFileSync(path.join(dir, 's', f)).equals(fs.readFileSync(path.join(dir, 'b', f))), `${f} changed`);
      }
    }
    // Different people differ in their traits; the files are the traits rendered with per-photo variation.
    const traits = small.manifest.people.map((p) => JSON.stringify(p.traits));
    assert.equal(new Set(traits).size, traits.length);
    const plan = planSynthetic({ ...SMALL, seed: 5 });
    const first = plan.manifest.people[0];
    const again = await renderSyntheticImage(plan.manifest.config, first.index, first.traits, 2);
    assert.ok(again.equals(fs.readFileSync(path.join(dir, 's', first.name, `${first.name}_0002.jpg`))));
  } finally {
    cleanup();
  }
});

test('ensureSynthetic reuses a matching set, replaces one made with another config, and never touches foreign folders', async () => {
  const { dir, cleanup } = tempDir('siamese-synth-');
  try {
    const root = path.join(dir, 'synth');
    const first = await ensureSynthetic(root, { ...SMALL, seed: 1 });
    assert.equal(first.generated, true);
    const stamp = fs.statSync(path.join(root, SYNTH_MANIFEST)).mtimeMs;
    const second = await ensureSynthetic(root, { ...SMALL, seed: 1 });
    assert.equal(second.generated, false);
    assert.equal(fs.statSync(path.join(root, SYNTH_MANIFEST)).mtimeMs, stamp);
    const third = await ensureSynthetic(root, { ...SMALL, seed: 1, perPerson: 2 });
    assert.equal(third.generated, true);
    assert.equal((await readSynthManifest(root))?.config.perPerson, 2);
    assert.equal(readTree(root).size, 8 * 2 + 4);
    assert.deepEqual(fs.readdirSync(dir), ['synth'], 'no temporary or old folders left behind');

    const foreign = path.join(dir, 'photos');
    fs.mkdirSync(path.join(foreign, 'Someone'), { recursive: true });
    fs.writeFileSync(path.join(foreign, 'Someone', 'a.jpg'), 'not mine');
    await assert.rejects(ensureSynthetic(foreign, SMALL), /photos is not empty and has no synth\.json/);
    assert.equal(fs.readFileSync(path.join(foreign, 'Someone', 'a.jpg'), 'utf8'), 'not mine');
  } finally {
    cleanup();
  }
});

test('resolveSynthConfig fills defaults and names bad values', () => {
  assert.deepEqual(resolveSynthConfig(), { ...DEFAULT_SYNTH });
  assert.deepEqual(DEFAULT_SYNTH.perPerson, { kind: 'lfw-like', max: 40, exponent: 1 });
  assert.equal(resolveSynthConfig({ people: 12 }).people, 12);
  assert.equal(resolveSynthConfig({ perPerson: 10 }).perPerson, 10);
  assert.deepEqual(resolveSynthConfig({ perPerson: { kind: 'lfw-like', max: 20 } }).perPerson, { kind: 'lfw-like', max: 20, exponent: 1 });
  assert.throws(() => resolveSynthConfig({ perPerson: 1 }), /perPerson must be an integer in \[2, 9999\] or \{ kind: 'lfw-like', max \}, got 1/);
  assert.throws(() => resolveSynthConfig({ perPerson: { kind: 'zipf', max: 9 } as never }), /perPerson kind must be 'lfw-like'/);
  assert.throws(() => resolveSynthConfig({ perPerson: { kind: 'lfw-like', max: 1 } }), /perPerson max must be an integer in \[2, 9999\]/);
  assert.throws(() => resolveSynthConfig({ perPerson: { kind: 'lfw-like', max: 9, exponent: -1 } }), /perPerson exponent must be a number in \[0, 5\]/);
  assert.throws(() => resolveSynthConfig({ perPerson: { kind: 'lfw-like', max: 9, maximum: 3 } as never }), /perPerson has unknown key "maximum"/);
  assert.throws(() => resolveSynthConfig({ people: 3 }), /people must be an integer in \[4, \d+\], got 3/);
  assert.throws(() => resolveSynthConfig({ size: 64.5 }), /size must be an integer .* got 64\.5/);
  assert.throws(() => resolveSynthConfig({ difficulty: -1 }), /difficulty must be a number in \[0, 2\], got -1/);
  assert.throws(() => resolveSynthConfig({ colour: 1 } as never), /unknown option "colour"/);
});

test('default set: the default training run\'s split and View 1 / View 2 find their pairs; raw-pixel distance scores at most 65 % on held-out people', async () => {
  const { dir, cleanup } = tempDir('siamese-synth-');
  try {
    const r = await generateSynthetic(dir, DEFAULT_SYNTH);
    assert.equal(r.manifest.people.reduce((a, p) => a + p.images, 0), 1428);
    const ds = await Dataset.open(dir, { cache: null });
    assert.equal(ds.numImages, 1428);
    // The default training run's person-disjoint split (`npm start`), and the protocols on the set's own pair files.
    const { split: splitConfig, splitSeed } = DEFAULT_EXPERIMENT.data;
    const split = makeSplit(ds, splitRng(splitSeed), splitConfig);
    for (const s of SPLIT_NAMES) assert.equal(split.pairs[s].length, splitConfig.numPairs?.[s]);
    assert.ok(split.people.test.some((p) => ds.images(p).length === 1), 'one-image people are in the held-out splits too');
    assert.ok(split.pairs.test.some((p) => p.isSame === 0 && [p.a, p.b].some((x) => ds.images(x.person).length === 1)), 'one-image people are used as negatives');
    // ... and for other split seeds: every split's people can form the same-person pairs the default run asks for.
    const sameAsked = Object.fromEntries(SPLIT_NAMES.map((s) => [s, (splitConfig.numPairs?.[s] ?? 0) / 2]));
    const capacity = (people: readonly string[]): number => people.reduce((a, p) => a + (ds.images(p).length * (ds.images(p).length - 1)) / 2, 0);
    for (let seed = 1; seed <= 200; seed++) {
      const people = makeSplit(ds, splitRng(seed), { ...splitConfig, numPairs: { train: 0, val: 0, test: 0 } }).people;
      for (const s of SPLIT_NAMES) assert.ok(capacity(people[s]) >= sameAsked[s], `split seed ${seed}: ${s} allows only ${capacity(people[s])} same-person pairs`);
    }
    const view1 = await makeView1Split(ds, new Rng(1));
    assert.equal(view1.pairs.test.length, 500);
    assert.equal((await makeView2FoldSplit(ds, 0)).pairs.test.length, 100);
    // Whole image, and LFW's default central crop (what training sees), 32x32 RGB and 64x64 grey.
    for (const [crop, size, grey] of [[1, 32, false], [0.6, 32, false], [0.6, 64, true]] as const) {
      const d = await measureSynthDifficulty(dir, { size, crop, grey, identity: false });
      const what = `crop ${crop}, ${size}px ${grey ? 'grey' : 'RGB'}`;
      assert.ok(d.rawPixel.testAccuracy <= 0.65, `raw-pixel accuracy ${d.rawPixel.testAccuracy} above 65 % (${what})`);
      assert.ok(d.rawPixel.testAccuracy >= 0.45, `raw-pixel accuracy ${d.rawPixel.testAccuracy} far below chance (${what}): something is off`);
    }
  } finally {
    cleanup();
  }
});
