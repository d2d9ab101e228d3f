/**
 * siamese-lfw: Siamese networks for face verification on LFW.
 *
 * Each concept is a namespace whose folder's index.ts is its public API:
 * `import { backend, util } from 'siamese-lfw'`.
 */
export * as backend from './backend';
export * as data from './data';
export * as util from './util';
export * as viz from './viz';
export * as notebook from './notebook';
export * as models from './models';
export * as distances from './distances';
export * as losses from './losses';
export * as augment from './augment';
export * as pipeline from './pipeline';
export * as evaluation from './eval';
export * as faces from './faces';
export * as train from './train';
export * as apps from './apps';
export * as workshop from './workshop';
