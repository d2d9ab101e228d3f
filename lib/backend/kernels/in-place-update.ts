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
function own(be: WasmBackendInternals, t: tf.Variable): void {
  if (be.refCount(t.dataId) > 1) tf.tidy(() => t.assign(tf.add(t, 0)));
}

/**
 * Applies one Adam step in place to `param` and its slots `m`, `v` from `grad`, when the backend is wasm
 * with the project's kernels and everything is float32 of one shape; returns false (and touches
 * nothing) otherwise, so the caller runs its tf-op version.
 * @see notebooks/05-training-runs.ipynb
 */
export function adamInPlace(param: tf.Variable, m: tf.Variable, v: tf.Variable, grad: tf.Tensor, s: AdamStep): boolean {
  const reg = activeWasmKernels();
  if (tf.getBackend() !== 'wasm' || reg === null || reg.variant === null) return false;
  const all = [param, m, v, grad];
  if (all.some((t) => t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, param.shape))) return false;
  const be = wasmBackend(tf.backend());
  for (const t of [param, m, v]) own(be, t);
  const useL2 = s.weightDecay > 0 && !s.decoupled;
  const useDecay = s.decoupled && s.weightDecay > 0;
  kernelModuleFor(be, reg.variant).exports.adam_torch_update(offsetOf(be, param), offsetOf(be, m), offsetOf(be, v), offsetOf(be, grad),
    param.size, s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, 1 - s.beta2 ** s.t, s.epsilon, s.lr / (1 - s.beta1 ** s.t),
    s.weightDecay, useL2 ? 1 : 0, 1 - s.lr * s.weightDecay, useDecay ? 1 : 0);
  // XNNPACK caches operators (with packed weights) by tensor id: a new id makes it repack.
  renewTensorId(be, param);
  return true;
}
