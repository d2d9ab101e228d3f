import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { cosine, euclidean } from '../../lib/distances';
import { countParams, siamese, siameseOutput, summaryRows, workshopCnn } from '../../lib/models';
import { flipAveragedSiamese, siameseEmbeddingNet } from '../../lib/models/siamese';
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
  it('flip test-time augmentation scores the mean of each image\'s and its mirror\'s embeddings through the model\'s head', () => {
    const net = workshopCnn(tiny);
    const a = tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 3);
    const b = tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 4);
    const mean = (x: tf.Tensor) => tf.tidy(() => (net.predict(x) as tf.Tensor).add(net.predict(tf.reverse(x, 2)) as tf.Tensor).div(2));
    for (const [head, normalize] of [['euclidean', true], ['cosine', false], ['bceAbsDiff', false]] as const) {
      const model = siamese(net, { head, normalize });
      assert.equal(siameseEmbeddingNet(model), net);
      const score = flipAveragedSiamese(model);
      const got = score(a, b);
      let ea = mean(a);
      let eb = mean(b);
      if (normalize) [ea, eb] = [tf.div(ea, tf.norm(ea, 2, 1, true)), tf.div(eb, tf.norm(eb, 2, 1, true))];
      const want = head === 'bceAbsDiff'
        ? (model.getLayer('head_bce_dense').apply(tf.abs(tf.sub(ea, eb))) as tf.Tensor)
        : (head === 'euclidean' ? euclidean : cosine).pairwise(ea as tf.Tensor2D, eb as tf.Tensor2D).reshape([3, 1]);
      assertTensorsClose(got, want, 1e-4);
      // the flip matters: a mirrored image's score differs from the plain model's, and mirroring both inputs changes nothing
      const plain = model.predict([a, b]) as tf.Tensor;
      assert.ok(tf.max(tf.abs(tf.sub(plain, got))).arraySync() as number > 1e-6, `${head}: the flip changed nothing`);
      assertTensorsClose(score(tf.reverse(a, 2), tf.reverse(b, 2)), got, 1e-5);
      assertNoLeak(() => score(a, b));
    }
  });
});
