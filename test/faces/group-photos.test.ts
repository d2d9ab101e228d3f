import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { initBackend } from '../../lib/backend';
import {
  embedGroupFaces, closestPairs, describeGroupSummary, faceApiDemoPhotos, groupMarks, groupMatrix, groupPairs, groupPhotoFaces, groupSummary, groupTableRows, mirrorImage, Verifier,
  type DetectedFace, type GroupFace, type GroupPhoto,
} from '../../lib/faces';
import { euclideanDistance } from '../../lib/distances/arrays';

const settings = { threshold: 0.6, uncertainBand: 0.05, higherIsCloser: false };
const blank = { data: new Uint8Array(3), width: 1, height: 1, channels: 3 as const };
const detected = { box: { left: 0, top: 0, width: 10, height: 10 }, landmarks: [] } as unknown as DetectedFace;

/** A face with a 1-d embedding at `x` (none: rejected by the face check); its mirror sits at x + 0.1. */
function face(photo: string, index: number, x?: number): GroupFace {
  return {
    photo, index, label: `${photo}#${index}`, face: detected, chip: blank, box: blank,
    faceCheck: { rms: x === undefined ? 20 : 3, threshold: 11, isFace: x !== undefined },
    ...(x === undefined ? {} : { embedding: [x], mirrorEmbedding: [x + 0.1] }),
  };
}
const photo = (name: string, faces: GroupFace[]): GroupPhoto => ({ file: `${name}.jpg`, name, image: blank, faces });

test('faceApiDemoPhotos: the six group photos face-api ships, in number order', () => {
  const files = faceApiDemoPhotos();
  assert.deepEqual(files.map((f) => path.basename(f)), ['sample1.jpg', 'sample2.jpg', 'sample3.jpg', 'sample4.jpg', 'sample5.jpg', 'sample6.jpg']);
});

test('mirrorImage flips rows left-right, keeping each pixel\'s channels together', () => {
  const img = { data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), width: 2, height: 2, channels: 3 as const };
  assert.deepEqual(Array.from(mirrorImage(img).data), [4, 5, 6, 1, 2, 3, 10, 11, 12, 7, 8, 9]);
});

test('groupPairs: same photo = known different, a mirror = known same, other photos = unknown and never given a verdict', () => {
  const photos = [photo('p1', [face('p1', 1, 0), face('p1', 2, 1), face('p1', 3)]), photo('p2', [face('p2', 1, 0.3)])];
  const pairs = groupPairs(photos, euclideanDistance, settings, { mirror: true });
  const find = (a: string, b: string, mirror = false) => pairs.find((p) => p.a.label === a && p.b.label === b && p.mirror === mirror)!;
  assert.equal(pairs.length, 4 + 6, '4 mirrors, 6 pairs of 4 faces');
  assert.deepEqual([find('p1#1', 'p1#2').truth, find('p1#1', 'p1#2').decision, find('p1#1', 'p1#2').value], ['different', 'different', 1]);
  assert.deepEqual([find('p1#1', 'p1#1', true).truth, find('p1#1', 'p1#1', true).decision], ['same', 'same']);
  assert.match(find('p1#1', 'p1#1', true).why, /mirror.*weak positive/);
  assert.deepEqual([find('p1#1', 'p1#3').decision, find('p1#1', 'p1#3').value], ['not-a-face', undefined], 'a rejected face: no answer');
  const unknown = find('p1#1', 'p2#1');
  assert.deepEqual([unknown.truth, unknown.decision, unknown.value], ['unknown', undefined, 0.3]);
  assert.equal(groupPairs(photos, euclideanDistance, settings).filter((p) => p.mirror).length, 0, 'no mirrors unless asked');

  const s = groupSummary(pairs);
  assert.deepEqual(s.different, { pairs: 3, right: 1, wrong: 0, uncertain: 0, notAFace: 2 });
  assert.deepEqual(s.same, { pairs: 4, right: 3, wrong: 0, uncertain: 0, notAFace: 1 });
  assert.equal(s.unknown, 3);
  const words = describeGroupSummary(s, settings);
  assert.match(words, /Known different.*3 pairs: \*\*1 right\*\* \("DIFFERENT"\), 0 wrong, 0 uncertain, 2 without an answer/);
  assert.match(words, /Known same, a weak positive.*mirror.*4 pairs: \*\*3 right\*\*/);
  assert.match(words, /Truth unknown.*3 pairs: distances only, no verdict scored/);
  assert.doesNotMatch(describeGroupSummary({ ...s, same: { pairs: 0, right: 0, wrong: 0, uncertain: 0, notAFace: 0 } }, settings), /mirror/);

  const rows = groupTableRows(pairs);
  assert.ok(rows.filter((r) => r.truth === 'unknown').every((r) => r.right === '-' && /not scored/.test(r.verdict)));
  assert.deepEqual(rows.find((r) => r.a === 'p1#1' && r.b === 'p1#1 mirrored'), { a: 'p1#1', b: 'p1#1 mirrored', truth: 'same (known)', distance: '0.100', verdict: 'same', right: 'yes' });

  const m = groupMatrix(photos, pairs);
  assert.deepEqual(m.labels, ['p1#1', 'p1#2', 'p1#3', 'p2#1']);
  assert.deepEqual(m.matrix[0], [null, 1, null, 0.3], 'no mirror on the diagonal, none for a rejected face');
  assert.equal(m.matrix[3][0], 0.3);
  assert.deepEqual(m.blocks, [3, 1]);
  assert.deepEqual(closestPairs(pairs, 'unknown', 1).map((p) => p.b.label), ['p2#1']);
  assert.deepEqual(groupMarks(photos[0]).map((k) => [k.label, k.ok]), [['1', true], ['2', true], ['3', false]]);
});

