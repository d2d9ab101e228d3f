import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { countParams, seed2Cnn, seed2CnnParamCount } from '../../lib/models';

describe('seed2Cnn at its real size (slow: 518 MiB of weights)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('builds at 128 px with exactly the counted parameters', () => {
    const m = seed2Cnn();
    const c = countParams(m);
    assert.equal(c.trainable, 135_907_840);
    assert.equal(c.total, seed2CnnParamCount(128).total);
    assert.deepEqual(m.getLayer('flatten').outputShape, [null, 131_072]);
    assert.deepEqual(m.getLayer('fc').getWeights()[0].shape, [131_072, 1024]);
    m.dispose();
  });
});
