import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';

const root = path.resolve(__dirname, '..', '..');
const siamese = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'lib', 'cli', 'main.ts'), ...args],
  { cwd: root, encoding: 'utf8', env: { ...process.env, SIAMESE_BACKEND: 'cpu' }, timeout: 180_000 });

/** A 120 px image: two colour blocks, so people differ in layout and not only in colour. */
async function face(file: string, a: string, b: string, split: number): Promise<void> {
  const half = await sharp({ create: { width: 120, height: split, channels: 3, background: b } }).png().toBuffer();
  await sharp({ create: { width: 120, height: 120, channels: 3, background: a } }).composite([{ input: half, left: 0, top: 0 }]).jpeg().toFile(file);
}

describe('siamese search and siamese cluster', () => {
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-search-cli-'));
    const people: [string, string, string, number][] = [['ann', '#c08080', '#402020', 30], ['bob', '#8080c0', '#e0e0ff', 80], ['cy', '#80c080', '#102010', 55]];
    for (const [person, a, b, split] of people) {
      fs.mkdirSync(path.join(dir, 'gallery', person), { recursive: true });
      await face(path.join(dir, 'gallery', person, '1.jpg'), a, b, split);
      fs.copyFileSync(path.join(dir, 'gallery', person, '1.jpg'), path.join(dir, 'gallery', person, '2.jpg'));
    }
    fs.mkdirSync(path.join(dir, 'empty'));
    fs.mkdirSync(path.join(dir, 'loose'));
    for (const f of ['x.jpg', 'y.jpg']) fs.copyFileSync(path.join(dir, 'gallery', 'ann', '1.jpg'), path.join(dir, 'loose', f));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('search prints a ranked table with distances and verdicts, the model and the index size (--aligned)', () => {
    const r = siamese('search', '--gallery', path.join(dir, 'gallery'), '--aligned', '--no-face-check', '--k', '3', path.join(dir, 'gallery', 'bob', '1.jpg'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /loaded face-api-tuned in \d+ ms; threshold \d\.\d{3} fitted on .*--aligned: no face detection/);
    assert.match(r.stdout, /gallery .*: 6 faces of 3 people indexed in [\d.]+ s \(exact search, euclidean\)/);
    assert.match(r.stdout, /rank\s+person\s+file\s+distance\s+verdict/);
    assert.match(r.stdout, /\n1\s+bob\s+bob\/1\.jpg\s+0\.000\s+same\n2\s+bob\s+bob\/2\.jpg\s+0\.000\s+same\n3\s+/);
    assert.match(r.stdout, /top 3 of 6 faces in [\d.]+ ms/);
    const json = siamese('search', '--gallery', path.join(dir, 'gallery'), '--aligned', '--no-face-check', '--json', path.join(dir, 'gallery', 'cy', '2.jpg'));
    assert.equal(json.status, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { model: string; indexSize: number; hits: { person: string }[] };
    assert.equal(out.model, 'face-api-tuned');
    assert.equal(out.indexSize, 6);
    assert.deepEqual(out.hits.slice(0, 2).map((h) => h.person), ['cy', 'cy']);
  });

  it('search explains a missing or empty gallery, an unreadable query, no face, and a model that cannot search', () => {
    const q = path.join(dir, 'gallery', 'ann', '1.jpg');
    const missing = siamese('search', '--gallery', path.join(dir, 'nope'), '--aligned', '--no-face-check', q);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /gallery .*nope: no such folder/);
    const empty = siamese('search', '--gallery', path.join(dir, 'empty'), '--aligned', '--no-face-check', q);
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /gallery .*empty holds no images/);
    const loose = siamese('search', '--gallery', path.join(dir, 'loose'), '--aligned', '--no-face-check', q);
    assert.match(loose.stderr, /gallery .*loose has no identity folders/);
    const unreadable = siamese('search', '--gallery', path.join(dir, 'gallery'), '--aligned', '--no-face-check', path.join(dir, 'nope.jpg'));
    assert.equal(unreadable.status, 1);
    assert.match(unreadable.stderr, /nope\.jpg: cannot read the file \(ENOENT\)/);
    // the default cascade finds no face in this small two-block image (SSD runs only on its padded copies)
    const noFace = siamese('search', '--gallery', path.join(dir, 'gallery'), q);
    assert.equal(noFace.status, 2, noFace.stderr);
    assert.match(noFace.stdout, /query .*1\.jpg: NO ANSWER: no face found \(use --aligned if the images are already face crops\)/);
    // SSD on the photo itself fires on it (score 0.54), and the face check rejects what it found: no --aligned hint
    const notFace = siamese('search', '--gallery', path.join(dir, 'gallery'), '--detector', 'ssd', q);
    assert.equal(notFace.status, 2, notFace.stderr);
    assert.match(notFace.stdout, /query .*1\.jpg: NO ANSWER: not a face: the detector \(ssd\) fired, but landmark fit residual \d+\.\d px > \d+\.\d/);
    assert.doesNotMatch(notFace.stdout, /use --aligned/);
    const unknown = siamese('search', '--gallery', path.join(dir, 'gallery'), '--model', 'nope', q);
    assert.match(unknown.stderr, /unknown model "nope"; available: face-api, face-api-tuned, default/);
    const mismatch = siamese('search', '--gallery', path.join(dir, 'gallery'), '--model', 'seed2-bce', '--aligned', '--no-face-check', q);
    assert.equal(mismatch.status, 1);
    assert.match(mismatch.stderr, /model mismatch: seed2-bce compares pairs with a bceConcat head/);
  });

  it('search and cluster read PGM/PPM photos with the project\'s reader and warn about transparent ones', async () => {
    const pnm = path.join(dir, 'pnm');
    for (const person of ['ann', 'bob']) {
      fs.mkdirSync(path.join(pnm, person), { recursive: true });
      const { data, info } = await sharp(path.join(dir, 'gallery', person, '1.jpg')).raw().toBuffer({ resolveWithObject: true });
      fs.writeFileSync(path.join(pnm, person, '1.ppm'), Buffer.concat([Buffer.from(`P6\n${info.width} ${info.height}\n255\n`), data]));
      const rgba = Buffer.alloc(info.width * info.height * 4);
      for (let i = 0; i < info.width * info.height; i++) rgba.set([data[3 * i], data[3 * i + 1], data[3 * i + 2], 128], 4 * i);
      await sharp(rgba, { raw: { width: info.width, height: info.height, channels: 4 } }).png().toFile(path.join(pnm, person, '2.png'));
    }
    const grey = await sharp(path.join(dir, 'gallery', 'cy', '1.jpg')).greyscale().raw().toBuffer({ resolveWithObject: true });
    fs.mkdirSync(path.join(pnm, 'cy'));
    fs.writeFileSync(path.join(pnm, 'cy', '1.pgm'), Buffer.concat([Buffer.from(`P5\n${grey.info.width} ${grey.info.height}\n255\n`), grey.data]));
    const r = siamese('search', '--gallery', pnm, '--aligned', '--no-face-check', '--json', path.join(pnm, 'bob', '1.ppm'));
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { indexSize: number; hits: { person: string; file: string; distance: string }[]; skipped: string[]; warnings: string[] };
    assert.equal(out.indexSize, 5);
    assert.deepEqual(out.skipped, []);
    assert.deepEqual([out.hits[0].file, out.hits[0].distance], ['bob/1.ppm', '0.000']);
    const warning = (p: string): string => `${path.join(pnm, p)}: 100 % of the pixels are transparent (mean opacity 50 %); flattened onto white before the crop — the verdict may be unreliable`;
    assert.deepEqual(out.warnings, [warning('ann/2.png'), warning('bob/2.png')]);
    const c = siamese('cluster', pnm, '--aligned', '--no-face-check', '--threshold', '0.001');
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /5 faces in \d+ clusters?/);
    assert.match(c.stdout, /cluster \d+ \(1 face\): cy\/1\.pgm/);
    assert.ok(c.stdout.includes(`warning: ${warning('ann/2.png')}`), c.stdout);
  });

  it('cluster groups identical faces, scores against person folders and writes a grid', () => {
    const png = path.join(dir, 'out', 'clusters.png');
    const r = siamese('cluster', path.join(dir, 'gallery'), '--aligned', '--no-face-check', '--threshold', '0.001', '--out', png);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /threshold 0\.001 \(--threshold\), complete linkage/);
    assert.match(r.stdout, /6 faces in 3 clusters/);
    assert.match(r.stdout, /cluster 1 \(2 faces\): ann\/1\.jpg, ann\/2\.jpg/);
    assert.match(r.stdout, /purity 1\.000, pairwise precision 1\.000, recall 1\.000, F1 1\.000/);
    assert.deepEqual([...fs.readFileSync(png).subarray(1, 4)], [...Buffer.from('PNG')]);
    const all = siamese('cluster', path.join(dir, 'gallery'), '--aligned', '--no-face-check', '--threshold', '1000', '--linkage', 'average');
    assert.match(all.stdout, /6 faces in 1 cluster\n/);
    assert.match(all.stdout, /purity 0\.333/);
    const loose = siamese('cluster', path.join(dir, 'loose'), '--aligned', '--no-face-check');
    assert.match(loose.stdout, /2 faces in 1 cluster\n[\s\S]*no scores: the photos are not all in person folders/);
    const bad = siamese('cluster', path.join(dir, 'nope'));
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /nope: no such folder/);
  });
});
