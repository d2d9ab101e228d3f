/**
 * Registers the project's training kernels on tfjs's wasm backend (replacing the built-in ones they
 * improve on), and can restore the originals. `initBackend()` calls this through `onBackendReady`
 * whenever it picks wasm, so code never has to.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { parseKernelChoice, resolveKernelVariant, type KernelChoice, type KernelVariant } from './kernel-module';
import { installFrugalGradients, uninstallFrugalGradients } from './frugal-gradients';
import { fusedKernels, registerFusedGradients } from './fused-ops';
import { trainingKernels } from './training-kernels';

/**
 * Parses `SIAMESE_WASM_FUSED` (`on`, the default, or `off`): whether the step-level kernels (fused batch
 * norm and hard swish, copy-free Identity and same-type Cast, MaxPoolGrad, inner-axis Sum/Mean, forward
 * convolutions, depthwise forward, PadV2, Transform, the colour augmentation's stages, Concat, inference batch norm) are
 * registered too. `off` exists to measure their effect in the same run.
 */
export function parseFusedChoice(value: string | undefined): boolean {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'on' || v === '1') return true;
  if (v === 'off' || v === '0') return false;
  throw new Error(`SIAMESE_WASM_FUSED=${JSON.stringify(value)} is not a choice; use on or off`);
}

/** What registration did. */
export interface KernelRegistration {
  /** The build in use, or null when `off`. */
  readonly variant: KernelVariant | null;
  /** Kernel names now served by the project's module. */
  readonly registered: readonly string[];
  /** Those among them that replaced a built-in kernel. */
  readonly replaced: readonly string[];
  /** Whether the fused, step-level kernels are among them. */
  readonly fused: boolean;
  /** One line for logs, e.g. `wasm kernels: 5 registered (relaxed-simd)`. */
  readonly note: string;
}

interface Active {
  readonly variant: KernelVariant;
  readonly fused: boolean;
  readonly originals: Map<string, tf.KernelConfig | null>;
  readonly registration: KernelRegistration;
}
let active: Active | null = null;

/**
 * Registers the kernels for `choice` (default: `SIAMESE_WASM_KERNELS`, else `auto`: relaxed SIMD
 * when the runtime has it, else plain SIMD). Calling it again with the same build is a no-op; with
 * another build it swaps them.
 */
export function registerWasmKernels(choice: KernelChoice = parseKernelChoice(process.env.SIAMESE_WASM_KERNELS),
  fused: boolean = parseFusedChoice(process.env.SIAMESE_WASM_FUSED)): KernelRegistration {
  const variant = resolveKernelVariant(choice);
  if (active !== null && active.variant === variant && active.fused === fused) return active.registration;
  unregisterWasmKernels();
  if (variant === null) {
    return { variant: null, registered: [], replaced: [], fused: false, note: 'wasm kernels: off (SIAMESE_WASM_KERNELS=off)' };
  }
  if (fused) registerFusedGradients();
  const originals = new Map<string, tf.KernelConfig | null>();
  const replaced: string[] = [];
  const registered: string[] = [];
  for (const k of [...trainingKernels(variant, fused), ...(fused ? fusedKernels(variant) : [])]) {
    const original = tf.getKernel(k.kernelName, 'wasm') ?? null;
    originals.set(k.kernelName, original);
    if (original !== null) {
      tf.unregisterKernel(k.kernelName, 'wasm');
      replaced.push(k.kernelName);
    }
    const fallback = original?.kernelFunc ?? null;
    tf.registerKernel({
      kernelName: k.kernelName,
      backendName: 'wasm',
      kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => k.kernelFunc(args, fallback)) as tf.KernelFunc,
    });
    registered.push(k.kernelName);
  }
  const label = variant === 'relaxed' ? 'relaxed-simd' : 'simd';
  const registration: KernelRegistration = {
    variant, registered, replaced, fused,
    note: `wasm kernels: ${registered.length} registered (${label}${fused ? ', fused' : ''})`,
  };
  installFrugalGradients();
  active = { variant, fused, originals, registration };
  return registration;
}

/** Puts tfjs-backend-wasm's own kernels back (and removes the ones it lacked). */
export function unregisterWasmKernels(): void {
  if (active === null) return;
  for (const [name, original] of active.originals) {
    tf.unregisterKernel(name, 'wasm');
    if (original !== null) tf.registerKernel(original);
  }
  uninstallFrugalGradients();
  active = null;
}

/** The current registration, or null when the project's kernels are not registered. */
export function activeWasmKernels(): KernelRegistration | null {
  return active?.registration ?? null;
}
