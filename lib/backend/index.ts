/** The tfjs backend: selection, initialisation and (on wasm) the project's training kernels. */
export { initBackend, formatBackendInfo, parseBackendName, onBackendReady, resetBackendForTests, BACKEND_CHAIN } from './select';
export type { BackendInfo, BackendName, BackendAttempt, InitBackendOptions } from './select';
export { environmentReport, formatEnvironmentReport } from './environment';
export type { EnvironmentReport } from './environment';
export { timeOp, benchMatMul } from './timing';
export type { Timing, TimeOptions } from './timing';
export { registerWasmKernels, unregisterWasmKernels, activeWasmKernels, parseKernelChoice, relaxedSimdSupported, InPlaceAdam, inPlaceAdam } from './kernels';
export type { KernelRegistration, KernelChoice, KernelVariant } from './kernels';
export { EmbeddingParallel } from './parallel';
export type { EmbeddingParallelConfig, EmbeddingReplica, EmbeddingStep } from './parallel';
