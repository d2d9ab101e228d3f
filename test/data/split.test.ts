import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../lib/util';
import {
  Dataset, assertNoLeakage, checkLeakage, loadSplit, makeSplit, pairKey, resolveSplitConfig, samplePairs, saveSplit,
  SPLIT_NAMES, SPLIT_PRESETS, type Split, splitRng, splitInputs, staleInputs, datasetFingerprint,
} from '../../lib/data';
import { experimentSplit, resolveExperiment, runDir } from '../../lib/train';
import { hostile } from '../hostile';
import { makeLfwFolder, tempDir } from './fixtures';

// 60 people: 40 with 2..6 images, 20 with one image. Built once for the file.
let fixture: { dir: string; cleanup: () => void; ds: Dataset } | undefined;
async function dataset(): Promise<Dataset> {
  if (!fixture) {
    const t = tempDir();
    await makeLfwFolder(t.dir, Array.from({ length: 60 }, (_, p) => (p < 40 ? 2 + (p % 5) : 1)), 4);
    fixture = { ...t, ds: await Dataset.open(t.dir, { cache: null }) };
  }
  return fixture.ds;
}
test.after(() => fixture?.cleanup());

const small = { peopleFractions: { train: 0.6, val: 0.2, test: 0.2 }, numPairs: { train: 40, val: 10, test: 10 } };

test('splits are person-disjoint, balanced, of the asked sizes, and pass the leakage check', async () => {
  const ds = await dataset();
  const split = makeSplit(ds, new Rng(7), small);
  const all = SPLIT_NAMES.flatMap((s) => split.people[s]);
  assert.equal(new Set(all).size, all.length);
  assert.equal(all.length, 60);
  assert.deepEqual(SPLIT_NAMES.map((s) => split.people[s].length), [36, 12, 12]);
  // People with 2+ images are spread in proportion too (24/8/8 of 40).
  assert.deepEqual(SPLIT_NAMES.map((s) => split.people[s].filter((p) => ds.images(p).length >= 2).length), [24, 8, 8]);
  for (const s of SPLIT_NAMES) {
    const pairs = split.pairs[s];
    assert.equal(pairs.length, small.numPairs[s]);
    assert.equal(pairs.filter((p) => p.isSame === 1).length, small.numPairs[s] / 2);
    assert.equal(new Set(pairs.map(pairKey)).size, pairs.length, `${s}: no duplicate pairs`);
    for (const p of pairs) {
      assert.ok(ds.has(p.a) && ds.has(p.b));
      assert.equal(p.a.person === p.b.person, p.isSame === 1);
      if (p.isSame) assert.notEqual(p.a.file, p.b.file);
    }
  }
  const report = checkLeakage(split);
  assert.deepEqual([report.sharedPeople, report.sharedImages, report.foreignPairs], [[], [], []]);
  assert.equal(report.checked.pairs, 60);
  assert.equal(split.seed, '7');
});

test('the same seed gives the same split; another seed a different one', async () => {
  const ds = await dataset();
  const a = makeSplit(ds, new Rng(1), small);
  assert.deepEqual(makeSplit(ds, new Rng(1), small), a);
  assert.notDeepEqual(makeSplit(ds, new Rng(2), small).people, a.people);
});

test('the leakage check throws on a shared person, a shared image, or a foreign pair', async () => {
  const ds = await dataset();
  const split = makeSplit(ds, new Rng(3), small);
  const moved = split.people.val[0];
  const leaky: Split = { ...split, people: { ...split.people, train: [...split.people.train, moved] } };
  assert.throws(() => assertNoLeakage(leaky), new RegExp(`person ${moved} is in train and val`));
  const trainPair = split.pairs.train[0];
  const foreign: Split = { ...split, pairs: { ...split.pairs, test: [...split.pairs.test, trainPair] } };
  assert.throws(() => assertNoLeakage(foreign), (e: unknown) => {
    const m = (e as Error).message;
    assert.match(m, /is used by pairs in train and test/);
    assert.match(m, new RegExp(`test pair ${split.pairs.test.length + 1} uses ${trainPair.a.person}, who is not a test person`));
    return true;
  });
});

