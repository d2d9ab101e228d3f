import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pca, project2d, umap } from '../../lib/apps';
import { Rng } from '../../lib/util';

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

describe('pca', () => {
  it('finds the line three points lie on, with coordinates and variance by hand', () => {
    const r = pca([[1, 1], [2, 2], [3, 3]], 1);
    close(r.axes[0][0], Math.SQRT1_2);
    close(r.axes[0][1], Math.SQRT1_2);
    r.coords.forEach((c, i) => close(c[0], [-Math.SQRT2, 0, Math.SQRT2][i]));
    close(r.variance[0], 2); // scatter eigenvalue 4 over n - 1 = 2
    close(r.varianceRatio[0], 1);
    assert.deepEqual(r.mean, [2, 2]);
  });

  it('orders axes by variance: (±2, 0), (0, ±1) give the x axis first, 80 % of the variance', () => {
    const r = pca([[2, 0], [-2, 0], [0, 1], [0, -1]], 2);
    close(Math.abs(r.axes[0][0]), 1);
    close(Math.abs(r.axes[1][1]), 1);
    close(r.varianceRatio[0], 0.8);
    close(r.varianceRatio[1], 0.2);
    close(r.coords[0][0], 2);
    close(r.coords[2][1], 1);
  });

  it('sign convention: each axis has its largest component positive (first on a tie), so maps never mirror', () => {
    const r = pca([[1, -1], [2, -2], [3, -3]], 1);
    close(r.axes[0][0], Math.SQRT1_2);
    close(r.axes[0][1], -Math.SQRT1_2);
    assert.ok(r.coords[0][0] < 0 && r.coords[2][0] > 0);
    const m = pca([[0, 1], [0, 2], [0, 9], [1, 0]], 1);
    assert.ok(m.axes[0][1] > 0, 'the dominant component is made positive');
  });

  it('the Gram route (more features than vectors) gives the same axes and coordinates as the covariance route', () => {
    const xs = [[1, 2, 0], [3, -1, 2], [0, 0, 5], [2, 2, 2]];
    const direct = pca(xs, 2); // d = 3 <= n = 4: covariance
    const padded = pca(xs.map((x) => [...x, 0, 0]), 2); // d = 5 > n = 4: Gram matrix
    for (let c = 0; c < 2; c++) {
      for (let j = 0; j < 3; j++) close(padded.axes[c][j], direct.axes[c][j], 1e-7);
      close(padded.axes[c][3], 0, 1e-12);
      close(padded.variance[c], direct.variance[c], 1e-7);
      xs.forEach((_, i) => close(padded.coords[i][c], direct.coords[i][c], 1e-7));
    }
  });

  it('rejects bad input with a message naming it', () => {
    assert.throws(() => pca([[1, 2]]), /pca needs at least 2 vectors, got 1/);
    assert.throws(() => pca([[1, 2], [1]]), /vector 1 has 1 values, vector 0 has 2/);
    assert.throws(() => pca([[1, NaN], [1, 2]]), /vector 0 holds NaN/);
    assert.throws(() => pca([[1, 2], [3, 4]], 3), /pca dims must be an integer in \[1, 2\], got 3/);
  });
});

describe('umap', () => {
  const rng = new Rng(5);
  const blobs = Array.from({ length: 40 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i < 20 ? 0 : 8) * (j === 0 ? 1 : 0) + rng.normal(0, 0.5)));

  it('is deterministic: the same seed gives the same map, another seed another map', () => {
    const a = umap(blobs, { seed: 1, nEpochs: 100 });
    const b = umap(blobs, { seed: 1, nEpochs: 100 });
    const c = umap(blobs, { seed: 2, nEpochs: 100 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.equal(a.length, 40);
    assert.equal(a[0].length, 2);
  });

  it('keeps two separated groups apart: every point\'s nearest map neighbour is from its own group', () => {
    const map = project2d(blobs, 'umap', { seed: 0, nEpochs: 200 });
    let same = 0;
    map.forEach((p, i) => {
      let best = -1, bestD = Infinity;
      map.forEach((q, j) => {
        const d = (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2;
        if (j !== i && d < bestD) { bestD = d; best = j; }
      });
      if ((best < 20) === (i < 20)) same++;
    });
    assert.equal(same, 40);
  });

  it('needs 3 vectors and knows only pca and umap', () => {
    assert.throws(() => umap([[1], [2]]), /umap needs at least 3 vectors, got 2/);
    assert.throws(() => project2d(blobs, 'tsne' as 'pca'), /unknown projection "tsne"; use 'pca' or 'umap'/);
  });
});
