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
  assert.throws(() => readCheckpoint(file), /b\.ckpt: not a usable checkpoint \(truncated: expected \d+ bytes, found \d+\); delete it/);
  fs.writeFileSync(file, 'hello');
  assert.throws(() => readCheckpoint(file), /b\.ckpt: not a usable checkpoint \(wrong magic: not written by this project\)/);
  assert.throws(() => writeCheckpoint(file, { meta: {}, tensors: new Map([['w', { shape: [3], values: new Float32Array(4) }]]) }), /holds 3 values, got 4/);
});

// ---- hostile checkpoints (issue 14): every damaged file is refused naming it; a failed write loses nothing ----

import { createHash } from 'node:crypto';
import { hostile } from '../hostile';
import { nodeFileOps, type FileOps } from '../../lib/util/files';

const META = { epoch: 2, step: 7, note: 'ünïcode' };
const tensors = () => new Map([['w000:dense/kernel', { shape: [3, 4], values: Float32Array.from({ length: 12 }, (_, i) => i / 7 - 0.5) }],
  ['opt:m', { shape: [5], values: new Float32Array([1, 2, 3, 4, 5]) }]]);

/** A fresh, valid checkpoint file in its own folder. */
function fresh(name = 'last.ckpt'): { file: string; bytes: Buffer } {
  const file = path.join(fs.mkdtempSync(path.join(dir, 'h-')), name);
  writeCheckpoint(file, { meta: META, tensors: tensors() });
  return { file, bytes: fs.readFileSync(file) };
}

/** Writes `bytes` with bit `bit` of byte `at` flipped (negative `at`: from the end). */
function flip(file: string, bytes: Buffer, at: number, bit = 0): void {
  const b = Buffer.from(bytes);
  b[at < 0 ? b.length + at : at] ^= 1 << bit;
  fs.writeFileSync(file, b);
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const CORRUPT = 'checksum mismatch: the file is corrupt';

/** The bytes of a format-1 file (as written before checksums) holding META and tensors(). */
function v1Bytes(overrides: { dataBytes?: number; index?: unknown[] } = {}): Buffer {
  const t = [...tensors()];
  let offset = 0;
  const index = t.map(([name, { shape, values }]) => { const e = { name, shape, offset, length: values.length }; offset += values.length * 4; return e; });
  const header = Buffer.from(JSON.stringify({ meta: META, index: overrides.index ?? index, dataBytes: overrides.dataBytes ?? offset }));
  const prefix = Buffer.alloc(23);
  prefix.write('SIAMESE-CKPT-1\n', 0, 'latin1');
  prefix.writeBigUInt64LE(BigInt(header.length), 15);
  const pad = Buffer.alloc((4 - ((prefix.length + header.length) % 4)) % 4);
  return Buffer.concat([prefix, header, pad, ...t.map(([, { values }]) => Buffer.from(values.buffer))]);
}

hostile('checkpoints', 'a checkpoint carries the SHA-256 of its contents in its last 32 bytes', () => {
  const { bytes } = fresh();
  assert.equal(bytes.toString('latin1', 0, 15), 'SIAMESE-CKPT-2\n');
  assert.deepEqual(bytes.subarray(-32), createHash('sha256').update(bytes.subarray(0, -32)).digest());
});

hostile('checkpoints', 'one flipped bit in a float (issue item 5) is refused, naming the file', () => {
  const { file, bytes } = fresh();
  flip(file, bytes, -32 - 9, 3); // inside the last tensor's data
  assert.throws(() => readCheckpoint(file), new RegExp(`^CheckpointError: ${esc(file)}: not a usable checkpoint \\(${CORRUPT}.*\\); delete it`));
});

hostile('checkpoints', 'a flipped sign bit of the first weight is refused', () => {
  const { file, bytes } = fresh();
  const dataStart = bytes.length - 32 - 17 * 4;
  flip(file, bytes, dataStart + 3, 7);
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(${CORRUPT}`));
});

hostile('checkpoints', 'a flipped bit in the JSON header (the epoch) is refused', () => {
  const { file, bytes } = fresh();
  const at = bytes.indexOf('"epoch":2') + '"epoch":'.length;
  flip(file, bytes, at, 0); // '2' -> '3': still valid JSON, wrong meta
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(${CORRUPT}`));
});