test('the mnv3-notebook preset (the MobileNetV3 notebook\'s protocol) gives 300 / 75 / 100 pairs; its old name seed1 the same split', async () => {
  const t = tempDir();
  try {
    await makeLfwFolder(t.dir, Array.from({ length: 80 }, (_, p) => 2 + (p % 4)), 4);
    const ds = await Dataset.open(t.dir, { cache: null });
    const split = makeSplit(ds, new Rng(42), { preset: 'mnv3-notebook' });
    assert.deepEqual(SPLIT_NAMES.map((s) => split.pairs[s].length), [300, 75, 100]);
    assert.equal(split.config.preset, 'mnv3-notebook');
    assert.deepEqual(split.config, SPLIT_PRESETS['mnv3-notebook']);
    // the old name: the same values and the same split (its label stays as given: face tuning names streams after it)
    const old = makeSplit(ds, new Rng(42), { preset: 'seed1' });
    assert.deepEqual({ ...old.config, preset: 'mnv3-notebook' }, split.config);
    assert.equal(old.config.preset, 'seed1');
    assert.deepEqual([old.people, old.pairs], [split.people, split.pairs]);
    assert.equal(SPLIT_PRESETS.seed1, SPLIT_PRESETS['mnv3-notebook']);
  } finally {
    t.cleanup();
  }
});

test('asking for more pairs than a split can hold is a clear error', async () => {
  const ds = await dataset();
  assert.throws(() => makeSplit(ds, new Rng(1), { ...small, numPairs: { train: 40, val: 1000, test: 10 } }),
    /split val: asked for 500 same-person pairs but its 12 people \(8 with 2\+ images\) allow only \d+/);
});

test('samplePairs can exhaust every same pair exactly', async () => {
  const ds = await dataset();
  const people = ['Person_A', 'Person_B', 'Person_C']; // 2, 3 and 4 images: 1 + 3 + 6 = 10 same pairs
  const pairs = samplePairs(ds, people, 20, new Rng(5));
  assert.equal(pairs.filter((p) => p.isSame).length, 10);
  assert.equal(new Set(pairs.map(pairKey)).size, 20);
});

test('config errors name the bad value', () => {
  assert.throws(() => resolveSplitConfig({ preset: 'seed9' }), /unknown split preset "seed9"; known: default, mnv3-notebook$/);
  assert.throws(() => resolveSplitConfig({ peopleFractions: { train: 0.5 } }), /must sum to 1/);
  assert.throws(() => resolveSplitConfig({ numPairs: { val: -1 } }), /numPairs\.val must be a non-negative integer, got -1/);
  assert.equal(resolveSplitConfig({ preset: 'mnv3-notebook', numPairs: { train: 10 } }).preset, 'mnv3-notebook+custom');
  assert.equal(resolveSplitConfig({ preset: 'seed1', numPairs: { train: 10 } }).preset, 'seed1+custom');
});

test('splits save to JSON and load back identically, leak-checked and validated', async () => {
  const ds = await dataset();
  const t = tempDir();
  try {
    const split = makeSplit(ds, new Rng('save'), small);
    const file = path.join(t.dir, 'sub', 'split.json');
    await saveSplit(split, file);
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(json.seed, 'save');
    assert.deepEqual(json.config, split.config);
    assert.deepEqual(await loadSplit(file, ds), split);
    // A tampered file is refused.
    json.people.train.push(json.people.test[0]);
    fs.writeFileSync(file, JSON.stringify(json));
    await assert.rejects(loadSplit(file), /split leaks between train\/val\/test/);
    fs.writeFileSync(file, '{"format":"other"}');
    await assert.rejects(loadSplit(file), /is not a saved split/);
    // Pairs that do not resolve in the dataset are listed.
    const other = tempDir();
    try {
      await makeLfwFolder(other.dir, [2, 2], 4);
      await saveSplit(split, file);
      await assert.rejects(loadSplit(file, await Dataset.open(other.dir, { cache: null })), /pair\(s\) of split .* do not resolve/);
    } finally {
      other.cleanup();
    }
  } finally {
    t.cleanup();
  }
});

