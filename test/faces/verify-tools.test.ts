import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { makePairList, lfwRef } from '../../lib/data';
import type { IsSame } from '../../lib/data/types';
import { AS_DISTANCE, AS_SCORE, accuracySweep, fitUncertainBand, thresholdGrid, worstErrors } from '../../lib/eval';
import { folderSummary, pairMatrix, pairValues, readEmbeddingCache, textTable, type FolderRow, type Verdict } from '../../lib/faces';
import { errorGallery, pairMatrixPlot, rocPlot, thresholdSweepPlot, valueHistogram } from '../../lib/viz';

const D = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9];
const Y: IsSame[] = [1, 1, 0, 0, 1, 0];

describe('worst errors', () => {
  it('sorts false accepts by closeness and false rejects by distance (by hand)', () => {
    // at 0.5: accepted 0.1 0.4 0.35 0.2 -> false accept: 0.35 (index 2); rejected 0.8 0.9 -> no false reject
    assert.deepEqual(worstErrors(D, Y, 0.5, AS_DISTANCE), { falseAccepts: [{ index: 2, value: 0.35, kind: 'false-accept' }], falseRejects: [] });
    // at 0.15: rejected same-person 0.4 (1) and 0.2 (4): the farther first
    const e = worstErrors(D, Y, 0.15, AS_DISTANCE, 1);
    assert.deepEqual(e.falseRejects, [{ index: 1, value: 0.4, kind: 'false-reject' }]);
    // scores: the highest-scoring different pair is the worst false accept
    const s = worstErrors([0.9, 0.7, 0.8], [0, 0, 1], 0.5, AS_SCORE);
    assert.deepEqual(s.falseAccepts.map((x) => x.index), [0, 1]);
    assert.throws(() => worstErrors(D, Y, 0.5, AS_DISTANCE, -1), /k must be a non-negative integer, got -1/);
  });
});

describe('uncertain band', () => {
  it('is the narrowest band outside which the error rate meets the target (by hand)', () => {
    // threshold 0.5 on distances: wrong = 0.35 (D accepted). Gaps: 0.1->0.4, 0.4->0.1, 0.35->0.15, 0.8->0.3, 0.2->0.3, 0.9->0.4
    // sorted gaps 0.1(ok) 0.15(wrong) 0.3 0.3 0.4 0.4: dropping 0.1 and 0.15 leaves 4 pairs, none wrong
    const b = fitUncertainBand(D, Y, 0.5, AS_DISTANCE, 0);
    assert.ok(Math.abs(b.halfWidth - 0.3) < 1e-12);
    assert.equal(b.uncertainFraction, 2 / 6);
    assert.equal(b.errorOutside, 0);
    assert.ok(Math.abs(b.errorAll - 1 / 6) < 1e-12);
    // a loose target keeps everything: band 0.1 (the smallest gap) already has error 1/6 <= 0.2
    assert.equal(fitUncertainBand(D, Y, 0.5, AS_DISTANCE, 0.2).uncertainFraction, 0);
    assert.throws(() => fitUncertainBand([], [], 0.5, AS_DISTANCE), /no pairs/);
    assert.throws(() => fitUncertainBand(D, Y, 0.5, AS_DISTANCE, 1), /maxError must be in \[0, 1\), got 1/);
  });
});

