import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readJsonLines } from '../../lib/util/files';

test('readJsonLines: records with their line numbers; a bad line names file:line; partialLast skips only a half-written last line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-jsonl-'));
  const file = path.join(dir, 'a.jsonl');
  fs.writeFileSync(file, '{"a":1}\n\n{"a":2}\n{"a":');
  assert.deepEqual(readJsonLines(file, { partialLast: true }), [{ value: { a: 1 }, line: 1 }, { value: { a: 2 }, line: 3 }]);
  assert.throws(() => readJsonLines(file), /a\.jsonl:4: not JSON/);
  fs.writeFileSync(file, '{"a":1}\nnope\n{"a":2}\n');
  assert.throws(() => readJsonLines(file, { partialLast: true }), /a\.jsonl:2: not JSON/);
  fs.rmSync(dir, { recursive: true, force: true });
});