hostile('checkpoints', 'a flipped bit that breaks the header JSON is called corrupt, not "bad header" alone', () => {
  const { file, bytes } = fresh();
  flip(file, bytes, bytes.indexOf('{"meta"'), 1); // '{' -> 'y'
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(${CORRUPT}.*; bad header`));
});

hostile('checkpoints', 'a flipped bit in the header-length field is refused', () => {
  const { file, bytes } = fresh();
  flip(file, bytes, 15 + 5, 2); // a huge header length
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(truncated or corrupt: a header of \\d+ bytes does not fit in the file's ${bytes.length} bytes\\)`));
});

hostile('checkpoints', 'a flipped bit in the stored checksum itself is refused', () => {
  const { file, bytes } = fresh();
  flip(file, bytes, -1, 0);
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(${CORRUPT}`));
});

hostile('checkpoints', 'a 0-byte file is "empty: probably interrupted while being written", not "not written by this project"', () => {
  const { file } = fresh();
  fs.writeFileSync(file, '');
  assert.throws(() => readCheckpoint(file), new RegExp(`^CheckpointError: ${esc(file)}: not a usable checkpoint \\(empty \\(0 bytes\\): probably interrupted while being written\\); delete it`));
});

hostile('checkpoints', 'a file cut inside the magic is "truncated", not foreign', () => {
  const { file, bytes } = fresh();
  fs.writeFileSync(file, bytes.subarray(0, 6));
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(truncated: only 6 bytes\\)`));
});

hostile('checkpoints', 'a file cut inside the header length is truncated', () => {
  const { file, bytes } = fresh();
  fs.writeFileSync(file, bytes.subarray(0, 19));
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(truncated: only 19 bytes\\)`));
});

hostile('checkpoints', 'a file cut inside the header is truncated', () => {
  const { file, bytes } = fresh();
  fs.writeFileSync(file, bytes.subarray(0, 40));
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(truncated or corrupt: a header of \\d+ bytes does not fit in the file's 40 bytes\\)`));
});

hostile('checkpoints', 'a file cut inside the tensor data is truncated, with both sizes', () => {
  const { file, bytes } = fresh();
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 50));
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(truncated: expected ${bytes.length} bytes, found ${bytes.length - 50}\\)`));
});

hostile('checkpoints', 'a file missing only its checksum is truncated', () => {
  const { file, bytes } = fresh();
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 32));
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(truncated: expected ${bytes.length} bytes, found ${bytes.length - 32}\\)`));
});

hostile('checkpoints', 'bytes appended after the checksum are refused', () => {
  const { file, bytes } = fresh();
  fs.writeFileSync(file, Buffer.concat([bytes, Buffer.from('junk')]));
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(${CORRUPT}.*expected ${bytes.length} bytes, found ${bytes.length + 4}: trailing bytes\\)`));
});

hostile('checkpoints', 'a PNG renamed to last.ckpt is foreign', () => {
  const { file } = fresh();
  fs.writeFileSync(file, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(40).fill(0)]));
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(wrong magic: not written by this project\\)`));
});

hostile('checkpoints', 'a checkpoint of a newer format says so', () => {
  const { file, bytes } = fresh();
  const b = Buffer.from(bytes);
  b.write('9', 13, 'latin1');
  fs.writeFileSync(file, b);
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(format 9: written by a newer version of this project\\); update the project`));
});

hostile('checkpoints', 'a format-1 checkpoint (before checksums) is still read, bit-exactly', () => {
  const { file } = fresh('old.ckpt');
  fs.writeFileSync(file, v1Bytes());
  const back = readCheckpoint<typeof META>(file);
  assert.equal(back.format, 1);
  assert.deepEqual(back.meta, META);
  for (const [name, t] of tensors()) assert.deepEqual(Buffer.from(back.tensors.get(name)!.values.buffer), Buffer.from(t.values.buffer), name);
  assert.equal(readCheckpoint(fresh().file).format, 2);
});

hostile('checkpoints', 'a truncated format-1 checkpoint is truncated', () => {
  const { file } = fresh('old.ckpt');
  const b = v1Bytes();
  fs.writeFileSync(file, b.subarray(0, b.length - 4));
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(truncated: expected ${b.length} bytes, found ${b.length - 4}\\)`));
});

