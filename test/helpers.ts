/** Small shared test helpers. */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

/**
 * Asserts `actual` matches `expected` (a tensor, nested array or number): same dtype and shape when
 * `expected` is a tensor, same shape otherwise, and every value within `tol` (absolute + relative).
 */
export function assertTensorsClose(actual: tf.Tensor, expected: tf.Tensor | number | number[] | number[][] | number[][][], tol = 1e-5): void {
  let expShape: number[];
  let expValues: number[];
  if (expected instanceof tf.Tensor) {
    assert.equal(actual.dtype, expected.dtype, `dtype ${actual.dtype} != ${expected.dtype}`);
    expShape = expected.shape;
    expValues = Array.from(expected.dataSync());
  } else {
    const t = tf.tensor(expected as number[]);
    expShape = t.shape;
    expValues = Array.from(t.dataSync());
    t.dispose();
  }
  assert.deepEqual(actual.shape, expShape, `shape [${actual.shape}] != [${expShape}]`);
  const got = actual.dataSync();
  for (let i = 0; i < expValues.length; i++) {
    const e = expValues[i];
    const g = got[i];
    assert.ok(Math.abs(g - e) <= tol * (1 + Math.abs(e)), `value ${i}: ${g} != ${e} (tol ${tol})`);
  }
}

/** Runs `fn` once to warm up, then again, and asserts the number of live tensors did not change. */
export function assertNoLeak(fn: () => void | tf.Tensor | tf.Tensor[]): void {
  const disposeAll = (r: void | tf.Tensor | tf.Tensor[]): void => {
    if (r instanceof tf.Tensor) r.dispose();
    else if (Array.isArray(r)) r.forEach((t) => t.dispose());
  };
  disposeAll(fn());
  const before = tf.memory().numTensors;
  disposeAll(fn());
  assert.equal(tf.memory().numTensors, before, 'tensor count changed: something leaked');
}
