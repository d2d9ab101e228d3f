/** Shared utilities: the seeded rng, and small helpers every concept uses. */
export { Rng, createRng, hash128 } from './rng';
export { STREAMS, stream } from './streams';
export type { StreamName } from './streams';
export type { RngState } from './rng';
export { projectRoot, dataHome, artifactsDir, writeFileAtomic } from './paths';
export { writeFileAtomicSafe, ensureDir, describeFsError, FileWriteError } from './files';
export type { FileOps } from './files';
export { installedPackage } from './packages';
export type { InstalledPackage } from './packages';
export { stableStringify, configHash } from './hash';
export { escapeHtml } from './html';
export { formatBytes, formatDuration } from './format';
export { settleEach } from './concurrency';
export type { Settled } from './concurrency';
