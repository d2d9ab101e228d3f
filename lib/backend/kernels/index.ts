/** The project's wasm SIMD training kernels for tfjs-backend-wasm (see src/kernels.c). */
export { registerWasmKernels, unregisterWasmKernels, activeWasmKernels, parseFusedChoice } from './registerWasmKernels';
export { fusedBatchNormTraining, fusedHardSwish } from './fusedOps';
export type { KernelRegistration } from './registerWasmKernels';
export { parseKernelChoice, relaxedSimdSupported, kernelBinaryPath, kernelsDir } from './kernelModule';
export type { KernelChoice, KernelVariant } from './kernelModule';
export { InPlaceAdam, inPlaceAdam } from './inPlaceAdam';
export { adamInPlace } from './inPlaceUpdate';
export type { AdamStep } from './inPlaceUpdate';
