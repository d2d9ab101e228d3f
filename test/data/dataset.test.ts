import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Dataset, DatasetError, lfwRef, lfwFileName, DEFAULT_LFW_CROP } from '../../lib/data';
import { makeLfwFolder, solidImage, tempDir } from './fixtures';

test('an LFW-layout folder lists people and images, sorted, and gets the LFW crop', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const people = await makeLfwFolder(dir, [3, 1, 2]);
    fs.writeFileSync(path.join(dir, 'README.txt'), 'loose files at the root are not people');
    const ds = await Dataset.open(dir, { cache: null });
    assert.equal(ds.layout, 'lfw');
    assert.deepEqual(ds.people, people);
    assert.equal(ds.numPeople, 3);
    assert.equal(ds.numImages, 6);
    assert.deepEqual(ds.images(people[0]), [lfwFileName(people[0], 1), lfwFileName(people[0], 2), lfwFileName(people[0], 3)]);
    assert.deepEqual(ds.peopleWithAtLeast(2), [people[0], people[2]]);
    assert.ok(ds.has(lfwRef(people[2], 2)));
    assert.ok(!ds.has(lfwRef(people[2], 3)));
    assert.deepEqual(ds.crop, DEFAULT_LFW_CROP);
    assert.deepEqual(ds.problems, []);
    const img = await ds.load(lfwRef(people[1], 1), { size: 4 });
    assert.equal(img.data.length, 4 * 4 * 3);
    await assert.rejects(ds.load(lfwRef(people[1], 2)), /image Person_B\/Person_B_0002.jpg is not in dataset .* \(Person_B has 1 images\)/);
    await assert.rejects(ds.load({ person: 'Nobody', file: 'x.jpg' }), /person "Nobody" is not in dataset/);
  } finally {
    cleanup();
  }
});

test('general identity folders: any image names and formats, names with spaces, no crop by default', async () => {
  const { dir, cleanup } = tempDir();
  try {
    fs.mkdirSync(path.join(dir, 'Jane Doe'));
    fs.mkdirSync(path.join(dir, 'bob'));
    fs.writeFileSync(path.join(dir, 'Jane Doe', 'holiday photo.png'), await solidImage(20, 10, [10, 200, 10], 'png'));
    fs.writeFileSync(path.join(dir, 'Jane Doe', 'b.WEBP'), await solidImage(20, 10, [10, 200, 10], 'webp'));
    fs.writeFileSync(path.join(dir, 'bob', 'x.tiff'), await solidImage(8, 8, [1, 2, 3], 'tiff'));
    fs.writeFileSync(path.join(dir, 'bob', 'notes.txt'), 'hello');
    const ds = await Dataset.open(dir, { cache: null });
    assert.equal(ds.layout, 'folders');
    assert.deepEqual(ds.people, ['Jane Doe', 'bob']);
    assert.deepEqual(ds.images('Jane Doe'), ['b.WEBP', 'holiday photo.png']);
    assert.equal(ds.crop.kind, 'none');
    assert.deepEqual(ds.problems, [{ path: 'bob/notes.txt', reason: 'not an image file (extension ".txt"); ignored' }]);
    const img = await ds.load({ person: 'Jane Doe', file: 'holiday photo.png' }, { size: 6 });
    assert.deepEqual(Array.from(img.data.subarray(0, 3)), [10, 200, 10]);
    await assert.rejects(Dataset.open(dir, { cache: null, strict: true }), (e: unknown) => e instanceof DatasetError && /bob\/notes\.txt: not an image file/.test(e.message));
  } finally {
    cleanup();
  }
});

test('a missing root is a clear error', async () => {
  await assert.rejects(Dataset.open('/nonexistent/faces'), /dataset folder \/nonexistent\/faces is not a readable folder \(ENOENT\)/);
});

test('loadMany keeps order', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const people = await makeLfwFolder(dir, [2, 2]);
    const ds = await Dataset.open(dir, { cache: null, crop: { kind: 'none' } });
    const refs = [lfwRef(people[1], 2), lfwRef(people[0], 1), lfwRef(people[1], 1)];
    const imgs = await ds.loadMany(refs, { size: 2 }, 2);
    const single = await Promise.all(refs.map((r) => ds.load(r, { size: 2 })));
    assert.deepEqual(imgs.map((i) => Array.from(i.data)), single.map((i) => Array.from(i.data)));
    assert.notDeepEqual(Array.from(imgs[0].data), Array.from(imgs[1].data));
  } finally {
    cleanup();
  }
});
