import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readLfwResults, writeLfwResults, type LfwResults } from '../../lib/faces/lfw-results';

test('the committed LFW results parse, with every field notebook 06 shows', () => {
  const r = readLfwResults();
  assert.ok(r.view2.length >= 2 && r.view2.some((row) => row.model === 'face-api:chip') && r.view2.some((row) => row.model === 'face-api-tuned'));
  assert.ok(r.splits.length >= 5, 'at least five split seeds');
  assert.match(r.command, /bench\/lfw-face-tune\.ts/);
});

test('a damaged record is refused naming the file and the field; writing checks what it wrote', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-lfw-results-'));
  const file = path.join(dir, 'r.json');
  assert.throws(() => readLfwResults(file), /cannot read the LFW results .*r\.json \(ENOENT\)/);
  const ok = readLfwResults();
  writeLfwResults(ok, file);
  assert.deepEqual(readLfwResults(file), ok);
  fs.writeFileSync(file, JSON.stringify({ ...ok, view2: 'x' }));
  assert.throws(() => readLfwResults(file), /r\.json: field view2 is missing or malformed/);
  assert.throws(() => writeLfwResults({ ...ok, gain: undefined } as unknown as LfwResults, file), /field gain is missing/);
  fs.rmSync(dir, { recursive: true, force: true });
});
