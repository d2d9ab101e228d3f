/** The project's wasm SIMD training kernels for tfjs-backend-wasm (see src/kernels.c). */
export { registerWasmKernels, unregisterWasmKernels, activeWasmKernels, parseFusedChoice } from './register-wasm-kernels';
export { fusedBatchNormTraining, fusedHardSwish, fusedColourStage } from './fused-ops';
export type { BatchNormActivation, BatchNormInputActivation, ColourStage } from './fused-ops';
export type { KernelRegistration } from './register-wasm-kernels';
export { parseKernelChoice, relaxedSimdSupported, kernelBinaryPath, kernelsDir } from './kernel-module';
export type { KernelChoice, KernelVariant } from './kernel-module';
export { InPlaceAdam, inPlaceAdam } from './in-place-adam';
export { adamInPlace, adamInPlaceRows } from './in-place-update';
export type { AdamStep } from './in-place-update';
