import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitPcaLda, mat, symmetricEigen } from '../../lib/util/linalg';

test('the linear algebra behind the identity check', () => {
  const a = mat(3, 3);
  a.data.set([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 1]);
  const { values, vectors } = symmetricEigen(a);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += vectors.data[i * 3 + k] * values[k] * vectors.data[j * 3 + k];
    assert.ok(Math.abs(s - a.data[i * 3 + j]) < 1e-9, `V diag V^T != A at ${i},${j}`);
  }
  assert.ok(values[0] >= values[1] && values[1] >= values[2]);
  // Two classes separated along x, with large nuisance along y: LDA keeps x.
  const xs = [[0, 5], [0.2, -5], [-0.1, 3], [3, 4], [3.1, -4], [2.9, 0]];
  const proj = fitPcaLda(xs, [0, 0, 0, 1, 1, 1], 2, 1);
  const z = xs.map((x) => proj.project(x)[0]);
  assert.ok(Math.max(...z.slice(0, 3)) < Math.min(...z.slice(3)) || Math.min(...z.slice(0, 3)) > Math.max(...z.slice(3)));
});

