import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { experimentFromFlags } from '../../lib/cli/commands/train';
import { resolveExperiment } from '../../lib/train';
import { hostile } from '../hostile';

test('train flags: preset, then --config JSON, then single flags', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-cli-')), 'c.json');
  fs.writeFileSync(file, JSON.stringify({ epochs: 7, data: { protocol: 'view1' } }));
  const cfg = resolveExperiment(experimentFromFlags({ preset: 'mnv3-adam-step', config: file, lr: '0.01', splitSeed: '4', name: 'x' })).config;
  assert.equal(cfg.name, 'x');
  assert.equal(cfg.epochs, 7);
  assert.equal(cfg.model.kind, 'mobileNetV3Small');
  assert.deepEqual([cfg.optimizer.name, cfg.optimizer.lr, cfg.schedule.name], ['adam', 0.01, 'step']);
  assert.deepEqual([cfg.data.protocol, cfg.data.splitSeed, cfg.data.split.preset], ['view1', 4, 'mnv3-notebook']);
});

test('train flags: --flip-test turns the flip at test time on, --no-flip-test off (lfw-scratch has it on)', () => {
  assert.equal(resolveExperiment(experimentFromFlags({ preset: 'default', flipTest: true })).config.flipTest, true);
  assert.equal('flipTest' in resolveExperiment(experimentFromFlags({ preset: 'default' })).config, false);
  assert.equal(resolveExperiment(experimentFromFlags({ preset: 'lfw-scratch' })).config.flipTest, true);
  assert.equal('flipTest' in resolveExperiment(experimentFromFlags({ preset: 'lfw-scratch', flipTest: false })).config, false);
});

test('bad flags name the flag and the value', () => {
  assert.throws(() => experimentFromFlags({ preset: 'default', epochs: 'many' }), /--epochs must be a number, got "many"/);
  assert.throws(() => experimentFromFlags({ preset: 'nope' }), /unknown experiment preset "nope"; known: default, quick/);
  assert.throws(() => experimentFromFlags({ preset: 'default', config: '/no/such/file.json' }), /--config \/no\/such\/file.json: ENOENT/);
  assert.throws(() => resolveExperiment(experimentFromFlags({ preset: 'default', optimizer: 'lion' })), /optimizer must be one of adam, sgd, rmsprop, got "lion"/);
});

hostile('configs', 'train flags with a bad choice name the flag and suggest the nearest value', () => {
  assert.throws(() => experimentFromFlags({ preset: 'default', optimizer: 'adma' }), /^Error: --optimizer must be one of adam, sgd, rmsprop, got "adma": did you mean "adam"\?$/);
  assert.throws(() => experimentFromFlags({ preset: 'default', schedule: 'cosin' }), /^Error: --schedule must be one of constant, step, cosine, got "cosin": did you mean "cosine"\?$/);
  assert.throws(() => experimentFromFlags({ preset: 'default', augment: 'heavy' }), /^Error: --augment must be one of default, siamese-cnn, none, got "heavy"$/);
});
hostile('configs', 'train --seed and --split-seed take integers only', () => {
  assert.throws(() => experimentFromFlags({ preset: 'default', seed: '0x10' }), /--seed must be an integer, got "0x10"/);
  assert.throws(() => experimentFromFlags({ preset: 'default', splitSeed: '1e3' }), /--split-seed must be an integer, got "1e3"/);
  assert.equal(resolveExperiment(experimentFromFlags({ preset: 'default', splitSeed: '-2' })).config.data.splitSeed, -2);
});
hostile('configs', '--config: a nested typo names the file and the dotted key; flags over a valid file still apply', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-cli-'));
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, JSON.stringify({ data: { split: { peopleFraction: { train: 0.8 } } } }));
  assert.throws(() => experimentFromFlags({ preset: 'default', config: bad }), /unknown key "data\.split\.peopleFraction" in .*bad\.json: did you mean "data\.split\.peopleFractions"\?/);
  const good = path.join(dir, 'good.json');
  fs.writeFileSync(good, JSON.stringify({ optimizer: { lr: 0.5 }, schedule: { name: 'step', stepSize: 2 } }));
  const cfg = resolveExperiment(experimentFromFlags({ preset: 'default', config: good, lr: '0.25' })).config;
  assert.deepEqual([cfg.optimizer.lr, cfg.schedule.name, cfg.schedule.stepSize], [0.25, 'step', 2]);
  fs.rmSync(dir, { recursive: true, force: true });
});
