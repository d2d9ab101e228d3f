/**
 * The few internals of @tensorflow/tfjs-backend-wasm 4.22 the project's kernels rely on, typed in one
 * place: the Emscripten module (its Memory and allocator), where a tensor lives in that memory, and
 * how a kernel makes its output.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as tf from '@tensorflow/tfjs';

/** One tensor's record in the wasm backend. */
export interface WasmTensorData {
  id: number;
  readonly memoryOffset: number;
  readonly shape: number[];
  readonly dtype: tf.DataType;
  readonly refCount: number;
}

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
export interface WasmBackendInternals extends tf.KernelBackend {
  readonly wasm: {
    readonly asm: { readonly memory: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    readonly tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
  dataIdNextNumber: number;
  readonly dataIdMap: { get(dataId: object): WasmTensorData | undefined };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
}

/** The wasm backend as its internals, or an error naming what is missing. */
export function wasmBackend(backend: unknown = tf.findBackend('wasm')): WasmBackendInternals {
  const b = backend as Partial<WasmBackendInternals> | null;
  if (b == null || b.wasm === undefined || b.dataIdMap === undefined || typeof b.makeOutput !== 'function') {
    throw new Error('lib/backend/kernels: the tfjs wasm backend is not initialised (call initBackend() first)');
  }
  if (!(b.wasm.asm?.memory instanceof WebAssembly.Memory)) {
    throw new Error('lib/backend/kernels: tfjs-backend-wasm does not expose wasm.asm.memory (expected version 4.22)');
  }
  return b as WasmBackendInternals;
}

/** Byte offset of a float32 tensor's data in the wasm backend's memory. */
export function offsetOf(backend: WasmBackendInternals, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error(`lib/backend/kernels: tensor of shape [${t.shape}] is not on the wasm backend`);
  if (data.memoryOffset === 0 && t.shape.every((d) => d > 0)) {
    // tfjs-backend-wasm does not check malloc: 0 means the 4 GiB wasm32 heap is exhausted.
    throw new Error(`lib/backend/kernels: the wasm heap is exhausted (a tensor of shape [${t.shape}] got no memory); use a smaller batch or input`);
  }
  return data.memoryOffset;
}

/**
 * A float32 tensor's data as a view of the wasm heap (no copy). Use it at once: the view is detached when the
 * heap grows, and the tensor's buffer may be shared (check `backend.refCount` before writing through it).
 */
export function heapView(backend: WasmBackendInternals, t: tf.TensorInfo): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`lib/backend/kernels: heapView of a ${t.dtype} tensor`);
  return new Float32Array(backend.wasm.asm.memory.buffer, offsetOf(backend, t), t.shape.reduce((a, b) => a * b, 1));
}

/**
 * Gives a tensor whose data was changed in place a new id in the backend's C++ side, so caches
 * keyed by tensor id (XNNPACK operators with packed weights, for Conv2D, depthwise and matMul) are
 * dropped and rebuilt from the new values. The memory stays where it is.
 */
export function renewTensorId(backend: WasmBackendInternals, t: tf.TensorInfo): void {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error(`lib/backend/kernels: tensor of shape [${t.shape}] is not on the wasm backend`);
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, t.shape.reduce((a, b) => a * b, 1), data.memoryOffset);
  backend.wasm.tfjs.disposeData(data.id);
  data.id = id;
}
