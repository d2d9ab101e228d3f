import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { cosine, euclidean } from '../../lib/distances';
import { countParams, siamese, siameseOutput, summaryRows, workshopCnn } from '../../lib/models';
import { assertNoLeak, assertTensorsClose } from '../helpers';

const tiny = { inputSize: 16, filters: [4, 8], kernelSizes: [3, 3], embeddingDim: 8, seed: 1 };

describe('siamese', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('shares one embedding network between both inputs (one layer, two calls, counted once)', () => {
    const net = workshopCnn(tiny);
    const model = siamese(net, { head: 'euclidean' });
    const rows = summaryRows(model);
    const shared = rows.find((r) => r.layer === net.name);
    assert.ok(shared);
    assert.equal(shared.calls, 2);
    assert.equal(countParams(model).total, countParams(net).total);
    assert.deepEqual(model.inputNames, ['a', 'b']);
  });

  it('distance heads output the distance of the two embeddings', () => {
    const net = workshopCnn(tiny);
    const a = tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 1);
    const b = tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 2);
    const ea = net.predict(a) as tf.Tensor2D;
    const eb = net.predict(b) as tf.Tensor2D;
    for (const d of [euclidean, cosine]) {
      const out = siamese(net, { head: d.name }).predict([a, b]) as tf.Tensor;
      assert.deepEqual(out.shape, [3, 1]);
      assertTensorsClose(out.reshape([3]), d.pairwise(ea, eb), 1e-4);
    }
  });

  it('BCE heads output probabilities; |a-b| is symmetric, concat (seed2) is not', () => {
    const net = workshopCnn(tiny);
    const a = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3);
    const b = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 4);
    const abs = siamese(net, { head: 'bceAbsDiff', seed: 2 });
    const p = abs.predict([a, b]) as tf.Tensor;
    assert.ok(Array.from(p.dataSync()).every((v) => v > 0 && v < 1));
    assertTensorsClose(abs.predict([b, a]) as tf.Tensor, p, 1e-6);
    const cat = siamese(net, { head: 'bceConcat', seed: 2 });
    assert.deepEqual(cat.getLayer('head_bce_dense').getWeights()[0].shape, [16, 1]);
    assert.notDeepEqual(Array.from((cat.predict([b, a]) as tf.Tensor).dataSync()), Array.from((cat.predict([a, b]) as tf.Tensor).dataSync()));
  });

  it('says what its output means', () => {
    assert.deepEqual(siameseOutput('euclidean'), { kind: 'distance', higherIsCloser: false });
    assert.deepEqual(siameseOutput('cosine'), { kind: 'distance', higherIsCloser: true });
    assert.deepEqual(siameseOutput('bceConcat'), { kind: 'probability', higherIsCloser: true });
    assert.throws(() => siamese(workshopCnn(tiny), { head: 'l1' as never }), /head must be one of euclidean, cosine, bceConcat, bceAbsDiff, got "l1"/);
  });

  it('predict does not leak', () => {
    const model = siamese(workshopCnn(tiny), { head: 'bceConcat' });
    const x = tf.zeros([1, 16, 16, 3]);
    assertNoLeak(() => model.predict([x, x]) as tf.Tensor);
    x.dispose();
  });
});
