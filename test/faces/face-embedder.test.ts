/**
 * `embedCrops` (lib/faces/face-embedder.ts): crops go through the network EMBED_BATCH at a time, in order, and a
 * crop's descriptor does not depend on the batch it was in (face-api's ResNet on wasm, bit for bit). Bad crops are
 * refused naming the size. No LFW needed.
 */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { EMBED_BATCH, embedCrops, faceApiEmbedder, type FaceEmbedder } from '../../lib/faces';

const crop = (size: number, seed: number): { data: Uint8Array; width: number; height: number } =>
  ({ data: Uint8Array.from({ length: size * size * 3 }, (_, j) => (j * 7 + seed * 13 + ((j * j) % 97)) % 256), width: size, height: size });

describe('embedCrops', () => {
  before(async () => {
    await initBackend({ quiet: true });
    await tf.setBackend('wasm');
  });

  it('sends EMBED_BATCH crops per call, in order, and leaks no tensor', async () => {
    const batches: number[] = [];
    const fake: FaceEmbedder = {
      name: 'fake', description: '', inputSize: 4, dim: 1, higherIsCloser: false, outsideData: false,
      embed: async (x) => {
        batches.push(x.shape[0]);
        const d = await x.data();
        return Array.from({ length: x.shape[0] }, (_, i) => [d[i * 48]]);
      },
      compare: (a, b) => Math.abs(a[0] - b[0]),
    };
    const n0 = tf.memory().numTensors;
    const crops = Array.from({ length: 2 * EMBED_BATCH + 3 }, (_, i) => ({ data: new Uint8Array(48).fill(i), width: 4, height: 4 }));
    const out = await embedCrops(fake, crops);
    assert.deepEqual(batches, [EMBED_BATCH, EMBED_BATCH, 3]);
    assert.deepEqual(out.map((e) => e[0]), crops.map((_, i) => i));
    assert.deepEqual(await embedCrops(fake, []), []);
    assert.equal(tf.memory().numTensors, n0, 'every batch tensor disposed');
    await assert.rejects(embedCrops(fake, [{ data: new Uint8Array(12), width: 2, height: 2 }]), /fake embeds 4x4 RGB crops, got 2x2 with 12 values/);
  });

  it("gives face-api's descriptors bit for bit whatever the batch", async () => {
    const net = await faceApiEmbedder();
    const crops = Array.from({ length: EMBED_BATCH + 1 }, (_, i) => crop(net.inputSize, i));
    const together = await embedCrops(net, crops);
    for (const [i, c] of crops.entries()) {
      if (i !== 0 && i !== EMBED_BATCH) continue; // the first of the first batch and the one in a batch of its own
      assert.deepEqual((await embedCrops(net, [c]))[0], together[i], `crop ${i}`);
    }
  });
});
