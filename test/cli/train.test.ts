import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { experimentFromFlags } from '../../lib/cli/commands/train';
import { resolveExperiment } from '../../lib/train';

test('train flags: preset, then --config JSON, then single flags', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-cli-')), 'c.json');
  fs.writeFileSync(file, JSON.stringify({ epochs: 7, data: { protocol: 'view1' } }));
  const cfg = resolveExperiment(experimentFromFlags({ preset: 'seed1-adam-step', config: file, lr: '0.01', splitSeed: '4', name: 'x' }));
  assert.equal(cfg.name, 'x');
  assert.equal(cfg.epochs, 7);
  assert.equal(cfg.model.kind, 'mobileNetV3Small');
  assert.deepEqual([cfg.optimizer.name, cfg.optimizer.lr, cfg.schedule.name], ['adam', 0.01, 'step']);
  assert.deepEqual([cfg.data.protocol, cfg.data.splitSeed, cfg.data.split.preset], ['view1', 4, 'seed1']);
});

test('bad flags name the flag and the value', () => {
  assert.throws(() => experimentFromFlags({ preset: 'default', epochs: 'many' }), /--epochs must be a number, got "many"/);
  assert.throws(() => experimentFromFlags({ preset: 'nope' }), /unknown experiment preset "nope"; known: default, quick/);
  assert.throws(() => experimentFromFlags({ preset: 'default', config: '/no/such/file.json' }), /--config \/no\/such\/file.json: ENOENT/);
  assert.throws(() => resolveExperiment(experimentFromFlags({ preset: 'default', optimizer: 'lion' })), /optimizer must be one of adam, sgd, rmsprop, got "lion"/);
});
