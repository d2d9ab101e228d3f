/**
 * The helper thread of {@link DataParallel} (started by it; not for direct use): builds the replica,
 * then per step copies the weights in from shared memory, computes its half batch's gradient and writes
 * it out to shared memory.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../select';
import type { Replica } from './data-parallel';

async function main(): Promise<void> {
  const { module, options, backend } = workerData as { module: string; options: unknown; backend: 'wasm' | 'cpu' };
  await initBackend({ backend, quiet: true });
  // require, not import(): under tsx only the CommonJS hook is registered in this thread (tsx/cjs).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(module) as { createReplica?: (o: unknown) => Replica; default?: { createReplica?: (o: unknown) => Replica } };
  const create = mod.createReplica ?? mod.default?.createReplica;
  if (typeof create !== 'function') throw new Error(`${module} does not export createReplica(options)`);
  const replica = create(options);
  const sizes = replica.variables.map((v) => v.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const weightsBuf = new SharedArrayBuffer(total * 4), gradsBuf = new SharedArrayBuffer(total * 4);
  const weights = new Float32Array(weightsBuf), grads = new Float32Array(gradsBuf);
  parentPort!.on('message', (msg: { kind: string; inputs?: { shape: number[]; dtype: tf.DataType; values: Float32Array | Int32Array }[] }) => {
    if (msg.kind === 'close') {
      parentPort!.close();
      return;
    }
    try {
      let off = 0;
      replica.variables.forEach((v, i) => {
        tf.tidy(() => v.assign(tf.tensor(weights.subarray(off, off + sizes[i]), v.shape, 'float32')));
        off += sizes[i];
      });
      const inputs = msg.inputs!.map((t) => tf.tensor(t.values, t.shape, t.dtype));
      const { value, grads: g } = tf.variableGrads(() => replica.loss(inputs), replica.variables as tf.Variable[]);
      off = 0;
      replica.variables.forEach((v, i) => {
        grads.set(g[v.name].dataSync() as Float32Array, off);
        off += sizes[i];
      });
      const loss = value.dataSync()[0];
      tf.dispose([value, ...inputs, ...Object.values(g)]);
      parentPort!.postMessage({ loss });
    } catch (e) {
      parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
    }
  });
  parentPort!.postMessage({ sizes, weights: weightsBuf, grads: gradsBuf });
}

main().catch((e) => {
  parentPort?.postMessage({ error: e instanceof Error ? e.stack ?? e.message : String(e) });
  throw e;
});
