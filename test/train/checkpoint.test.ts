import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCheckpoint, writeCheckpoint } from '../../lib/train';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-ckpt-'));

test('a checkpoint round-trips meta and tensors bit-exactly', () => {
  const file = path.join(dir, 'a.ckpt');
  const w = new Float32Array([1.5, -2, Math.PI, 1e-30, -0]);
  const tensors = new Map([['dense/kernel', { shape: [5], values: w }], ['empty', { shape: [0, 3], values: new Float32Array(0) }]]);
  writeCheckpoint(file, { meta: { epoch: 3, rng: { key: 'x', s: [1, 2, 3, 4] } }, tensors });
  const back = readCheckpoint<{ epoch: number }>(file);
  assert.equal(back.meta.epoch, 3);
  assert.deepEqual([...back.tensors.keys()], ['dense/kernel', 'empty']);
  assert.deepEqual(Buffer.from(back.tensors.get('dense/kernel')!.values.buffer), Buffer.from(w.buffer));
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temporary file left');
});

test('truncated, foreign and mis-shaped checkpoints are clear errors', () => {
  const file = path.join(dir, 'b.ckpt');
  writeCheckpoint(file, { meta: {}, tensors: new Map([['w', { shape: [2, 2], values: new Float32Array(4) }]]) });
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 3));
  assert.throws(() => readCheckpoint(file), /b\.ckpt: not a usable checkpoint \(expected \d+ bytes, found \d+ \(truncated\?\)\)/);
  fs.writeFileSync(file, 'hello');
  assert.throws(() => readCheckpoint(file), /wrong magic/);
  assert.throws(() => writeCheckpoint(file, { meta: {}, tensors: new Map([['w', { shape: [3], values: new Float32Array(4) }]]) }), /holds 3 values, got 4/);
});
