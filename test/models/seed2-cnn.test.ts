import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { countParams, seed2Cnn, seed2CnnParamCount, summaryRows } from '../../lib/models';

describe('seed2Cnn', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('at 128 px: FC 131072·1024 + 1024 weights, 135 907 840 trainable in all', () => {
    const c = seed2CnnParamCount(128);
    assert.equal(c.fc, 131_072 * 1024 + 1024);
    assert.equal(c.trainable, 135_907_840);
    assert.equal(c.nonTrainable, 3968);
    assert.equal(c.total * 4, 543_647_232); // 518.5 MiB in float32
  });

  it('the built model has the counted parameters and the seed architecture (at 32 px, to stay small)', () => {
    const m = seed2Cnn({ inputSize: 32 });
    const c = countParams(m);
    const expected = seed2CnnParamCount(32);
    assert.equal(c.trainable, expected.trainable);
    assert.equal(c.nonTrainable, expected.nonTrainable);
    assert.deepEqual(m.getLayer('conv1').outputShape, [null, 32, 32, 64]);
    assert.deepEqual(m.getLayer('pool3').outputShape, [null, 4, 4, 256]);
    assert.deepEqual(m.getLayer('flatten').outputShape, [null, 4 * 4 * 512]);
    assert.deepEqual(m.outputs[0].shape, [null, 1024]);
    // conv -> ReLU -> batch norm -> pool, the ReLU carried by the batch norm (inputActivation)
    const types = summaryRows(m).slice(1, 4).map((r) => r.type);
    assert.deepEqual(types, ['Conv2D', 'relu + FreezableBatchNorm', 'MaxPooling2D']);
    assert.equal(summaryRows(m).find((r) => r.layer === 'fc_bn')?.type, 'relu + FreezableBatchNorm');
    assert.equal((m.getLayer('conv1').getConfig() as { kernelSize: number[] }).kernelSize[0], 5);
    assert.equal((m.getLayer('conv3').getConfig() as { kernelSize: number[] }).kernelSize[0], 3);
  });

  it('rejects input sizes that are not multiples of 8', () => {
    assert.throws(() => seed2Cnn({ inputSize: 100 }), /inputSize must be a positive multiple of 8, got 100/);
  });
});