test('a known-different pair inside the band is uncertain, below it a wrong "same", above it right', () => {
  const pairs = groupPairs([photo('p', [face('p', 1, 0), face('p', 2, 0.58), face('p', 3, 0.1), face('p', 4, 1)])], euclideanDistance, settings);
  // 0-0.58 uncertain, 0-0.1 same, 0-1 different, 0.58-0.1 same, 0.58-1 same (0.42), 0.1-1 different
  assert.deepEqual(pairs.map((p) => p.decision), ['uncertain', 'same', 'different', 'same', 'same', 'different']);
  assert.deepEqual(groupSummary(pairs).different, { pairs: 6, right: 2, wrong: 3, uncertain: 1, notAFace: 0 });
});

test('groupPhotoFaces on face-api\'s sample1: three faces left to right, chip and box crops, embeddings; different people far, a mirror near', { timeout: 120_000 }, async () => {
  await initBackend();
  const v = await Verifier.create({});
  const [p] = await groupPhotoFaces([faceApiDemoPhotos()[0]], v, { mirror: true });
  assert.equal(p.name, 'sample1');
  assert.deepEqual(p.faces.map((f) => f.label), ['sample1#1', 'sample1#2', 'sample1#3']);
  assert.ok(p.faces.every((f, i) => i === 0 || f.face.box.left > p.faces[i - 1].face.box.left), 'numbered left to right');
  for (const f of p.faces) {
    assert.deepEqual([f.chip.width, f.chip.height, f.box.width, f.box.height], [150, 150, 150, 150]);
    assert.ok(f.faceCheck!.isFace, `${f.label}: ${f.faceCheck!.rms}`);
    assert.equal(f.embedding!.length, v.embedder.dim);
    assert.equal(f.mirrorEmbedding!.length, v.embedder.dim);
  }
  const pairs = groupPairs([p], v.embedder.compare, v.settings, { mirror: true });
  assert.deepEqual(groupSummary(pairs).different, { pairs: 3, right: 3, wrong: 0, uncertain: 0, notAFace: 0 });
  assert.deepEqual(groupSummary(pairs).same, { pairs: 3, right: 3, wrong: 0, uncertain: 0, notAFace: 0 });
  // the same faces described by face-api zero-shot: same faces and crops, its own 128-d descriptors
  const zero = await Verifier.create({ model: 'face-api', warmUp: false });
  const [z] = await embedGroupFaces([p], zero, { mirror: true });
  assert.deepEqual(z.faces.map((f) => f.label), p.faces.map((f) => f.label));
  assert.ok(z.faces.every((f, i) => f.chip === p.faces[i].chip && f.embedding!.length === 128 && f.mirrorEmbedding!.length === 128));
  const zs = groupSummary(groupPairs([z], zero.embedder.compare, zero.settings, { mirror: true }));
  assert.deepEqual(zs.different, { pairs: 3, right: 3, wrong: 0, uncertain: 0, notAFace: 0 });
});
