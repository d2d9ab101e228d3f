// Issue 19 (learner vocabulary): presets, the split preset, the MobileNetV3 head, the model kind and the
// augmentation were renamed after what they are (the MobileNetV3 notebook, the Siamese CNN reference). The old
// names ("seed1-…", "seed2-…", `seed1`, `seed2Cnn`, `seed2`) keep working everywhere, and run keys do not change.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Dataset, staleInputs, type SplitInputs } from '../../lib/data';
import {
  buildEmbedding, canonicalModelKind, countParams, loadModel, mobileNetV3Small, preprocessingFor, readModelMetadata, resolveMobileNetV3Small, saveModel, siamese,
  type ModelSpec,
} from '../../lib/models';
import {
  EXPERIMENT_PRESET_ALIASES, EXPERIMENT_PRESETS, canonicalConfig, experimentPreset, legacyKeyConfig, mergeExperiment, readRunResult, resolveExperiment, runExperiment,
  runKey, type ExperimentInput,
} from '../../lib/train';
import { aliasNote, experimentFromFlags, readExperimentFile } from '../../lib/cli/commands/train';
import { checkExperimentInput } from '../../lib/train/config-schema';
import { tinyConfig, tinyFaces } from './fixtures';

const temps: string[] = [];
after(() => { for (const d of temps) fs.rmSync(d, { recursive: true, force: true }); });
function temp(prefix = 'siamese-vocab-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}

/**
 * A fixed dataset for pinning run keys: 4 people × 3 files of fixed sizes (a dataset's identity is its image names
 * and sizes; nothing here decodes them) and no pair files of its own, so View 1 / View 2 read the committed
 * data/lfw-meta files.
 */
async function pinDataset(): Promise<Dataset> {
  const root = temp('siamese-pin-');
  for (let p = 0; p < 4; p++) {
    const name = `Person_${'ABCD'[p]}`;
    fs.mkdirSync(path.join(root, name));
    for (let i = 1; i <= 3; i++) fs.writeFileSync(path.join(root, name, `${name}_${String(i).padStart(4, '0')}.jpg`), Buffer.alloc(100 + 10 * p + i));
  }
  return Dataset.open(root, { cache: null });
}

/** Run keys computed before the rename (commit 141824b), under the names the presets had then. */
const PINNED: Readonly<Record<string, readonly [oldName: string, newName: string, key: string]>> = {
  default: ['default', 'default', '8b0d20350b'],
  quick: ['quick', 'quick', '3015ff797b'],
  'quick-view1': ['quick-view1', 'quick-view1', '53502253cb'],
  'adam-cosine': ['seed1-adam-cosine', 'mnv3-adam-cosine', 'd21732fb45'],
  'adam-step': ['seed1-adam-step', 'mnv3-adam-step', '6d9166158c'],
  'rmsprop-cosine': ['seed1-rmsprop-cosine', 'mnv3-rmsprop-cosine', '3ce962a748'],
  'rmsprop-step': ['seed1-rmsprop-step', 'mnv3-rmsprop-step', 'c6e4e5d69c'],
  bce: ['seed2-bce', 'siamese-cnn-bce', 'b8bdca992a'],
  contrastive: ['seed2-contrastive', 'siamese-cnn-contrastive', '2b7441b766'],
  'view2-64': ['view2-mnv3-64', 'view2-mnv3-64', '28d4e7ca39'],
  'view2-112': ['view2-mnv3-112', 'view2-mnv3-112', '084d625849'],
  'view2-32': ['view2-seed2-32', 'view2-siamese-cnn-32', 'a713842f24'],
  'lfw-scratch': ['lfw-scratch', 'lfw-scratch', '05b00c0b11'],
};

test('run keys are the ones computed before the rename, under the old and the new preset names', async () => {
  const ds = await pinDataset();
  // on one thread (workers: 1) and without the flip at test time (flipTest: false; lfw-scratch now sets it) a preset is
  // the config it was before there were these choices; on two threads (the default) it is another run
  for (const [oldName, newName, key] of Object.values(PINNED)) {
    assert.equal(await runKey(resolveExperiment({ ...experimentPreset(newName), workers: 1, flipTest: false }).config, ds), key, newName);
    assert.equal(await runKey(resolveExperiment({ ...experimentPreset(oldName), workers: 1, flipTest: false }).config, ds), key, oldName);
    assert.notEqual(await runKey(resolveExperiment(experimentPreset(newName)).config, ds), key, `${newName} on two threads`);
  }
  // every preset is pinned (a new preset gets its line here)
  assert.deepEqual(Object.values(PINNED).map(([, n]) => n).sort(), Object.keys(EXPERIMENT_PRESETS).sort());
});

test('a config written with the old names has the same resolved config and run key as with the new names', async () => {
  const ds = await pinDataset();
  const pairs: [ExperimentInput, ExperimentInput][] = [
    [{ model: { kind: 'seed2Cnn', options: { inputSize: 32 } }, augment: 'seed2' }, { model: { kind: 'siameseCnn', options: { inputSize: 32 } }, augment: 'siamese-cnn' }],
    [{ model: { kind: 'mobileNetV3Small', options: { inputSize: 64, head: 'seed1' } }, normalize: false, data: { split: { preset: 'seed1' } } },
      { model: { kind: 'mobileNetV3Small', options: { inputSize: 64, head: 'mnv3-notebook' } }, normalize: false, data: { split: { preset: 'mnv3-notebook' } } }],
    [{ data: { split: { preset: 'seed1', numPairs: { train: 200 } } } }, { data: { split: { preset: 'mnv3-notebook', numPairs: { train: 200 } } } }],
  ];
  for (const [old, now] of pairs) {
    const a = resolveExperiment(old).config;
    const b = resolveExperiment(now).config;
    assert.deepEqual(a, b, JSON.stringify(old));
    assert.equal(await runKey(a, ds), await runKey(b, ds));
    assert.deepEqual(legacyKeyConfig(b), legacyKeyConfig(a));
    assert.deepEqual(canonicalConfig(legacyKeyConfig(b)), b, 'the key form maps back');
  }
  // the resolved config speaks the new names
  const c = resolveExperiment(pairs[0][0]).config;
  assert.deepEqual([c.model.kind, c.augment], ['siameseCnn', 'siamese-cnn']);
  // nothing is added: a config without these fields keeps its key form unchanged
  const plain = resolveExperiment({}).config;
  assert.deepEqual(legacyKeyConfig(plain), plain);
  assert.equal(canonicalConfig(plain), plain);
});

test('old preset names are aliases: the same preset, not listed', () => {
  for (const [old, now] of Object.entries(EXPERIMENT_PRESET_ALIASES)) {
    assert.equal(experimentPreset(old), experimentPreset(now), old);
    assert.equal(EXPERIMENT_PRESETS[old], EXPERIMENT_PRESETS[now], old);
    assert.ok(!Object.keys(EXPERIMENT_PRESETS).includes(old), `${old} is not listed`);
    assert.deepEqual(resolveExperiment(experimentPreset(old)).config, resolveExperiment(experimentPreset(now)).config);
  }
  assert.ok(Object.keys(EXPERIMENT_PRESETS).every((n) => !/seed/.test(n)), 'no listed preset is named after a seed');
  assert.throws(() => experimentPreset('toString'), /unknown experiment preset "toString"/);
});

test('siamese train --preset <old> and --preset <new> resolve the same; the old name gives one note', () => {
  for (const [old, now] of Object.entries(EXPERIMENT_PRESET_ALIASES)) {
    const a = resolveExperiment(experimentFromFlags({ preset: old, epochs: '3', seed: '2' })).config;
    const b = resolveExperiment(experimentFromFlags({ preset: now, epochs: '3', seed: '2' })).config;
    assert.deepEqual(a, b, old);
    assert.equal(a.name, now, 'the run is named by the new name');
    assert.equal(aliasNote({ preset: now }), null);
    assert.equal(aliasNote({ preset: old }), `note: preset ${old} is now ${now} (the old name still works and trains the same run)`);
  }
  // --augment's old name works too, and an old preset with it still makes a single note line
  const withAugment = resolveExperiment(experimentFromFlags({ preset: 'default', augment: 'seed2' })).config;
  assert.equal(withAugment.augment, 'siamese-cnn');
  const note = aliasNote({ preset: 'seed2-bce', augment: 'seed2' }) ?? '';
  assert.equal(note.split('\n').length, 1);
  assert.match(note, /^note: preset seed2-bce is now siamese-cnn-bce; augmentation seed2 is now siamese-cnn/);
});

test('a --config file with the old names resolves as with the new ones', () => {
  const dir = temp();
  const oldFile = path.join(dir, 'old.json');
  fs.writeFileSync(oldFile, JSON.stringify({ model: { kind: 'seed2Cnn', options: { inputSize: 32 } }, augment: 'seed2', data: { split: { preset: 'seed1' } } }));
  const newFile = path.join(dir, 'new.json');
  fs.writeFileSync(newFile, JSON.stringify({ model: { kind: 'siameseCnn', options: { inputSize: 32 } }, augment: 'siamese-cnn', data: { split: { preset: 'mnv3-notebook' } } }));
  const a = resolveExperiment(experimentFromFlags({ preset: 'seed2-contrastive', config: oldFile })).config;
  const b = resolveExperiment(experimentFromFlags({ preset: 'siamese-cnn-contrastive', config: newFile })).config;
  assert.deepEqual(a, b);
  assert.deepEqual(readExperimentFile(oldFile).model, { kind: 'seed2Cnn', options: { inputSize: 32 } }, 'the file is read as written');
  // the schema takes the old kind with its new kind's options (errors name it by its new name)
  assert.doesNotThrow(() => checkExperimentInput({ model: { kind: 'seed2Cnn', options: { inputSize: 32, seed: 1 } } }));
  assert.throws(() => checkExperimentInput({ model: { kind: 'seed2Cnn', options: { filters: [4] } } }), /model kind siameseCnn takes: inputSize, seed/);
  assert.throws(() => checkExperimentInput({ model: { kind: 'seed3Cnn' } }), /"model\.kind" must be one of workshopCnn, mobileNetV3Small, siameseCnn, got "seed3Cnn"/);
});

test('the MobileNetV3 head seed1 is the mnv3-notebook head: the same network, the same weights', () => {
  assert.equal(resolveMobileNetV3Small({ head: 'seed1' }).head, 'mnv3-notebook');
  assert.equal(resolveMobileNetV3Small({}).head, 'mnv3-notebook');
  const a = mobileNetV3Small({ head: 'seed1', inputSize: 32, alpha: 0.25, seed: 4 });
  const b = mobileNetV3Small({ head: 'mnv3-notebook', inputSize: 32, alpha: 0.25, seed: 4 });
  try {
    assert.equal(a.name, b.name);
    assert.equal(b.name, 'mobileNetV3Small_mnv3-notebook');
    assert.equal(countParams(a).trainable, countParams(b).trainable);
    const wa = a.getWeights();
    const wb = b.getWeights();
    assert.equal(wa.length, wb.length);
    wa.forEach((w, i) => assert.deepEqual(Array.from(w.dataSync()), Array.from(wb[i].dataSync()), a.weights[i].name));
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('model kind seed2Cnn is siameseCnn: specs, built networks and saved models with the old kind still work', async () => {
  assert.equal(canonicalModelKind('seed2Cnn'), 'siameseCnn');
  const old: ModelSpec = { kind: 'seed2Cnn', options: { inputSize: 32 } };
  const now: ModelSpec = { kind: 'siameseCnn', options: { inputSize: 32 } };
  assert.deepEqual(preprocessingFor(old), preprocessingFor(now));
  const netOld = buildEmbedding(old, 1);
  const netNew = buildEmbedding(now, 1);
  const dir = path.join(temp(), 'model');
  try {
    assert.equal(countParams(netOld).trainable, countParams(netNew).trainable);
    // a model saved before the rename: its metadata says seed2Cnn; it loads, and its kind still builds and prepares input
    const model = siamese(netOld, { head: 'euclidean', seed: 1 });
    await saveModel(model, dir, { config: { model: old } });
    model.dispose();
    const loaded = await loadModel(dir);
    const x = tf.zeros([1, 32, 32, 3]);
    const y = loaded.predict([x, x]) as tf.Tensor;
    assert.deepEqual(y.shape, [1, 1]);
    tf.dispose([x, y]);
    loaded.dispose();
    const spec = (readModelMetadata(dir)?.config as { model: ModelSpec }).model;
    assert.equal(spec.kind, 'seed2Cnn');
    assert.deepEqual(preprocessingFor(spec), preprocessingFor(now));
    buildEmbedding(spec, 1).dispose();
  } finally {
    netOld.dispose();
    netNew.dispose();
  }
});

test('a run cached before the rename (old names in its config) is found by the new preset and reads in the new names', async () => {
  const faces = await tinyFaces();
  const runsDir = temp('siamese-runs-');
  const input = mergeExperiment(tinyConfig(faces), { augment: 'siamese-cnn', data: { split: { preset: 'mnv3-notebook', numPairs: { train: 24, val: 8, test: 8 } } } });
  const config = resolveExperiment(input).config;
  const ds = await Dataset.open(faces, { cache: null });
  const key = await runKey(config, ds);
  // what a run of the old vocabulary wrote: its config as given then
  const oldConfig = { ...config, augment: 'seed2', data: { ...config.data, split: { ...config.data.split, preset: 'seed1' } } };
  assert.equal(await runKey(oldConfig as typeof config, ds), key, 'the same key under the old names');
  const dir = path.join(runsDir, key);
  fs.mkdirSync(dir, { recursive: true });
  const test = { n: 8, accuracy: 0.75, accuracyCi: [0.5, 1], auc: 0.8, threshold: 0.5, oracleAccuracy: 0.75 };
  fs.writeFileSync(path.join(dir, 'result.json'), JSON.stringify({
    name: 'tiny', hash: key, dir, config: oldConfig, history: [], bestEpoch: 1, test, rawPixels: test,
    data: { root: faces, source: 'dir' }, backend: 'cpu', trainSeconds: 1, finishedAt: '2026-01-01T00:00:00.000Z', cached: false,
  }));
  const result = await runExperiment(input, { runsDir, log: () => undefined, progress: 'none' });
  assert.equal(result.cached, true);
  assert.equal(result.hash, key);
  assert.deepEqual(result.config, config, 'read back in the new names');
  assert.deepEqual(readRunResult(dir)?.config, config);
});

test('a split.json that records the old split preset name is not stale', () => {
  const current: SplitInputs = {
    dataset: 'abc', protocol: 'split', seed: '1/split', pairFiles: {},
    config: { preset: 'mnv3-notebook', peopleFractions: { train: 0.64, val: 0.16, test: 0.2 }, numPairs: { train: 300, val: 75, test: 100 }, sameFraction: 0.5 },
  };
  assert.deepEqual(staleInputs({ ...current, config: { ...current.config!, preset: 'seed1' } }, current), []);
  assert.deepEqual(staleInputs({ ...current, config: { ...current.config!, preset: 'seed1+custom' } }, { ...current, config: { ...current.config!, preset: 'mnv3-notebook+custom' } }), []);
  assert.deepEqual(staleInputs({ ...current, config: { ...current.config!, preset: 'default' } }, current), ['config']);
});
