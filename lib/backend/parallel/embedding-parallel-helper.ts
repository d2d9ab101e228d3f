/**
 * The helper thread of {@link EmbeddingParallel} (started by it; not for direct use): builds the embedding
 * replica, then per step copies the weights in from shared memory, embeds its images, hands the embeddings
 * over, waits for the loss's gradient with respect to them, and writes its part of the weights' gradient out.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../select';
import { ownBuffer } from '../kernels/in-place-update';
import { heapView, renewTensorId } from '../kernels/wasm-backend-access';
import { activeWasm, CONTROL, releaseAbandonedTape, signal, waitFor, type EmbeddingReplica, type ToEmbeddingHelper } from './embedding-parallel';

async function main(): Promise<void> {
  const { module, options, backend, timeoutMs } = workerData as { module: string; options: unknown; backend: 'wasm' | 'cpu'; timeoutMs: number };
  await initBackend({ backend, quiet: true });
  // require, not import(): under tsx only the CommonJS hook is registered in this thread (tsx/cjs).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(module) as { createEmbeddingReplica?: (o: unknown) => EmbeddingReplica };
  if (typeof mod.createEmbeddingReplica !== 'function') throw new Error(`${module} does not export createEmbeddingReplica(options)`);
  const replica = mod.createEmbeddingReplica(options);
  const sizes = replica.variables.map((v) => v.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const controlBuf = new SharedArrayBuffer(CONTROL.WORDS * 4), weightsBuf = new SharedArrayBuffer(total * 4), gradsBuf = new SharedArrayBuffer(total * 4);
  const control = new Int32Array(controlBuf), weights = new Float32Array(weightsBuf), grads = new Float32Array(gradsBuf);
  let exchange = new SharedArrayBuffer(0);
  parentPort!.on('message', (msg: ToEmbeddingHelper) => {
    if (msg.kind === 'close') {
      process.exit(0); // between steps (each is handled in full before the next message): nothing is cut off
    }
    const { seq, dim } = msg;
    if (msg.exchange) exchange = msg.exchange;
    let x: tf.Tensor | null = null;
    try {
      const be = activeWasm();
      const input = x = tf.tensor(msg.there.values, msg.there.shape, 'float32');
      waitFor(control, CONTROL.WEIGHTS, seq, timeoutMs, 'EmbeddingParallel helper');
      let off = 0;
      replica.variables.forEach((v, i) => {
        const values = weights.subarray(off, off + sizes[i]);
        off += sizes[i];
        if (be === null || v.dtype !== 'float32') {
          tf.tidy(() => v.assign(tf.tensor(values, v.shape, 'float32')));
          return;
        }
        // written where the variable lies (it must own its buffer first); a new id makes XNNPACK repack it
        ownBuffer(be, v);
        heapView(be, v).set(values);
        renewTensorId(be, v);
      });
      if (msg.state !== undefined) replica.setState?.(msg.state);
      const rows = msg.there.shape[0];
      const { value, grads: g } = tf.variableGrads(() => {
        const e = replica.embed(input);
        if (e.shape[0] !== rows || e.shape[1] !== dim) throw new Error(`the replica embeds [${rows}, …] images as [${e.shape}], expected [${rows}, ${dim}]`);
        const buf = new Float32Array(exchange, 0, 2 * rows * dim);
        buf.set(e.dataSync() as Float32Array, 0);
        signal(control, CONTROL.EMBEDDED, seq);
        waitFor(control, CONTROL.GRADIENT, seq, timeoutMs, 'EmbeddingParallel helper');
        const upstream = tf.tensor2d(buf.slice(rows * dim, 2 * rows * dim), [rows, dim]);
        // e₂ · ∂L/∂e₂: its gradient is the loss's gradient through e₂
        return tf.sum(tf.mul(e, upstream)) as tf.Scalar;
      }, replica.variables as tf.Variable[]);
      off = 0;
      replica.variables.forEach((v, i) => {
        const gi = g[v.name];
        if (gi) grads.set(be !== null && gi.dtype === 'float32' ? heapView(be, gi) : (gi.dataSync() as Float32Array), off);
        else grads.fill(0, off, off + sizes[i]);
        off += sizes[i];
      });
      tf.dispose([value, ...Object.values(g)]);
      parentPort!.postMessage({ seq });
    } catch (e) {
      releaseAbandonedTape();
      signal(control, CONTROL.FAILED, seq);
      parentPort!.postMessage({ seq, error: e instanceof Error ? e.message : String(e) });
    } finally {
      x?.dispose();
    }
  });
  parentPort!.postMessage({ sizes, control: controlBuf, weights: weightsBuf, grads: gradsBuf });
}

main().catch((e) => {
  parentPort?.postMessage({ error: e instanceof Error ? e.stack ?? e.message : String(e) });
  throw e;
});
