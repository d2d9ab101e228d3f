/**
 * Embedding networks by name, as JSON data: an experiment's config says `{kind: 'workshopCnn', ...}` and
 * this builds the network and says what input it wants (size, channels, normalisation), so the data
 * pipeline prepares images the way the network was built for.
 *
 * Kinds: `workshopCnn` (the project's CNN), `mobileNetV3Small` (the MobileNetV3 notebook's backbone) and
 * `siameseCnn` (the Siamese CNN reference's network, lib/models/seed2-cnn.ts). `seed2Cnn`, the old name of
 * `siameseCnn`, still works wherever a kind is given (configs, saved runs and models): see {@link MODEL_KIND_ALIASES}.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import type * as tf from '@tensorflow/tfjs';
import type { Preprocessing } from '../data/types';
import { canonicalName } from '../util/aliases';
import { mobileNetV3Small, resolveMobileNetV3Small, type MobileNetV3SmallConfig } from './mobilenet-v3-small';
import { resolveSeed2Cnn, seed2Cnn, type Seed2CnnConfig } from './seed2-cnn';
import { resolveWorkshopCnn, workshopCnn, type WorkshopCnnConfig } from './workshop-cnn';

export type ModelSpec =
  | { readonly kind: 'workshopCnn'; readonly options?: Partial<WorkshopCnnConfig> }
  | { readonly kind: 'mobileNetV3Small'; readonly options?: Partial<MobileNetV3SmallConfig> }
  /** The Siamese CNN reference's network; `'seed2Cnn'` is its old name (an alias). */
  | { readonly kind: 'siameseCnn' | 'seed2Cnn'; readonly options?: Partial<Seed2CnnConfig> };

/** The model kinds, by their current names. */
export const MODEL_KINDS: readonly ModelSpec['kind'][] = ['workshopCnn', 'mobileNetV3Small', 'siameseCnn'];

/** Old model kind names → new ones. */
export const MODEL_KIND_ALIASES: Readonly<Record<string, ModelSpec['kind']>> = Object.freeze({ seed2Cnn: 'siameseCnn' });

/** The current name of model kind `kind` (`seed2Cnn` → `siameseCnn`; others unchanged). */
export function canonicalModelKind<K extends string>(kind: K): K | ModelSpec['kind'] {
  return canonicalName(kind, MODEL_KIND_ALIASES) as K | ModelSpec['kind'];
}

/** `spec` with its kind under its current name (the same object when it already is). */
export function canonicalModelSpec(spec: ModelSpec): ModelSpec {
  const kind = canonicalModelKind(spec.kind);
  return kind === spec.kind ? spec : ({ ...spec, kind } as ModelSpec);
}

/** The input a network expects. MobileNet takes ImageNet-normalised RGB unless it rescales inside. */
export function preprocessingFor(spec: ModelSpec): Preprocessing {
  switch (spec.kind) {
    case 'workshopCnn':
      return { size: resolveWorkshopCnn(spec.options).inputSize, channels: 3, normalization: 'zeroOne' };
    case 'mobileNetV3Small': {
      const cfg = resolveMobileNetV3Small(spec.options);
      return { size: cfg.inputSize, channels: 3, normalization: cfg.inputScaling === 'minusOneToOne' ? 'zeroOne' : 'imagenet' };
    }
    case 'siameseCnn':
    case 'seed2Cnn':
      return { size: resolveSeed2Cnn(spec.options).inputSize, channels: 3, normalization: 'zeroOne' };
    default:
      throw new RangeError(`model kind must be one of ${MODEL_KINDS.join(', ')}, got ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

/** Builds the embedding network `spec` describes; `seed` overrides the spec's when given. */
export function buildEmbedding(spec: ModelSpec, seed?: number): tf.LayersModel {
  const withSeed = <T extends object>(o: T | undefined): T => ({ ...(o ?? {}), ...(seed === undefined ? {} : { seed }) }) as T;
  switch (spec.kind) {
    case 'workshopCnn':
      return workshopCnn(withSeed(spec.options));
    case 'mobileNetV3Small':
      return mobileNetV3Small(withSeed(spec.options));
    case 'siameseCnn':
    case 'seed2Cnn':
      return seed2Cnn(withSeed(spec.options));
    default:
      throw new RangeError(`model kind must be one of ${MODEL_KINDS.join(', ')}, got ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}
