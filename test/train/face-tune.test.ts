import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import type { IsSame, Pair, PairList } from '../../lib/data/types';
import { loadRecognitionNet, topDescriptors, TRUNK_SIZE, zeroShotTop, type RecognitionNet } from '../../lib/faces/recognition-net';
import { TrunkCache } from '../../lib/faces/trunk-cache';
import { describeCached, describeTuned, drawHardBatch, findNeighbours, mixWithZeroShot, peopleAuc, resolveFaceTune, topVariables, tuneFold, tuneSplit, tuneView2, validationPeople } from '../../lib/train/face-tune';
import { Rng } from '../../lib/util/rng';
import { writeFakeTrunkCache } from './fixtures';

/**
 * A made-up LFW: 10 folds of 6 people, 4 images each, with a made-up trunk cache ({@link writeFakeTrunkCache}).
 */
function fakeLfw(dir: string): PairList {
  const pairs: Pair[] = [];
  const folds: number[] = [];
  const images: [string, string[]][] = [];
  for (let f = 0; f < 10; f++) {
    const people = Array.from({ length: 6 }, (_, i) => `P${f}x${i}`);
    for (const person of people) images.push([person, [1, 2, 3, 4].map((n) => `${person}/${person}_000${n}.jpg`)]);
    for (const [i, person] of people.entries()) {
      const ref = (n: number) => ({ person, file: `${person}_000${n}.jpg` });
      pairs.push({ a: ref(1), b: ref(2), isSame: 1 }, { a: ref(3), b: ref(4), isSame: 1 });
      const other = people[(i + 1) % people.length];
      pairs.push({ a: ref(1), b: { person: other, file: `${other}_0003.jpg` }, isSame: 0 }, { a: ref(2), b: { person: other, file: `${other}_0004.jpg` }, isSame: 0 });
      folds.push(f, f, f, f);
    }
  }
  writeFakeTrunkCache(dir, images);
  return { name: 'fake-pairs', pairs, folds, numFolds: 10, sources: pairs.map((_, i) => ({ file: 'fake-pairs.txt', line: i + 2 })) };
}

const FAST = { identities: 8, imagesPerIdentity: 3, singles: 0, maxSteps: 80, evalEvery: 20, patience: 4, learningRate: 3e-4, seed: 3 };

