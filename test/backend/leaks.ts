/** Shared check of the leak tests: after a warm-up, `steps` more steps leave tensors, bytes and the wasm heap as they were. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { wasmBackend } from '../../lib/backend/kernels/wasm-backend-access';

export async function assertFlatOver(steps: number, step: () => unknown, warmUp = 5): Promise<void> {
  for (let i = 0; i < warmUp; i++) await step();
  const memory = wasmBackend(tf.backend()).wasm.asm.memory;
  const tensors = tf.memory().numTensors, bytes = tf.memory().numBytes, heap = memory.buffer.byteLength;
  for (let i = 0; i < steps; i++) await step();
  assert.equal(tf.memory().numTensors, tensors, 'numTensors flat');
  assert.equal(tf.memory().numBytes, bytes, 'numBytes flat');
  assert.equal(memory.buffer.byteLength, heap, 'wasm heap did not grow');
}
