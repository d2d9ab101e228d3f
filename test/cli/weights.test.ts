import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { experimentFromFlags } from '../../lib/cli/commands/train';
import { parsePretrainedModel } from '../../lib/cli/commands/weights';
import { buildProgram } from '../../lib/cli/main';
import { createHash } from 'node:crypto';
import { fetchImagenetWeights, imagenetWeightsDir, KERAS_MOBILENET_V3_SMALL } from '../../lib/models';
import { resolveExperiment, runExperiment } from '../../lib/train';
import { tempRuns, tinyConfig, tinyFaces } from '../train/fixtures';
import { writeKerasSmallFixture } from '../models/keras-fixture';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-cli-weights-'));
  process.env.SIAMESE_DATA = path.join(tmp, 'home');
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs `siamese ...args` in-process; resolves or rejects with the command's error. */
async function siamese(...args: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  await program.parseAsync(['node', 'siamese', ...args]);
}

test('siamese weights fetch offline: the error names the URL, what to do, and --file PATH', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/mnv3.h5`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const stderr = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await assert.rejects(siamese('weights', 'fetch', 'mobilenet-v3-small', '--url', url, '--retries', '0'), (err: Error) => {
      assert.match(err.message, /are you offline\?/);
      assert.ok(err.message.includes(url));
      assert.match(err.message, /Download it by hand[\s\S]*put it at\n {2}\S+weights_mobilenet_v3_small_224_1\.0_float_no_top_v2\.h5\n.*or pass --file \/path\/to\/weights_mobilenet_v3_small_224_1\.0_float_no_top_v2\.h5/);
      return true;
    });
  } finally {
    process.stderr.write = stderr;
  }
});

test('siamese weights fetch --file: a file that is not Keras\'s is refused, naming it and the expected MD5s; unknown models are named', async () => {
  const fake = path.join(tmp, 'fake.h5');
  await writeKerasSmallFixture(fake);
  await assert.rejects(siamese('weights', 'fetch', 'mobilenet-v3-small', '--file', fake), (err: Error) =>
    err.message.includes(fake) && /MD5 mismatch/.test(err.message) && err.message.includes(KERAS_MOBILENET_V3_SMALL.noTop.md5 as string));
  await assert.rejects(siamese('weights', 'fetch', 'mobilenet-v3-small', '--file', path.join(tmp, 'absent.h5')), /--file .*absent\.h5 does not exist/);
  assert.throws(() => parsePretrainedModel('mobilenet-v3-smal'), /unknown model "mobilenet-v3-smal": weights fetch knows mobilenet-v3-small; did you mean "mobilenet-v3-small"\?/);
});

test('siamese train --weights imagenet sets the MobileNetV3-small option; none keeps the run key; other models are refused', () => {
  const withImagenet = resolveExperiment(experimentFromFlags({ preset: 'mnv3-adam-cosine', weights: 'imagenet' })).config;
  assert.deepEqual(withImagenet.model, { kind: 'mobileNetV3Small', options: { inputSize: 112, head: 'mnv3-notebook', weights: 'imagenet' } });
  const plain = resolveExperiment(experimentFromFlags({ preset: 'mnv3-adam-cosine' })).config;
  assert.deepEqual(resolveExperiment(experimentFromFlags({ preset: 'mnv3-adam-cosine', weights: 'none' })).config, plain);
  const file = path.join(tmp, 'c.json');
  fs.writeFileSync(file, JSON.stringify({ model: { kind: 'mobileNetV3Small', options: { inputSize: 64, weights: 'imagenet' } } }));
  assert.equal(resolveExperiment(experimentFromFlags({ preset: 'default', config: file })).config.model.options?.weights, 'imagenet');
  assert.throws(() => experimentFromFlags({ preset: 'default', weights: 'imagenet' }), /--weights imagenet is for MobileNetV3-small models; preset default trains the default workshopCnn/);
  assert.throws(() => experimentFromFlags({ preset: 'mnv3-adam-cosine', weights: 'imagenet1k' }), /--weights must be one of none, imagenet, got "imagenet1k": did you mean "imagenet"\?/);
});

test('a run with weights imagenet: refused before anything is written when the converted file is absent; trains once it is there', async () => {
  const dir = await tinyFaces();
  const runs = tempRuns();
  const input = tinyConfig(dir, { model: { kind: 'mobileNetV3Small', options: { inputSize: 32, head: 'simple', weights: 'imagenet' } }, epochs: 1 });
  const quiet = { log: () => undefined, progress: 'none' as const };
  await assert.rejects(runExperiment(input, { ...quiet, runsDir: runs }), /imagenet[\s\S]*does not exist\. Run `siamese weights fetch mobilenet-v3-small`/);
  assert.deepEqual(fs.readdirSync(runs), [], 'no run folder was made');
  const fixture = path.join(tmp, 'fixture.h5');
  await writeKerasSmallFixture(fixture);
  const md5 = createHash('md5').update(fs.readFileSync(fixture)).digest('hex');
  await fetchImagenetWeights({ log: () => undefined, file: fixture, sources: [{ ...KERAS_MOBILENET_V3_SMALL.noTop, md5 }] });
  assert.ok(fs.existsSync(path.join(imagenetWeightsDir(), 'model.json')));
  const result = await runExperiment(input, { ...quiet, runsDir: runs });
  assert.equal(result.history.length, 1);
  assert.ok(Number.isFinite(result.test.auc));
  assert.equal(result.config.model.options && (result.config.model.options as { weights?: string }).weights, 'imagenet');
});