// ---------------------------------------------------------------------------------------------------------
// Hostile splits (issue 14): one split stream; saved splits record their inputs and stale ones are noticed.

hostile('splits', 'splitRng is the trainer\'s historical stream (seed path "<seed>/split"), for numbers and strings alike', async () => {
  const ds = await dataset();
  assert.equal(splitRng(1).key, '1/split');
  assert.deepEqual(makeSplit(ds, splitRng(1), small), makeSplit(ds, new Rng(1).fork('split'), small));
  assert.deepEqual(makeSplit(ds, splitRng('1'), small), makeSplit(ds, splitRng(1), small));
});

hostile('splits', 'a split saved with its inputs loads back with them, unchanged', async () => {
  const ds = await dataset();
  const t = tempDir();
  try {
    const rng = splitRng(4);
    const split: Split = { ...makeSplit(ds, rng, small), inputs: await splitInputs(ds, 'split', rng.key, small) };
    assert.deepEqual(Object.keys(split.inputs!).sort(), ['config', 'dataset', 'pairFiles', 'protocol', 'seed']);
    const file = path.join(t.dir, 'split.json');
    await saveSplit(split, file);
    const back = await loadSplit(file, ds);
    assert.deepEqual(back, split);
    assert.deepEqual(staleInputs(back.inputs, await splitInputs(ds, 'split', rng.key, small)), []);
  } finally {
    t.cleanup();
  }
});

hostile('splits', 'stale inputs are named: another seed, another config, a split recorded before inputs existed', async () => {
  const ds = await dataset();
  const now = await splitInputs(ds, 'split', splitRng(1).key, small);
  assert.deepEqual(staleInputs(await splitInputs(ds, 'split', splitRng(2).key, small), now), ['seed']);
  assert.deepEqual(staleInputs(await splitInputs(ds, 'split', splitRng(1).key, { ...small, sameFraction: 0.4 }), now), ['config']);
  assert.deepEqual(staleInputs(undefined, now), ['none recorded']);
});

hostile('splits', 'the dataset fingerprint ignores the folder\'s place but not an added, re-encoded or renamed image', async () => {
  const t = tempDir();
  try {
    const a = path.join(t.dir, 'a');
    await makeLfwFolder(a, [2, 3, 1], 4);
    const b = path.join(t.dir, 'b');
    fs.cpSync(a, b, { recursive: true });
    const fp = async (dir: string): Promise<string> => datasetFingerprint(await Dataset.open(dir, { cache: null }));
    const base = await fp(a);
    assert.match(base, /^[0-9a-f]{16}$/);
    assert.equal(await fp(b), base, 'a copy elsewhere is the same data');
    fs.appendFileSync(path.join(b, 'Person_A', 'Person_A_0001.jpg'), Buffer.from([0, 0]));
    assert.notEqual(await fp(b), base, 'a re-encoded image');
    fs.rmSync(b, { recursive: true });
    fs.cpSync(a, b, { recursive: true });
    fs.renameSync(path.join(b, 'Person_A', 'Person_A_0002.jpg'), path.join(b, 'Person_A', 'Person_A_0003.jpg'));
    assert.notEqual(await fp(b), base, 'a renamed image');
    fs.copyFileSync(path.join(a, 'Person_A', 'Person_A_0001.jpg'), path.join(a, 'Person_C', 'Person_C_0002.jpg'));
    assert.notEqual(await fp(a), base, 'an added image');
  } finally {
    t.cleanup();
  }
});

