/**
 * In-place optimizer updates for lib/train's Optimizer on the wasm backend: one SIMD pass over the
 * variable, its gradient and its state slots (src/kernels.c adam_torch_update), where the tf-op version
 * allocates about ten full-size temporaries per variable (for seed2's 134M-weight FC layer ~5 GB, past
 * a wasm32 heap). Same float32 operations in the same order as the tf-op version, so results are
 * bit-identical to it.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { kernelModuleFor } from './kernel-module';
import { activeWasmKernels } from './register-wasm-kernels';
import { offsetOf, renewTensorId, wasmBackend, type WasmBackendInternals } from './wasm-backend-access';

/** One PyTorch-rule Adam step's constants (see lib/train/optimizer.ts). */
export interface AdamStep {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** The step number t (1 on the first step). */
  readonly t: number;
  readonly weightDecay: number;
  /** AdamW: decoupled weight decay. */
  readonly decoupled: boolean;
}

/** Makes sure `t` owns its buffer (no clone shares it) so it may be written in place. */
export function ownBuffer(be: WasmBackendInternals, t: tf.Variable): void {
  if (be.refCount(t.dataId) > 1) tf.tidy(() => t.assign(tf.add(t, 0)));
}

/**
 * Applies one Adam step in place to `param` and its slots `m`, `v` from `grad`, when the backend is wasm
 * with the project's kernels and everything is float32 of one shape; returns false (and touches
 * nothing) otherwise, so the caller runs its tf-op version.
 * @see notebooks/05-training-runs.ipynb
 */
export function adamInPlace(param: tf.Variable, m: tf.Variable, v: tf.Variable, grad: tf.Tensor, s: AdamStep): boolean {
  if (!tf.util.arraysEqual(grad.shape, param.shape)) return false;
  return adamUpdate(param, m, v, grad, 0, s);
}

/**
 * {@link adamInPlace} for a block of rows: `gradRows` is the gradient of rows `rowStart ..` of `param` (its first
 * axis; the block's other axes are param's), and only those rows of `param`, `m` and `v` change. Elementwise, so
 * updating a variable block by block gives the same bits as updating it whole. Returns false (touching nothing)
 * where {@link adamInPlace} would; throws if the block does not fit the variable.
 * @see notebooks/05-training-runs.ipynb
 */
export function adamInPlaceRows(param: tf.Variable, m: tf.Variable, v: tf.Variable, gradRows: tf.Tensor, rowStart: number, s: AdamStep): boolean {
  if (!(param.rank >= 1 && gradRows.rank === param.rank && tf.util.arraysEqual(gradRows.shape.slice(1), param.shape.slice(1))
    && Number.isInteger(rowStart) && rowStart >= 0 && rowStart + gradRows.shape[0] <= param.shape[0])) {
    throw new Error(`adamInPlaceRows: a gradient block of shape [${gradRows.shape}] at row ${rowStart} does not fit a variable of shape [${param.shape}]`);
  }
  return adamUpdate(param, m, v, gradRows, rowStart * (param.size / param.shape[0]), s);
}

/** The in-place pass over `grad.size` elements of `param`, `m`, `v` from element `start` on. */
function adamUpdate(param: tf.Variable, m: tf.Variable, v: tf.Variable, grad: tf.Tensor, start: number, s: AdamStep): boolean {
  const reg = activeWasmKernels();
  if (tf.getBackend() !== 'wasm' || reg === null || reg.variant === null) return false;
  if ([param, m, v, grad].some((t) => t.dtype !== 'float32') || [m, v].some((t) => !tf.util.arraysEqual(t.shape, param.shape))) return false;
  const be = wasmBackend(tf.backend());
  for (const t of [param, m, v]) ownBuffer(be, t);
  const useL2 = s.weightDecay > 0 && !s.decoupled;
  const useDecay = s.decoupled && s.weightDecay > 0;
  const at = 4 * start;
  kernelModuleFor(be, reg.variant).exports.adam_torch_update(offsetOf(be, param) + at, offsetOf(be, m) + at, offsetOf(be, v) + at,
    offsetOf(be, grad), grad.size, s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, 1 - s.beta2 ** s.t, s.epsilon, s.lr / (1 - s.beta1 ** s.t),
    s.weightDecay, useL2 ? 1 : 0, 1 - s.lr * s.weightDecay, useDecay ? 1 : 0);
  // XNNPACK caches operators (with packed weights) by tensor id: a new id makes it repack.
  renewTensorId(be, param);
  return true;
}
