/**
 * siamese-lfw: Siamese networks for face verification on LFW.
 *
 * Each concept is a namespace whose folder's index.ts is its public API:
 * `import { backend, util } from 'siamese-lfw'`.
 */
export * as backend from './backend';
export * as util from './util';
export * as viz from './viz';
export * as notebook from './notebook';