hostile('splits', 'a View 1 split\'s inputs change when a pair file is edited, naming pairFiles', async () => {
  const t = tempDir();
  try {
    await makeLfwFolder(t.dir, [3, 3, 2, 2], 4, ['Ann', 'Bob', 'Cy', 'Di']);
    fs.writeFileSync(path.join(t.dir, 'pairsDevTrain.txt'), '1\nAnn\t1\t2\nAnn\t1\tBob\t1\n');
    fs.writeFileSync(path.join(t.dir, 'pairsDevTest.txt'), '1\nCy\t1\t2\nCy\t1\tDi\t1\n');
    const ds = await Dataset.open(t.dir, { cache: null });
    const before = await splitInputs(ds, 'view1', '1/split');
    assert.deepEqual(Object.keys(before.pairFiles).sort(), ['pairsDevTest.txt', 'pairsDevTrain.txt']);
    fs.writeFileSync(path.join(t.dir, 'pairsDevTrain.txt'), '1\nAnn\t2\t3\nAnn\t1\tBob\t1\n');
    assert.deepEqual(staleInputs(before, await splitInputs(ds, 'view1', '1/split')), ['pairFiles']);
  } finally {
    t.cleanup();
  }
});

hostile('splits', 'a split file whose inputs are not an object is refused, naming the file', async () => {
  const ds = await dataset();
  const t = tempDir();
  try {
    const file = path.join(t.dir, 'split.json');
    await saveSplit(makeSplit(ds, splitRng(1), small), file);
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...json, inputs: 'today' }));
    await assert.rejects(loadSplit(file, ds), new RegExp(`^Error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: inputs must be an object, got "today"$`));
  } finally {
    t.cleanup();
  }
});

hostile('splits', 'a truncated split file is refused, naming the file', async () => {
  const ds = await dataset();
  const t = tempDir();
  try {
    const file = path.join(t.dir, 'split.json');
    await saveSplit(makeSplit(ds, splitRng(1), small), file);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.length / 2));
    await assert.rejects(loadSplit(file, ds), new RegExp(`cannot read split ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(line \\d+\\): `));
  } finally {
    t.cleanup();
  }
});

hostile('splits', 'experimentSplit does not return a run\'s saved split made from other inputs', async () => {
  const ds = await dataset();
  const t = tempDir();
  try {
    const input = { data: { dir: ds.root, split: small, splitSeed: 3 } };
    const fresh = await experimentSplit(input, ds, t.dir);
    const dir = await runDir(resolveExperiment(input).config, ds, t.dir);
    // a split of another seed, recorded as such, sitting in this run's folder
    const rng = splitRng(9);
    await saveSplit({ ...makeSplit(ds, rng, small), inputs: await splitInputs(ds, 'split', rng.key, small) }, path.join(dir, 'split.json'));
    assert.deepEqual(await experimentSplit(input, ds, t.dir), fresh);
    // and the one made from these inputs is returned as saved
    await saveSplit(fresh, path.join(dir, 'split.json'));
    assert.deepEqual(await experimentSplit(input, ds, t.dir), fresh);
  } finally {
    t.cleanup();
  }
});

hostile('splits', 'a saved split naming a missing image gives the file, the real line and the pair', async () => {
  const ds = await dataset();
  const t = tempDir();
  try {
    const split = makeSplit(ds, splitRng(1), small);
    const file = path.join(t.dir, 'split.json');
    const p = split.pairs.val[2];
    const gone = { ...p, b: { person: p.b.person, file: `${p.b.person}_0042.jpg` } };
    await saveSplit({ ...split, pairs: { ...split.pairs, val: split.pairs.val.map((x, i) => (i === 2 ? gone : x)) } }, file);
    const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(`_0042.jpg`)) + 1;
    assert.ok(line > 10);
    const at = `${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${line}: pairs\\.val\\[2\\]: missing image ${p.b.person}\\/${p.b.person}_0042\\.jpg \\(${p.b.person} has \\d+\\)`;
    await assert.rejects(loadSplit(file, ds), new RegExp(`1 pair\\(s\\) of split .* do not resolve in dataset .*:\\n {2}${at}$`));
  } finally {
    t.cleanup();
  }
});
