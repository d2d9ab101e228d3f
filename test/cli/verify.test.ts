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
    const r = run(a, a, '--aligned', '--no-face-check');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /--aligned: no face detection/);
    assert.match(r.stdout, /model: face-api/);
    assert.match(r.stdout, /verdict: SAME person/);
    assert.match(r.stdout, /distance 0\.000, threshold \d\.\d{3}/);
    assert.doesNotMatch(r.stdout, /time:| ms/);
    const timed = run(a, a, '--aligned', '--no-face-check', '--timing');
    assert.equal(timed.status, 0, timed.stderr);
    assert.match(timed.stdout, /loaded face-api-tuned in \d+ ms \(networks read and warmed up; photos prepared on [12] threads?\)/);
    assert.match(timed.stdout, /time: \d+ ms for this pair/);
  });

  it('answers "no face" (exit 2) instead of guessing', () => {
    const a = path.join(dir, 'people', 'ann', '1.jpg');
    const r = run(a, path.join(dir, 'people', 'bob', '1.jpg'));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stdout, /NO ANSWER: no face found in 1\.jpg and 1\.jpg/);
  });

  it('issue 14 item 11: a transparent PNG gets a warning naming it, in text and in JSON', async () => {
    const a = path.join(dir, 'people', 'ann', '1.jpg');
    const { data, info } = await sharp(a).raw().toBuffer({ resolveWithObject: true });
    const rgba = Buffer.alloc(info.width * info.height * 4);
    for (let i = 0; i < info.width * info.height; i++) rgba.set([data[3 * i], data[3 * i + 1], data[3 * i + 2], i % info.width < info.width / 2 ? 0 : 255], 4 * i);
    const half = path.join(dir, 'half.png');
    await sharp(rgba, { raw: { width: info.width, height: info.height, channels: 4 } }).png().toFile(half);
    const warning = `${half}: 50 % of the pixels are transparent (mean opacity 50 %); flattened onto white before the crop — the verdict may be unreliable`;
    const r = run(a, half, '--aligned', '--no-face-check');
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(`\nwarning: ${warning}\n`), r.stdout);
    const json = run(a, half, '--aligned', '--no-face-check', '--json');
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).warnings, [warning]);
    const opaque = run(a, a, '--aligned', '--no-face-check', '--json');
    assert.deepEqual(JSON.parse(opaque.stdout).warnings, []);
  });

  it('PGM and PPM photos (binary and ASCII, 8 and 16 bits) are read by the project\'s reader, not refused', async () => {
    const a = path.join(dir, 'people', 'ann', '1.jpg');
    const { data, info } = await sharp(a).raw().toBuffer({ resolveWithObject: true });
    const p6 = path.join(dir, 'ann.ppm');
    fs.writeFileSync(p6, Buffer.concat([Buffer.from(`P6\n${info.width} ${info.height}\n255\n`), data]));
    const p3 = path.join(dir, 'ann16.ppm');
    fs.writeFileSync(p3, `P3\n# 16-bit ASCII\n${info.width} ${info.height}\n65535\n${[...data].map((v) => v * 257).join(' ')}\n`);
    const r = run(p6, p3, '--aligned', '--no-face-check');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /verdict: SAME person\ndistance 0\.000/);
    const grey = path.join(dir, 'grey.pgm');
    fs.writeFileSync(grey, Buffer.concat([Buffer.from('P5\n64 64\n255\n'), Buffer.alloc(64 * 64, 90)]));
    const g = run(grey, grey);
    assert.equal(g.status, 2, g.stderr);
    assert.match(g.stdout, /NO ANSWER: no face found in grey\.pgm and grey\.pgm/);
    const huge = path.join(dir, 'huge.pgm');
    fs.writeFileSync(huge, 'P5\n100000 100000\n255\n');
    const h = run(huge, a);
    assert.equal(h.status, 1);
    assert.match(h.stderr, /cannot decode .*huge\.pgm: Netpbm image is 100000x100000 = 10,000,000,000 pixels, more than the limit of 100,000,000/);
  });

  it('folder mode prints a table, and bad usage is explained', () => {
    const r = run('--dir', path.join(dir, 'people'), '--aligned', '--no-face-check');
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
