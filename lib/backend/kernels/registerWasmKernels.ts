/**
 * Registers the project's training kernels on tfjs's wasm backend (replacing the built-in ones they
 * improve on), and can restore the originals. `initBackend()` calls this through `onBackendReady`
 * whenever it picks wasm, so code never has to.
 *
 * @see notebooks/00-environment.ipynb
 */
import * as tf from '@tensorflow/tfjs';
import { parseKernelChoice, resolveKernelVariant, type KernelChoice, type KernelVariant } from './kernelModule';
import { installFrugalGradients, uninstallFrugalGradients } from './frugalGradients';
import { trainingKernels } from './trainingKernels';

/** What registration did. */
export interface KernelRegistration {
  /** The build in use, or null when `off`. */
  readonly variant: KernelVariant | null;
  /** Kernel names now served by the project's module. */
  readonly registered: readonly string[];
  /** Those among them that replaced a built-in kernel. */
  readonly replaced: readonly string[];
  /** One line for logs, e.g. `wasm kernels: 5 registered (relaxed-simd)`. */
  readonly note: string;
}

interface Active {
  readonly variant: KernelVariant;
  readonly originals: Map<string, tf.KernelConfig | null>;
  readonly registration: KernelRegistration;
}
let active: Active | null = null;

/**
 * Registers the kernels for `choice` (default: `SIAMESE_WASM_KERNELS`, else `auto`: relaxed SIMD
 * when the runtime has it, else plain SIMD). Calling it again with the same build is a no-op; with
 * another build it swaps them.
 */
export function registerWasmKernels(choice: KernelChoice = parseKernelChoice(process.env.SIAMESE_WASM_KERNELS)): KernelRegistration {
  const variant = resolveKernelVariant(choice);
  if (active !== null && active.variant === variant) return active.registration;
  unregisterWasmKernels();
  if (variant === null) {
    return { variant: null, registered: [], replaced: [], note: 'wasm kernels: off (SIAMESE_WASM_KERNELS=off)' };
  }
  const originals = new Map<string, tf.KernelConfig | null>();
  const replaced: string[] = [];
  const registered: string[] = [];
  for (const k of trainingKernels(variant)) {
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
    variant, registered, replaced,
    note: `wasm kernels: ${registered.length} registered (${label})`,
  };
  installFrugalGradients();
  active = { variant, originals, registration };
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