describe('face-tune: the top of face-api ResNet trained per View 2 fold on cached trunk activations', () => {
  let tmp: string;
  let net: RecognitionNet;
  let list: PairList;
  let cache: TrunkCache;
  before(async () => {
    await initBackend();
    net = loadRecognitionNet();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-face-tune-'));
    list = fakeLfw(path.join(tmp, 'cache'));
    cache = TrunkCache.open(path.join(tmp, 'cache'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("step 0 reproduces face-api's zero-shot descriptors within 1e-5", () => {
    const vars = topVariables(net.top);
    const refs = [...cache.records.keys()].slice(0, 5);
    const a = describeCached(vars, cache, refs, false);
    const b = describeCached(net.top, cache, refs, false);
    for (let i = 0; i < a.length; i++) for (let j = 0; j < 128; j++) assert.ok(Math.abs(a[i][j] - b[i][j]) <= 1e-5);
    vars.dispose();
  });

  it("trained deeper (open 1): step 0 is face-api's net; it needs a cache short of the trunk's last block, learns, and leaks nothing", () => {
    const short = path.join(tmp, 'open1');
    fs.cpSync(path.join(tmp, 'cache'), short, { recursive: true });
    fs.writeFileSync(path.join(short, 'cache.json'), '{"open": 1}');
    const open1 = TrunkCache.open(short);
    const zero = zeroShotTop(net, 1);
    const vars = topVariables(zero);
    assert.equal(vars.variables.length, 17, "conv256_2's two convs (4 tensors each), then the top's 9");
    const refs = [...open1.records.keys()].slice(0, 5);
    const a = describeCached(vars, open1, refs, false);
    const b = describeCached(zero, open1, refs, false);
    const c = describeCached(net.top, open1, refs, false);
    for (let i = 0; i < a.length; i++) for (let j = 0; j < 128; j++) assert.ok(Math.abs(a[i][j] - b[i][j]) <= 1e-5);
    assert.ok(Math.abs(b[0][0] - c[0][0]) > 1e-4, 'the block in front matters');
    vars.dispose();
    const cfg = { ...FAST, maxSteps: 40, open: 1 as const };
    assert.throws(() => tuneFold(net, cache, list, 0, cfg), /holds the activations 0 block\(s\) short of the trunk's output, but this tuning trains 1 of the trunk's blocks/);
    const before = tf.memory().numTensors;
    const r = tuneFold(net, open1, list, 0, cfg);
    assert.equal(tf.memory().numTensors, before, 'tensor count changed');
    assert.ok(r.bestStep > 0, 'some step beat step 0 on the validation fold');
    assert.ok(r.tuned.auc > r.zeroShotFlip.auc + 0.02, `tuned AUC ${r.tuned.auc} vs zero-shot ${r.zeroShotFlip.auc}`);
    const top = tuneFold(net, cache, list, 0, { ...cfg, open: undefined });
    assert.notEqual(top.zeroShot.auc, r.zeroShot.auc, 'zero-shot is scored through the block the deeper tuning trains');
  });

  it('learns: the tuned top separates the held-out people of the test fold better than zero-shot', () => {
    const r = tuneFold(net, cache, list, 0, FAST);
    assert.equal(r.validationFold, 1);
    assert.equal(r.trainPeople, 48, 'the eight training folds: 48 people');
    assert.ok(r.bestStep > 0, 'some step beat step 0 on the validation fold');
    assert.ok(r.tuned.auc > r.zeroShotFlip.auc + 0.02, `tuned AUC ${r.tuned.auc} vs zero-shot ${r.zeroShotFlip.auc}`);
  });

  it('is deterministic for a seed, differs for another, and leaks no tensor', () => {
    const before = tf.memory().numTensors;
    const a = tuneFold(net, cache, list, 3, { ...FAST, maxSteps: 20 });
    assert.equal(tf.memory().numTensors, before, 'tensor count changed');
    const b = tuneFold(net, cache, list, 3, { ...FAST, maxSteps: 20 });
    const c = tuneFold(net, cache, list, 3, { ...FAST, maxSteps: 20, seed: 4 });
    assert.deepEqual({ ...a, seconds: 0 }, { ...b, seconds: 0 });
    assert.notEqual(a.tuned.threshold, c.tuned.threshold, "another seed draws other batches");
  });

  it('refuses training data that shares a person with the test fold (the leak check), and images missing from the cache', () => {
    const leaky: PairList = { ...list, pairs: list.pairs.map((p, i) => (list.folds[i] === 5 && i % 4 === 2 ? { ...p, b: { person: 'P0x0', file: 'P0x0_0001.jpg' } } : p)) };
    assert.throws(() => tuneFold(net, cache, leaky, 0, FAST), /share \d+ people with its test or validation fold \(P0x0/);
    const test = list.pairs.filter((_, i) => list.folds[i] === 0);
    assert.throws(() => tuneSplit(net, cache, { name: 'a split', trainPeople: ['P1x0', 'P0x3'], valPairs: test.slice(0, 4), testPairs: test.slice(4), stream: 's' }, FAST),
      /leak: a split: 1 training people are in its test or validation pairs \(P0x3\)/);
    const missing: PairList = { ...list, pairs: list.pairs.map((p, i) => (i === 0 ? { ...p, a: { person: 'Nobody', file: 'Nobody_0001.jpg' }, isSame: 0 as IsSame } : p)) };
    assert.throws(() => tuneFold(net, cache, missing, 0, FAST), /Nobody\/Nobody_0001\.jpg .*is not in the trunk cache/);
  });

  it('checks its config, naming the field', () => {
    assert.throws(() => resolveFaceTune({ loss: 'bce' as never }), /loss must be "contrastive" or "triplet", got "bce"/);
    assert.throws(() => resolveFaceTune({ imagesPerIdentity: 1 }), /imagesPerIdentity must be at least 2/);
    assert.throws(() => resolveFaceTune({ learningRate: -1 }), /learningRate must be a positive number/);
    assert.throws(() => resolveFaceTune({ augment: ['tight'], augmentShare: 1.5 }), /augmentShare must be in \(0, 1\], got 1\.5/);
    assert.throws(() => resolveFaceTune({ augmentShare: 0.7 }), /augmentShare needs augment/);
    assert.throws(() => resolveFaceTune({ open: 3 as never }), /open must be 0, 1 or 2 \(the trunk's last blocks trained with the top\), got 3/);
    assert.equal('open' in resolveFaceTune({ open: 0 as never }), false, 'open 0 resolves to absent (old result folders keep their hash)');
    assert.equal(resolveFaceTune({ augment: ['tight'], augmentShare: 0.75 }).augmentShare, 0.75);
  });

  it('tuneView2 writes each fold as it ends and resumes from them; with train: false it lists the missing folds', () => {
    const root = path.join(tmp, 'tune');
    const cfg = { ...FAST, maxSteps: 20, layers: 'fc' as const };
    const first = tuneView2(net, cache, list, cfg, { folds: [2], root });
    assert.equal(first.folds.length, 1);
    assert.ok(fs.existsSync(path.join(first.dir, 'fold-3.json')));
    const again = tuneView2(net, cache, list, cfg, { folds: [2, 4], root, train: false });
    assert.deepEqual(again.missing, [4]);
    assert.deepEqual({ ...again.folds[0], config: undefined }, { ...first.folds[0], config: undefined });
    fs.writeFileSync(path.join(first.dir, 'fold-3.json'), '{');
    assert.throws(() => tuneView2(net, cache, list, cfg, { folds: [2], root }), /fold-3\.json: not a readable fold result/);
  });

  it('keeps each fold\'s tuned weights: another cache of the same images is scored from them later, without training again', () => {
    const root = path.join(tmp, 'tune-also');
    const cfg = { ...FAST, maxSteps: 40 };
    const first = tuneView2(net, cache, list, cfg, { folds: [6], root });
    assert.ok(fs.existsSync(path.join(first.dir, 'fold-7.top.f32')), 'the weights are kept beside the fold');
    assert.equal(first.folds[0].also, undefined);
    // the same cache under another name: its scores must be the fold's own, zero-shot and tuned
    const lines: string[] = [];
    const later = tuneView2(net, cache, list, cfg, { folds: [6], root, alsoScore: { same: cache }, log: (l) => lines.push(l) });
    assert.ok(!lines.some((l) => /training fold/.test(l)), `scored from the kept weights, not trained again: ${lines.join(' | ')}`);
    const f = later.folds[0];
    assert.deepEqual(f.also?.same.tuned, f.tuned);
    assert.deepEqual(f.also?.same.zeroShot, f.zeroShot);
    assert.deepEqual(f.also?.same.zeroShotFlip, f.zeroShotFlip);
    // a result from before the mirror was scored on other caches is scored again from its kept weights
    const file = path.join(first.dir, 'fold-7.json');
    const old = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete old.also.same.zeroShotFlip;
    fs.writeFileSync(file, JSON.stringify(old));
    const lines2: string[] = [];
    const rescored = tuneView2(net, cache, list, cfg, { folds: [6], root, alsoScore: { same: cache }, log: (l) => lines2.push(l) });
    assert.ok(!lines2.some((l) => /training fold/.test(l)), `scored from the kept weights, not trained again: ${lines2.join(' | ')}`);
    assert.deepEqual(rescored.folds[0].also?.same.zeroShotFlip, f.zeroShotFlip);
    assert.equal(f.also?.same.found.tiny, 24, 'the test pairs\' 24 distinct images, each counted once by how it was found');
    // and the fold's file now holds them
    const reread = tuneView2(net, cache, list, cfg, { folds: [6], root, train: false });
    assert.deepEqual(reread.folds[0].also, f.also);
    fs.writeFileSync(path.join(first.dir, 'fold-7.top.f32'), Buffer.alloc(12));
    assert.throws(() => tuneView2(net, cache, list, cfg, { folds: [6], root, alsoScore: { other: cache } }), /fold-7\.top\.f32: 12 bytes, but the top's weights take \d+/);
  });

  it('scores a fold again from its kept weights when a record of the other cache was redone since', () => {
    const root = path.join(tmp, 'tune-redo');
    const cfg = { ...FAST, maxSteps: 40 };
    const copyDir = path.join(tmp, 'cache-copy');
    fs.cpSync(path.join(tmp, 'cache'), copyDir, { recursive: true });
    const first = tuneView2(net, cache, list, cfg, { folds: [4], root, alsoScore: { copy: TrunkCache.open(copyDir) } });
    const before = first.folds[0].also!.copy;
    // one test image described again (as fillTrunkCache's redo appends it): its later line stands for it
    const p = list.pairs[list.folds.indexOf(4)].a;
    const ref = `${p.person}/${p.file}`;
    const old = TrunkCache.open(copyDir);
    const n = [...old.records.values()].length;
    // redone as another person's face: the pair it is in changes
    const stranger = list.pairs[list.folds.indexOf(0)].a;
    const redone = Float32Array.from(old.activations(`${stranger.person}/${stranger.file}`));
    fs.appendFileSync(path.join(copyDir, 'trunk-0.f32'), Buffer.from(redone.buffer));
    fs.appendFileSync(path.join(copyDir, 'index-0.jsonl'), `${JSON.stringify({ ref, found: 'tiny+low', faces: 1, shard: 0, index: n })}\n`);
    const lines: string[] = [];
    const later = tuneView2(net, cache, list, cfg, { folds: [4], root, alsoScore: { copy: TrunkCache.open(copyDir) }, log: (l) => lines.push(l) });
    assert.ok(!lines.some((l) => /training fold/.test(l)), `scored from the kept weights, not trained again: ${lines.join(' | ')}`);
    const after = later.folds[0].also!.copy;
    assert.notEqual(after.records, before.records);
    assert.equal(after.found['tiny+low'], 1);
    assert.equal(after.found.tiny, before.found.tiny - 1);
    assert.notDeepEqual(after.tuned, before.tuned, 'the scores are computed again');
  });

  it('trains on other copies of the images too (augment), and names a copy it was not given', () => {
    assert.equal('augment' in resolveFaceTune({ augment: [] }), false, 'no copies: the config (and its result folder) is as before');
    assert.throws(() => resolveFaceTune({ augment: [''] }), /augment must be a list of copy names/);
    assert.throws(() => tuneFold(net, cache, list, 0, { ...FAST, augment: ['tight'] }), /augment names the copy "tight", but no trunk cache was given for it/);
    const copy = TrunkCache.open(path.join(tmp, 'cache'));
    const a = tuneFold(net, cache, list, 0, { ...FAST, augment: ['tight'] }, { augment: { tight: copy } });
    const b = tuneFold(net, cache, list, 0, { ...FAST, augment: ['tight'] }, { augment: { tight: copy } });
    assert.deepEqual({ ...a, seconds: 0 }, { ...b, seconds: 0 }, 'deterministic for a seed');
    assert.ok(a.tuned.auc > a.zeroShotFlip.auc + 0.02, `tuned AUC ${a.tuned.auc} vs zero-shot ${a.zeroShotFlip.auc}`);
  });

  it('hardBatches: people come with their look-alikes, the single images nearest to them, and the batches still learn', () => {
    // people 0-5 on a line at 0, 1, 2, 10, 11, 12 (two clusters); singles at 0.4, 11.6, 30
    const people = [0, 1, 2, 10, 11, 12];
    const near = {
      people: people.map((x, i) => Int32Array.from(people.map((y, j) => [Math.abs(x - y), j]).filter(([, j]) => j !== i).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, j]) => j))),
      singles: people.map((x) => Int32Array.from([0.4, 11.6, 30].map((y, j) => [Math.abs(x - y), j]).sort((a, b) => a[0] - b[0]).map(([, j]) => j))),
    };
    for (let seed = 1; seed <= 20; seed++) {
      const b = drawHardBatch(new Rng(seed), near, 3, 3, 2, 3);
      assert.equal(new Set(b.people).size, 3, 'three distinct people');
      const cluster = (i: number) => (people[i] < 5 ? 0 : 1);
      assert.equal(new Set(b.people.map(cluster)).size, 1, `a group of three is one cluster of look-alikes: ${b.people}`);
      assert.deepEqual(b.singles.slice().sort(), [0, 1], 'the two single images nearest to the people; the one far from everyone (30) is not drawn');
    }
    assert.deepEqual(drawHardBatch(new Rng(5), near, 4, 2, 3, 3), drawHardBatch(new Rng(5), near, 4, 2, 3, 3), 'deterministic for a seed');
    const four = drawHardBatch(new Rng(5), near, 4, 2, 3, 3);
    assert.equal(four.singles.length, 3, 'topped up at random when the nearest are too few');
    // findNeighbours on the fake LFW: a person's nearest people are by their descriptors, and it is not itself
    const multi = ['P0x0', 'P0x1', 'P0x2'].map((p) => [1, 2, 3, 4].map((n) => `${p}/${p}_000${n}.jpg`));
    const n = findNeighbours(net.top, cache, multi, ['P1x0/P1x0_0001.jpg'], true);
    assert.deepEqual(n.people.map((x) => [...x].sort()), [[1, 2], [0, 2], [0, 1]]);
    assert.deepEqual(n.singles.map((x) => [...x]), [[0], [0], [0]]);
    assert.throws(() => resolveFaceTune({ hardBatches: 1 }), /hardBatches must be an integer from 2 to identities \(32\), got 1/);
    assert.throws(() => resolveFaceTune({ identities: 8, hardBatches: 9 }), /hardBatches must be an integer from 2 to identities \(8\)/);
    assert.equal('hardBatches' in resolveFaceTune({}), false, 'absent by default: the config (and its result folder) is as before');
    const before = tf.memory().numTensors;
    const a = tuneFold(net, cache, list, 0, { ...FAST, hardBatches: 2 });
    assert.equal(tf.memory().numTensors, before, 'tensor count changed');
    const b = tuneFold(net, cache, list, 0, { ...FAST, hardBatches: 2 });
    assert.deepEqual({ ...a, seconds: 0 }, { ...b, seconds: 0 }, 'deterministic for a seed');
    assert.ok(a.tuned.auc > a.zeroShotFlip.auc + 0.02, `tuned AUC ${a.tuned.auc} vs zero-shot ${a.zeroShotFlip.auc}`);
  });

  it("validation 'people': early stopping on every pair of the validation fold's people's images", () => {
    const v = validationPeople(cache, list.pairs.filter((_, i) => list.folds[i] === 1), 3);
    assert.equal(v.refs.length, 18, 'six people, capped at three images each');
    assert.deepEqual(v.refs.slice(0, 3), ['P1x0/P1x0_0001.jpg', 'P1x0/P1x0_0002.jpg', 'P1x0/P1x0_0003.jpg'], 'the first by name');
    assert.deepEqual(v.labels.slice(0, 4), [0, 0, 0, 1]);
    const d = [[0], [0.1], [5], [5.2]].map((x) => Float32Array.from(x));
    assert.equal(peopleAuc(d, [0, 0, 1, 1]), 1, 'same-person pairs all nearer than the rest');
    assert.equal(peopleAuc(d, [0, 1, 0, 1]), 0.25, 'same-person distances 5 and 5.1 against 0.1, 0.2, 4.9, 5.2: each beats one of four');
    assert.equal('validation' in resolveFaceTune({ validation: 'pairs' }), false, 'the default resolves to absent (the result folder is as before)');
    assert.throws(() => resolveFaceTune({ validation: 'all' as never }), /validation must be "pairs" or "people", got "all"/);
    const lines: string[] = [];
    const a = tuneFold(net, cache, list, 0, FAST, { log: (l) => lines.push(l) });
    assert.equal(resolveFaceTune({}).validation, 'people', 'the default');
    assert.ok(lines.some((l) => /validation: every pair of 24 images of the validation fold's 6 people/.test(l)), lines.join(' | '));
    const b = tuneFold(net, cache, list, 0, { ...FAST, validation: 'people' });
    assert.deepEqual({ ...a, seconds: 0 }, { ...b, seconds: 0 }, 'deterministic for a seed');
    assert.ok(a.tuned.auc > a.zeroShotFlip.auc + 0.02, `tuned AUC ${a.tuned.auc} vs zero-shot ${a.zeroShotFlip.auc}`);
    assert.notEqual(a.validationAuc.tuned, tuneFold(net, cache, list, 0, { ...FAST, validation: 'pairs' }).validationAuc.tuned, 'another measure of the validation fold');
    const copyLines: string[] = [];
    const copy = TrunkCache.open(path.join(tmp, 'cache'));
    const c = tuneFold(net, cache, list, 0, { ...FAST, maxSteps: 20, validation: 'people', augment: ['tight'] }, { augment: { tight: copy }, log: (l) => copyLines.push(l) });
    assert.ok(copyLines.some((l) => /of their copies \(AUC averaged\)/.test(l)), copyLines.join(' | '));
    assert.equal(c.validationAuc.zeroShot, a.validationAuc.zeroShot, 'a copy identical to the originals: the mean of two equal AUCs');
  });

  it("mix: the tuned top's weights mixed with face-api's, the mix chosen on the validation fold (WiSE-FT)", () => {
    const vars = topVariables(net.top);
    try {
      const zero = vars.snapshot();
      const tuned = zero.map((z) => z.map((x) => x + 1));
      // a made-up validation AUC that peaks halfway between the two tops
      const auc = (top: { fc: tf.Tensor }) => -Math.abs((top.fc.dataSync()[0] - zero[8][0]) - 0.5);
      const lines: string[] = [];
      const m = mixWithZeroShot(vars, zero, { auc: -0.5, values: tuned }, [0.25, 0.5, 0.75], auc, (l) => lines.push(l));
      assert.equal(m?.mix, 0.5);
      assert.ok(Math.abs(m!.auc) < 1e-6, `auc ${m?.auc}`);
      for (let i = 0; i < zero.length; i++) for (const j of [0, zero[i].length - 1]) assert.ok(Math.abs(m!.values[i][j] - (zero[i][j] + 0.5)) < 1e-5);
      assert.equal(lines.length, 3);
      assert.equal(mixWithZeroShot(vars, zero, { auc: 1, values: tuned }, [0.5], auc, () => undefined), null, 'no mix beats a tuned top that is best');
    } finally {
      vars.dispose();
    }
    assert.throws(() => resolveFaceTune({ mix: [0.5, 1] }), /mix must be a list of weights of the tuned top, each between 0 and 1/);
    assert.equal('mix' in resolveFaceTune({ mix: [] }), false, 'no weights resolves to absent (the result folder is as before)');
    const before = tf.memory().numTensors;
    const plain = tuneFold(net, cache, list, 0, FAST);
    const a = tuneFold(net, cache, list, 0, { ...FAST, mix: [0.25, 0.5, 0.75] });
    assert.equal(tf.memory().numTensors, before, 'tensor count changed');
    assert.equal(a.bestStep, plain.bestStep, 'the same training');
    assert.ok(a.mix !== undefined && [0.25, 0.5, 0.75, 1].includes(a.mix), `mix ${a.mix}`);
    assert.ok(a.validationAuc.tuned >= plain.validationAuc.tuned, 'a mix is kept only when it scores better on validation');
    assert.equal(a.mix === 1, a.validationAuc.tuned === plain.validationAuc.tuned);
    assert.deepEqual({ ...a, seconds: 0 }, { ...tuneFold(net, cache, list, 0, { ...FAST, mix: [0.25, 0.5, 0.75] }), seconds: 0 }, 'deterministic');
  });

  it("withZeroShot: the tuned top described beside face-api's, distances their root mean square", () => {
    const refs = [...cache.records.keys()].slice(0, 6);
    const vars = topVariables(net.top);
    try {
      const tuned = vars.snapshot().map((w, i) => (i === 8 ? w.map((x, j) => x * (1 + 0.5 * Math.sin(j))) : w));
      vars.restore(tuned);
      const t = describeCached(vars, cache, refs, true);
      const z = describeCached(net.top, cache, refs, true);
      const both = describeTuned(vars, cache, refs, true, net.top);
      assert.equal(both[0].length, 256);
      const dist = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, x, j) => s + (x - b[j]) ** 2, 0));
      for (const [i, j] of [[0, 1], [0, 5], [2, 3]]) {
        const want = Math.sqrt((dist(t[i], t[j]) ** 2 + dist(z[i], z[j]) ** 2) / 2);
        assert.ok(Math.abs(dist(both[i], both[j]) - want) < 1e-5, `pair ${i}, ${j}: ${dist(both[i], both[j])} vs ${want}`);
      }
      assert.deepEqual(describeTuned(vars, cache, refs, true, net.top, z), both, 'descriptors given for the second top are used as they are');
      assert.deepEqual(describeTuned(vars, cache, refs, true), t, 'without a second top: the tuned top alone');
      assert.throws(() => describeTuned(vars, cache, refs, true, net.top, z.slice(1)), /5 descriptors beside the tuned top's 6/);
    } finally {
      vars.dispose();
    }
    assert.throws(() => resolveFaceTune({ withZeroShot: 1 as never }), /withZeroShot must be true or false, got 1/);
    assert.equal('withZeroShot' in resolveFaceTune({ withZeroShot: false }), false, 'false resolves to absent (the result folder is as before)');
    const before = tf.memory().numTensors;
    const plain = tuneFold(net, cache, list, 0, FAST);
    const a = tuneFold(net, cache, list, 0, { ...FAST, withZeroShot: true });
    assert.equal(tf.memory().numTensors, before, 'tensor count changed');
    assert.deepEqual(a.zeroShotFlip, plain.zeroShotFlip, 'zero-shot is scored the same way');
    assert.ok(a.bestStep > 0, 'early stopping watches the pair of tops, and training still pays');
    assert.ok(a.tuned.auc > a.zeroShotFlip.auc, `withZeroShot: AUC ${a.tuned.auc} vs zero-shot ${a.zeroShotFlip.auc}`);
    assert.notDeepEqual(a.tuned, plain.tuned);
  });

  it('trains with batch-hard triplet too', () => {
    const r = tuneFold(net, cache, list, 0, { ...FAST, loss: 'triplet', margin: 0.1 });
    assert.ok(r.tuned.auc > r.zeroShotFlip.auc, `triplet: tuned AUC ${r.tuned.auc} vs zero-shot ${r.zeroShotFlip.auc}`);
    void topDescriptors;
  });
});
