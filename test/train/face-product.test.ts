import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { ensureSynthetic } from '../../lib/data';
import { Dataset } from '../../lib/data/dataset';
import { loadRecognitionNet, loadRecognitionTop, type RecognitionNet } from '../../lib/faces/recognition-net';
import { TrunkCache } from '../../lib/faces/trunk-cache';
import { fitUncertainBand } from '../../lib/eval';
import { productTask, trainProduct } from '../../lib/train/face-product';
import { writeFakeTrunkCache } from './fixtures';

const FAST = { withZeroShot: true, identities: 8, imagesPerIdentity: 3, singles: 0, maxSteps: 60, evalEvery: 20, patience: 3, learningRate: 3e-4, seed: 3 };

describe('the shipped tuned model: trained on LFW people outside View 1\'s test pairs and a calibration share', () => {
  let tmp: string;
  let dataset: Dataset;
  let net: RecognitionNet;
  let cache: TrunkCache;
  before(async () => {
    await initBackend();
    net = loadRecognitionNet();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-face-product-'));
    // 60 people of 5 images (only their names matter: the "trunk activations" are made up)
    await ensureSynthetic(path.join(tmp, 'faces'), { people: 60, perPerson: 5, size: 32, seed: 4, devTrainPairs: 40, devTestPairs: 15, folds: 2, foldPairs: 4 });
    dataset = await Dataset.open(path.join(tmp, 'faces'));
    writeFakeTrunkCache(path.join(tmp, 'cache'), dataset.people.map((p) => [p, dataset.images(p).map((f) => `${p}/${f}`)]));
    cache = TrunkCache.open(path.join(tmp, 'cache'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('keeps the test pairs\' people and the calibration people out of training, and draws the same task for a seed', async () => {
    const a = await productTask(dataset, { calibrationPairs: 120 });
    const trained = new Set(a.task.trainPeople);
    const held = [...a.task.valPairs, ...a.task.testPairs].flatMap((p) => [p.a.person, p.b.person]);
    assert.equal(held.filter((p) => trained.has(p)).length, 0, 'no trained person calibrates or tests');
    assert.equal(a.task.valPairs.length, 120);
    assert.equal(a.task.valPairs.filter((p) => p.isSame === 1).length, 60);
    const cal = new Set(a.calibrationPeople);
    assert.ok(a.task.valPairs.every((p) => cal.has(p.a.person) && cal.has(p.b.person)), 'calibration pairs only among calibration people');
    assert.equal(a.task.testPairs.length, 30, "View 1's test pairs, all of them");
    assert.equal(a.task.trainPeople.length + a.calibrationPeople.length + a.testPeople.length, dataset.people.length, 'everyone else trains');
    assert.deepEqual(await productTask(dataset, { calibrationPairs: 120 }), a);
    assert.notDeepEqual((await productTask(dataset, { calibrationPairs: 120, seed: 2 })).calibrationPeople, a.calibrationPeople);
    await assert.rejects(productTask(dataset, { calibrationPairs: 100000 }), /calibration pairs: asked for 50000 same-person pairs/);
  });

  it('learns, stores the top at half precision and scores what it stored; deterministic; no tensor leak', async () => {
    const before = tf.memory().numTensors;
    const run = await trainProduct(net, cache, dataset, path.join(tmp, 'out'), { config: FAST, task: { calibrationPairs: 120 } });
    assert.equal(tf.memory().numTensors, before, 'tensor count changed');
    assert.ok(fs.existsSync(run.weights) && fs.existsSync(path.join(tmp, 'out', 'face-api-tuned.bin')));
    assert.ok(run.bestStep > 0, 'some step beat step 0');
    const o = run.scores.originals;
    assert.ok(o.tuned.test.auc > o.zeroShot.test.auc + 0.02, `tuned test AUC ${o.tuned.test.auc} vs zero-shot ${o.zeroShot.test.auc}`);
    assert.ok(o.tuned.band.halfWidth >= 0 && o.tuned.threshold > 0);
    // verify's band is fitted at the originals' threshold on every cache's calibration pairs: here only the originals'
    assert.deepEqual(run.band, fitUncertainBand(o.tuned.calibrationDistances, run.calibrationIsSame, o.tuned.threshold, { higherIsCloser: false }));
    assert.equal(o.tuned.calibrationDistances.length, 120);
    // the stored weights are what was scored: the same numbers from the file again
    const again = await trainProduct(net, cache, dataset, path.join(tmp, 'out2'), { config: FAST, task: { calibrationPairs: 120 } });
    assert.deepEqual(again.scores, run.scores);
    assert.deepEqual(fs.readFileSync(path.join(tmp, 'out', 'face-api-tuned.bin')), fs.readFileSync(path.join(tmp, 'out2', 'face-api-tuned.bin')));
    const top = loadRecognitionTop(run.weights);
    tf.dispose([...Object.values(top.conv1), ...Object.values(top.conv2), top.fc]);
    await assert.rejects(trainProduct(net, cache, dataset, path.join(tmp, 'out3'), { config: { ...FAST, withZeroShot: false } }), /needs withZeroShot and flip/);
    // with another cache (here the same images again), both caches' calibration pairs fit the band
    const both = await trainProduct(net, cache, dataset, path.join(tmp, 'out4'), { config: FAST, task: { calibrationPairs: 120 }, others: { again: cache } });
    assert.deepEqual(Object.keys(both.scores), ['originals', 'again']);
    const t = both.scores.originals.tuned;
    assert.deepEqual(both.band, fitUncertainBand([...t.calibrationDistances, ...both.scores.again.tuned.calibrationDistances],
      [...both.calibrationIsSame, ...both.calibrationIsSame], t.threshold, { higherIsCloser: false }));
  });
});