hostile('checkpoints', 'a format-1 index pointing outside the data is refused before any copy', () => {
  const { file } = fresh('old.ckpt');
  fs.writeFileSync(file, v1Bytes({ index: [{ name: 'evil', shape: [1000], offset: 0, length: 1000 }] }));
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(bad header: tensor "evil" lies outside the data or does not match its shape\\)`));
});

hostile('checkpoints', 'a format-1 header without an index is refused', () => {
  const { file } = fresh('old.ckpt');
  const header = Buffer.from('{"meta":{}}');
  const prefix = Buffer.alloc(23);
  prefix.write('SIAMESE-CKPT-1\n', 0, 'latin1');
  prefix.writeBigUInt64LE(BigInt(header.length), 15);
  fs.writeFileSync(file, Buffer.concat([prefix, header]));
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(bad header: no tensor index\\)`));
});

hostile('checkpoints', 'a folder where the checkpoint should be is named as such', () => {
  const d = fs.mkdtempSync(path.join(dir, 'h-'));
  const file = path.join(d, 'last.ckpt');
  fs.mkdirSync(file);
  assert.throws(() => readCheckpoint(file), new RegExp(`${esc(file)}: not a usable checkpoint \\(it is a folder, not a file\\)`));
});

hostile('checkpoints', 'a missing checkpoint is named', () => {
  const file = path.join(dir, 'nope', 'last.ckpt');
  assert.throws(() => readCheckpoint(file), new RegExp(`^Error: ${esc(file)}: no such checkpoint$`));
});

/** node:fs with one call replaced by a failure of errno `code`. */
function failing(call: keyof FileOps, code: string, when: (...args: unknown[]) => boolean = () => true): FileOps {
  const ops = { ...nodeFileOps } as Record<string, unknown>;
  const real = (nodeFileOps as unknown as Record<string, (...a: unknown[]) => unknown>)[call];
  ops[call] = (...args: unknown[]) => {
    if (when(...args)) throw Object.assign(new Error(`${code}: simulated, ${call}`), { code });
    return real(...args);
  };
  return ops as unknown as FileOps;
}

/** Asserts that overwriting a good checkpoint with `ops` fails with `message`, leaves no temporary file and keeps the old one. */
function assertFailedOverwrite(ops: FileOps, message: RegExp): void {
  const { file, bytes } = fresh();
  const bigger = tensors();
  bigger.set('opt:v', { shape: [1000], values: new Float32Array(1000).fill(2) });
  assert.throws(() => writeCheckpoint(file, { meta: { ...META, epoch: 3 }, tensors: bigger }, ops), message);
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['last.ckpt'], 'no *.tmp-* left behind');
  assert.deepEqual(fs.readFileSync(file), bytes, 'the previous checkpoint is intact');
  assert.equal(readCheckpoint<typeof META>(file).meta.epoch, 2);
}

hostile('checkpoints', 'ENOSPC in the middle of writing the tensors: temporary file removed, previous checkpoint intact', () => {
  let writes = 0;
  const file = /last\.ckpt/;
  assertFailedOverwrite(failing('writeSync', 'ENOSPC', () => ++writes === 5),
    new RegExp(`^FileWriteError: cannot write \\S*${file.source}: no space left on device \\(ENOSPC\\); nothing was replaced`));
});

hostile('checkpoints', 'EDQUOT on the very first write: cleaned up, previous intact', () => {
  assertFailedOverwrite(failing('writeSync', 'EDQUOT'), /cannot write \S*last\.ckpt: disk quota exceeded \(EDQUOT\)/);
});

hostile('checkpoints', 'EIO at fsync: cleaned up, previous intact', () => {
  assertFailedOverwrite(failing('fsyncSync', 'EIO'), /cannot write \S*last\.ckpt: input\/output error \(a failing disk\?\) \(EIO\)/);
});

hostile('checkpoints', 'a failing rename: cleaned up, previous intact', () => {
  assertFailedOverwrite(failing('renameSync', 'EACCES'), /cannot write \S*last\.ckpt: permission denied \(EACCES\)/);
});

hostile('checkpoints', 'a temporary file that cannot be created: clear error, previous intact', () => {
  assertFailedOverwrite(failing('openSync', 'EROFS'), /cannot write \S*last\.ckpt: read-only file system \(EROFS\)/);
});
