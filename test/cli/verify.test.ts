import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';

const root = path.resolve(__dirname, '..', '..');
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'lib', 'cli', 'main.ts'), 'verify', ...args],
  { cwd: root, encoding: 'utf8', env: { ...process.env, SIAMESE_BACKEND: 'cpu' }, timeout: 120_000 });

describe('siamese verify', () => {
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-verify-cli-'));
    for (const [person, colour] of [['ann', '#c08080'], ['bob', '#8080c0']]) {
      fs.mkdirSync(path.join(dir, 'people', person), { recursive: true });
      await sharp({ create: { width: 120, height: 120, channels: 3, background: colour } }).jpeg().toFile(path.join(dir, 'people', person, '1.jpg'));
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints the verdict, distance, threshold and model for two crops (--aligned)', () => {
    const a = path.join(dir, 'people', 'ann', '1.jpg');
    const r = run(a, a, '--aligned');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /--aligned: no face detection/);
    assert.match(r.stdout, /model: face-api/);
    assert.match(r.stdout, /verdict: SAME person/);
    assert.match(r.stdout, /distance 0\.000, threshold \d\.\d{3}/);
    assert.doesNotMatch(r.stdout, /time:| ms/);
    const timed = run(a, a, '--aligned', '--timing');
    assert.equal(timed.status, 0, timed.stderr);
    assert.match(timed.stdout, /loaded face-api in \d+ ms \(networks read and warmed up\)/);
    assert.match(timed.stdout, /time: \d+ ms for this pair/);
  });

  it('answers "no face" (exit 2) instead of guessing', () => {
    const a = path.join(dir, 'people', 'ann', '1.jpg');
    const r = run(a, path.join(dir, 'people', 'bob', '1.jpg'));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stdout, /NO ANSWER: no face found in 1\.jpg and 1\.jpg/);
  });

  it('folder mode prints a table, and bad usage is explained', () => {
    const r = run('--dir', path.join(dir, 'people'), '--aligned');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ann\/1\.jpg\s+bob\/1\.jpg\s+different/);
    assert.match(r.stdout, /1 pairs: /);
    const bad = run(path.join(dir, 'people', 'ann', '1.jpg'));
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /give two photos \(siamese verify a\.jpg b\.jpg\) or a folder/);
    const missing = run(path.join(dir, 'nope.jpg'), path.join(dir, 'nope.jpg'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.jpg: cannot read the file \(ENOENT\)/);
  });
});
