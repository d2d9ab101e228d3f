import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ChecksumError, DownloadError } from '../../lib/data';
import {
  convertKerasMobileNetV3Small, fetchImagenetWeights, imagenetWeightsDir, ImagenetWeightsError, KERAS_MOBILENET_V3_SMALL, kerasLayerName, loadImagenetWeights,
  mobileNetV3Small, preprocessingFor, readKerasWeights, resolveMobileNetV3Small, writeConvertedWeights, type KerasLayerToWrite,
} from '../../lib/models';
import { resolveExperiment } from '../../lib/train';
import { kerasSmallLayers, writeKerasSmallFixture } from './keras-fixture';

let tmp: string;
let fixture: string;
let layers: KerasLayerToWrite[];
let fixtureMd5: string;
const quiet = { log: () => undefined, progress: 'none' as const };

/** The fixture's MD5 in place of Keras's, so the `--file` route accepts it. */
const fixtureSources = () => [{ ...KERAS_MOBILENET_V3_SMALL.noTop, md5: fixtureMd5 }];

/** The project's variable that holds Keras tensor `layer/weight`: project layer names are Keras's with `/` as `_`. */
function projectVariable(model: tf.LayersModel, layer: string, weight: string): tf.LayerVariable {
  const l = model.getLayer(layer.replace(/\//g, '_'));
  const v = l.weights.find((w) => w.originalName.endsWith(`/${weight}`));
  assert.ok(v, `layer ${l.name} has no weight ${weight}`);
  return v;
}

const sameBits = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

before(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-imagenet-'));
  process.env.SIAMESE_DATA = path.join(tmp, 'home');
  fixture = path.join(tmp, 'keras-small.h5');
  layers = await writeKerasSmallFixture(fixture);
  fixtureMd5 = createHash('md5').update(fs.readFileSync(fixture)).digest('hex');
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('Keras HDF5 weights', () => {
  it('reads back what was written: layer order, names, shapes, values', async () => {
    const read = await readKerasWeights(fixture);
    assert.deepEqual(read.layers, layers.map((l) => l.layer));
    const written = layers.flatMap((l) => l.weights.map((w) => ({ layer: l.layer, ...w })));
    assert.equal(read.tensors.length, written.length);
    read.tensors.forEach((t, i) => {
      assert.deepEqual([t.layer, t.weight, t.shape], [written[i].layer, written[i].weight, [...written[i].shape]]);
      assert.ok(sameBits(t.values, written[i].values), `${t.path}: values differ`);
    });
    assert.equal(read.tensors.find((t) => t.layer === 'Conv/BatchNorm' && t.weight === 'gamma')?.path, '/Conv/BatchNorm/Conv/BatchNorm/gamma:0');
  });

  it('refuses a file that is not HDF5, or HDF5 without Keras layers, naming it', async () => {
    const html = path.join(tmp, 'error-page.h5');
    fs.writeFileSync(html, '<html>403 Forbidden</html>');
    await assert.rejects(readKerasWeights(html), new RegExp(`^Error: ${html.replace(/[.]/g, '\\.')} is not an HDF5 file`));
    await assert.rejects(readKerasWeights(path.join(tmp, 'nope.h5')), /nope\.h5 does not exist/);
  });
});

describe('converting Keras MobileNetV3Small to the project model', () => {
  it('maps Keras layer names to the project\'s and back', () => {
    const cases: Record<string, string> = {
      Conv: 'Conv', Conv_BatchNorm: 'Conv/BatchNorm', Conv_1: 'Conv_1', Conv_1_BatchNorm: 'Conv_1/BatchNorm',
      expanded_conv_depthwise: 'expanded_conv/depthwise', expanded_conv_depthwise_BatchNorm: 'expanded_conv/depthwise/BatchNorm',
      expanded_conv_squeeze_excite_Conv: 'expanded_conv/squeeze_excite/Conv', expanded_conv_squeeze_excite_Conv_1: 'expanded_conv/squeeze_excite/Conv_1',
      expanded_conv_10_expand: 'expanded_conv_10/expand', expanded_conv_10_project_BatchNorm: 'expanded_conv_10/project/BatchNorm',
    };
    for (const [project, keras] of Object.entries(cases)) assert.equal(kerasLayerName(project), keras);
  });

  it('every project weight equals its Keras tensor, layer by layer (same layout: no transposes); the head keeps its init', async () => {
    const conversion = await convertKerasMobileNetV3Small(fixture);
    assert.deepEqual(conversion.ignored, []);
    writeConvertedWeights(imagenetWeightsDir(), conversion.tensors, { file: 'fixture.h5', url: 'file:', md5: fixtureMd5, sha256: 'x' });
    const model = mobileNetV3Small({ weights: 'imagenet', inputSize: 32, head: 'mnv3-notebook', seed: 3 });
    const plain = mobileNetV3Small({ inputSize: 32, head: 'mnv3-notebook', seed: 3, padding: 'keras', inputScaling: 'minusOneToOne' });
    try {
      let checked = 0;
      for (const l of layers) {
        for (const w of l.weights) {
          const v = projectVariable(model, l.layer, w.weight);
          assert.deepEqual(v.shape, [...w.shape], `${l.layer}/${w.weight}: shape`);
          assert.ok(sameBits(v.read().dataSync() as Float32Array, w.values), `${l.layer}/${w.weight}: values differ from the Keras tensor`);
          checked++;
        }
      }
      const backbone = model.layers.filter((l) => !l.name.startsWith('head_')).flatMap((l) => l.weights);
      assert.equal(checked, backbone.length, 'every backbone weight comes from the file');
      assert.equal(checked, 206);
      for (const l of model.layers.filter((x) => x.name.startsWith('head_'))) {
        l.getWeights().forEach((w, i) => assert.ok(sameBits(w.dataSync() as Float32Array, plain.getLayer(l.name).getWeights()[i].dataSync() as Float32Array), `${l.name} changed`));
      }
    } finally {
      model.dispose();
      plain.dispose();
    }
  });

  it('the converted model runs forward (finite, [n, 64]) and leaks no tensors, building included', () => {
    const before = tf.memory().numTensors;
    const model = mobileNetV3Small({ weights: 'imagenet', inputSize: 32, head: 'mnv3-notebook' });
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 1);
    const y = model.predict(x) as tf.Tensor;
    assert.deepEqual(y.shape, [2, 64]);
    assert.ok(Array.from(y.dataSync()).every(Number.isFinite));
    tf.dispose([x, y]);
    const mid = tf.memory().numTensors;
    const again = tf.tidy(() => model.predict(tf.ones([1, 32, 32, 3])) as tf.Tensor);
    again.dispose();
    assert.equal(tf.memory().numTensors, mid, 'a forward pass leaked');
    model.dispose();
    assert.equal(tf.memory().numTensors, before, 'building with ImageNet weights leaked');
  });

  it('Keras\'s include_top file converts too; its classifier is left out and reported', async () => {
    const top = path.join(tmp, 'keras-small-top.h5');
    await writeKerasSmallFixture(top, { top: true });
    const conversion = await convertKerasMobileNetV3Small(top);
    assert.equal(conversion.tensors.length, 206);
    assert.deepEqual(conversion.ignored, ['/Conv_2/Conv_2/kernel:0', '/Conv_2/Conv_2/bias:0', '/Logits/Logits/kernel:0', '/Logits/Logits/bias:0']);
  });

  it('a wrong file names the first mismatched tensor and both shapes; a missing or extra tensor is named', async () => {
    const wrongShape = path.join(tmp, 'wrong-shape.h5');
    await writeKerasSmallFixture(wrongShape, {
      edit: (ls) => ls.map((l) => l.layer === 'expanded_conv_4/depthwise' ? { ...l, weights: [{ weight: 'depthwise_kernel', shape: [3, 3, 240, 1] }] }
        : l.layer === 'Conv_1' ? { ...l, weights: [{ weight: 'kernel', shape: [1, 1, 96, 512] }] } : l),
    });
    await assert.rejects(convertKerasMobileNetV3Small(wrongShape), (err: Error) => {
      assert.match(err.message, /wrong-shape\.h5: tensor expanded_conv_4\/depthwise\/depthwise_kernel has shape \[3, 3, 240, 1\] but the model's expanded_conv_4_depthwise\/depthwise_kernel has shape \[5, 5, 240, 1\]/);
      return true;
    });
    const missing = path.join(tmp, 'missing.h5');
    await writeKerasSmallFixture(missing, {
      edit: (ls) => ls.map((l) => l.layer === 'expanded_conv_3/squeeze_excite/Conv_1' ? { ...l, weights: l.weights.filter((w) => w.weight !== 'bias') } : l),
    });
    await assert.rejects(convertKerasMobileNetV3Small(missing), /missing\.h5: tensor expanded_conv_3\/squeeze_excite\/Conv_1\/bias \(for the model's expanded_conv_3_squeeze_excite_Conv_1\/bias, shape \[96\]\) is missing/);
    const extra = path.join(tmp, 'large.h5');
    await writeKerasSmallFixture(extra, { edit: (ls) => [...ls, { layer: 'expanded_conv_11/expand', weights: [{ weight: 'kernel', shape: [1, 1, 96, 576] }] }] });
    await assert.rejects(convertKerasMobileNetV3Small(extra), /large\.h5: tensor expanded_conv_11\/expand\/kernel \(shape \[1, 1, 96, 576\]\) has no place/);
  });
});

describe('ImageNet weights in configs', () => {
  it('weights imagenet implies Keras padding and [-1, 1] input; contradicting options and other widths are errors', () => {
    const cfg = resolveMobileNetV3Small({ weights: 'imagenet' });
    assert.deepEqual([cfg.padding, cfg.inputScaling, cfg.alpha], ['keras', 'minusOneToOne', 1]);
    assert.equal(preprocessingFor({ kind: 'mobileNetV3Small', options: { weights: 'imagenet' } }).normalization, 'zeroOne');
    assert.throws(() => resolveMobileNetV3Small({ weights: 'imagenet', padding: 'torchvision' }), /weights 'imagenet' needs padding 'keras'.*got "torchvision"/);
    assert.throws(() => resolveMobileNetV3Small({ weights: 'imagenet', alpha: 0.75 }), /needs alpha 1/);
    assert.throws(() => resolveMobileNetV3Small({ weights: 'imagenet1k' as never }), /weights must be one of none, imagenet/);
    const exp = resolveExperiment({ model: { kind: 'mobileNetV3Small', options: { weights: 'imagenet', inputSize: 64 } } });
    assert.equal(exp.preprocessing.normalization, 'zeroOne');
    assert.throws(() => resolveExperiment({ model: { kind: 'mobileNetV3Small', options: { weights: 'imagenett' as never } } }), /"model\.options\.weights" must be one of none, imagenet, got "imagenett": did you mean "imagenet"\?/);
  });

  it('absent or damaged converted weights: the error names the file and the command that makes it; nothing leaks', () => {
    const empty = path.join(tmp, 'empty-home');
    const before = tf.memory().numTensors;
    const model = mobileNetV3Small({ inputSize: 32, padding: 'keras', inputScaling: 'minusOneToOne' });
    assert.throws(() => loadImagenetWeights(model, imagenetWeightsDir(empty)), (err: Error) =>
      err instanceof ImagenetWeightsError && err.message.includes(path.join(imagenetWeightsDir(empty), 'model.json')) &&
      err.message.includes('siamese weights fetch mobilenet-v3-small') && err.message.includes('--file PATH') && err.message.includes(KERAS_MOBILENET_V3_SMALL.noTop.url));
    model.dispose();
    const saved = process.env.SIAMESE_DATA;
    process.env.SIAMESE_DATA = empty;
    try {
      assert.throws(() => mobileNetV3Small({ weights: 'imagenet', inputSize: 32 }), /Run `siamese weights fetch mobilenet-v3-small`/);
    } finally {
      process.env.SIAMESE_DATA = saved;
    }
    assert.equal(tf.memory().numTensors, before, 'a failed build leaked its variables');
    const damaged = path.join(tmp, 'damaged');
    fs.cpSync(imagenetWeightsDir(), damaged, { recursive: true });
    const bin = path.join(damaged, 'weights.bin');
    const bytes = fs.readFileSync(bin);
    bytes[100] ^= 0xff;
    fs.writeFileSync(bin, bytes);
    const m2 = mobileNetV3Small({ inputSize: 32, padding: 'keras', inputScaling: 'minusOneToOne' });
    assert.throws(() => loadImagenetWeights(m2, damaged), /weights\.bin: damaged .* run `siamese weights fetch mobilenet-v3-small --force`/);
    m2.dispose();
  });
});

describe('fetching: --file and offline', () => {
  it('--file: MD5-checked, SHA-256 recorded, converted once; a file that is not Keras\'s is refused naming both MD5s', async () => {
    const home = path.join(tmp, 'fetch-home');
    await assert.rejects(fetchImagenetWeights({ ...quiet, home, file: fixture }), (err: Error) =>
      err instanceof ChecksumError && err.message.includes(fixture) && err.message.includes(KERAS_MOBILENET_V3_SMALL.noTop.md5 as string) &&
      err.message.includes(KERAS_MOBILENET_V3_SMALL.top.md5 as string) && err.message.includes(fixtureMd5));
    assert.equal(fs.existsSync(imagenetWeightsDir(home)), false, 'nothing converted from a refused file');
    const r = await fetchImagenetWeights({ ...quiet, home, file: fixture, sources: fixtureSources() });
    assert.equal(r.converted, true);
    assert.equal(r.metadata.tensors, 206);
    assert.equal(r.download?.downloaded, false);
    assert.equal(r.metadata.source.md5, fixtureMd5);
    const sha = createHash('sha256').update(fs.readFileSync(fixture)).digest('hex');
    assert.equal(fs.readFileSync(path.join(home, 'weights', `${KERAS_MOBILENET_V3_SMALL.noTop.file}.sha256`), 'utf8'), `${sha}  ${KERAS_MOBILENET_V3_SMALL.noTop.file}\n`);
    const again = await fetchImagenetWeights({ ...quiet, home, sources: fixtureSources() });
    assert.equal(again.converted, false, 'already converted: nothing read or downloaded');
    // Another file with the right MD5 record but other bytes: the recorded SHA-256 catches it.
    const other = path.join(tmp, 'other.h5');
    await writeKerasSmallFixture(other, { seed: 9 });
    const otherMd5 = createHash('md5').update(fs.readFileSync(other)).digest('hex');
    await assert.rejects(fetchImagenetWeights({ ...quiet, home, file: other, sources: [{ ...KERAS_MOBILENET_V3_SMALL.noTop, md5: otherMd5 }] }), /recorded in .*\.sha256/);
  });

  it('offline: the error names the URL, the MD5, where to put the file and --file PATH', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/${KERAS_MOBILENET_V3_SMALL.noTop.file}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const home = path.join(tmp, 'offline-home');
    await assert.rejects(fetchImagenetWeights({ ...quiet, home, url, retries: 0 }), (err: Error) => {
      assert.ok(err instanceof DownloadError, String(err));
      assert.match(err.message, /could not download weights_mobilenet_v3_small_224_1\.0_float_no_top_v2\.h5 from 127\.0\.0\.1:\d+ \(.*ECONNREFUSED.*\); are you offline\?/);
      assert.ok(err.message.includes(url), 'names the URL');
      assert.ok(err.message.includes(`expected MD5 ${KERAS_MOBILENET_V3_SMALL.noTop.md5}`), 'names the MD5');
      assert.ok(err.message.includes(path.join(home, 'weights', KERAS_MOBILENET_V3_SMALL.noTop.file)), 'says where to put it');
      assert.ok(err.message.includes(`--file /path/to/${KERAS_MOBILENET_V3_SMALL.noTop.file}`), 'names --file');
      return true;
    });
    assert.equal(fs.existsSync(imagenetWeightsDir(home)), false);
  });
});