describe('embedding cache and pair values', () => {
  it('merges lines per image, reports missing images, and names bad lines', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-cache-'));
    try {
      const f = path.join(dir, 'c.jsonl');
      fs.writeFileSync(f, ['{"ref":"A/A_0001.jpg","v":[0,0]}', '{"ref":"A/A_0002.jpg","v":[3,4]}', '{"ref":"A/A_0001.jpg","w":[1]}', ''].join('\n'));
      const rec = readEmbeddingCache(f);
      assert.deepEqual(rec.get('A/A_0001.jpg'), { ref: 'A/A_0001.jpg', v: [0, 0], w: [1] });
      const list = makePairList('t', [{ a: lfwRef('A', 1), b: lfwRef('A', 2), isSame: 1 }, { a: lfwRef('A', 1), b: lfwRef('B', 1), isSame: 0 }]);
      const pv = pairValues(list, rec, 'v', (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]));
      assert.deepEqual(pv, { values: [5], isSame: [1], folds: [0], missing: [1] });
      fs.appendFileSync(f, 'not json\n');
      assert.throws(() => readEmbeddingCache(f), /c\.jsonl:4: not JSON/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sweeps, folder summaries and plots', () => {
  it('sweeps accuracy over a threshold grid', () => {
    assert.deepEqual(thresholdGrid([0, 1], 3), [0, 0.5, 1]);
    assert.deepEqual(thresholdGrid([], 3), []);
    assert.deepEqual(accuracySweep({ values: D, isSame: Y }, AS_DISTANCE, [0, 0.3, 1]), [3 / 6, 5 / 6, 3 / 6]);
  });

  it('summarizes folder rows and builds the pair matrix', () => {
    const verdict = (decision: Verdict['decision'], value?: number): Verdict => ({ decision, value, threshold: 0.5, uncertainBand: 0.05, model: 'm', a: {} as never, b: {} as never, ms: 1 });
    const rows: FolderRow[] = [
      { a: '/r/x/1.jpg', b: '/r/x/2.jpg', isSame: 1, verdict: verdict('same', 0.3) },
      { a: '/r/x/1.jpg', b: '/r/y/1.jpg', isSame: 0, verdict: verdict('same', 0.4) },
      { a: '/r/x/2.jpg', b: '/r/y/1.jpg', isSame: 0, verdict: verdict('uncertain', 0.52) },
    ];
    assert.deepEqual(folderSummary(rows), { pairs: 3, decided: 2, right: 1, uncertain: 1, noFace: 0, notAFace: 0, accuracy: 0.5 });
    const m = pairMatrix(rows, '/r');
    assert.deepEqual(m.labels, ['x/1.jpg', 'x/2.jpg', 'y/1.jpg']);
    assert.deepEqual(m.matrix, [[null, 0.3, 0.4], [0.3, null, 0.52], [0.4, 0.52, null]]);
    assert.equal(textTable([{ a: 'x', bb: 'yy' }]), 'a  bb\n-  --\nx  yy');
  });

  it('builds plot specs from the arrays', () => {
    const roc = rocPlot([{ name: 'm', fpr: [0, 1], tpr: [0, 1] }]);
    assert.equal(roc.data.length, 2);
    const h = valueHistogram(D, Y, 'h', 0.5);
    assert.deepEqual(h.data[0].x, [0.1, 0.4, 0.2]);
    assert.deepEqual(h.data[1].x, [0.35, 0.8, 0.9]);
    assert.throws(() => valueHistogram([1], [], 'h'), /1 values but 0 labels/);
    assert.throws(() => thresholdSweepPlot([1, 2], { a: [1] }, 't'), /"a" has 1 points, thresholds has 2/);
    assert.throws(() => pairMatrixPlot(['a'], [[1, 2]], 't'), /need a 1x1 matrix/);
    const blocked = pairMatrixPlot(['a', 'b', 'c'], [[null, 1, 2], [1, null, 3], [2, 3, null]], 't', 'distance', [2, 1]);
    assert.deepEqual((blocked.layout.shapes as { x0: number; x1: number; y0: number; y1: number }[]).map((r) => [r.x0, r.x1, r.y0, r.y1]), [[-0.5, 1.5, -0.5, 1.5], [1.5, 2.5, 1.5, 2.5]]);
    assert.equal(pairMatrixPlot(['a'], [[null]], 't').layout.shapes, undefined, 'no blocks, no shapes');
    assert.throws(() => pairMatrixPlot(['a', 'b'], [[null, 1], [1, null]], 't', 'distance', [1]), /blocks must be whole sizes adding up to the 2 labels, got \[1\]/);
  });

  it('draws an error gallery PNG with one row per error', async () => {
    const img = { data: new Uint8Array(8 * 8 * 3).fill(200), width: 8, height: 8, channels: 3 as const };
    const one = await errorGallery([{ a: img, b: img, value: 0.3, kind: 'false-accept' }], { cellSize: 32 });
    const two = await errorGallery([{ a: img, b: img, value: 0.3, kind: 'false-accept' }, { a: img, b: img, value: 0.9, kind: 'false-reject' }], { cellSize: 32 });
    const [m1, m2] = await Promise.all([sharp(one).metadata(), sharp(two).metadata()]);
    assert.equal(m1.format, 'png');
    assert.ok(m2.height! > m1.height!);
    await assert.rejects(errorGallery([]), /no errors to draw/);
  });
});
