/**
 * Augmentation policies: which transforms, how they are chosen per image, and how the geometry fills
 * the border. A policy is typed JSON data, saved with every run that used it.
 *
 * - `siamese-cnn` reproduces the Siamese CNN reference's README ("during the training loop, as images are read in, with some
 *   probability apply a random transform ... some random combination of: mirror flipping, rotation,
 *   translation and scaling"): with probability 0.7 an image gets a random non-empty subset of rotation
 *   (±30°), horizontal flip, translation (±10 px on the reference's 250 px images, i.e. ±4 % of the size) and
 *   scaling (0.7–1.3), each subset equally likely; the border is filled with black, as torchvision's
 *   RandomAffine does. The README gives no numbers; these are the issue's reading of it.
 * - `default` (the project's policy) draws each transform independently with its own probability:
 *   random resized crop, flip, small rotation, brightness, contrast, saturation, rare grayscale and
 *   light noise, repeating the edge at the border. Milder geometry than `siamese-cnn`'s, plus colour, because
 *   the synthetic faces and LFW's crops vary in lighting more than in pose.
 * - `none` leaves images untouched (evaluation).
 * `seed2`, the old name of `siamese-cnn`, still works (an alias, see {@link POLICY_PRESET_ALIASES}).
 *
 * @see notebooks/03-augmentation-previews.ipynb
 */
import { withAliases } from '../util/aliases';
import type { Rng } from '../util/rng';
import { DEFAULT_APPLY, type ApplyOptions, type FillMode, type Interpolation } from './apply';
import { IDENTITY_PARAMS, TRANSFORM_KINDS, type AugmentParams } from './params';
import { resolveTransform, sampleTransform, type TransformConfig, type TransformInput } from './transforms';

/** How a policy picks the transforms of one image. */
export type Selection = 'subset' | 'independent';

/** An augmentation policy. */
export interface AugmentPolicy {
  /** A short name for labels and logs. */
  readonly name: string;
  /** Probability that an image is augmented at all. */
  readonly p: number;
  /**
   * `'subset'`: an augmented image gets a uniformly random non-empty subset of `transforms` (`siamese-cnn`);
   * `'independent'`: each transform is applied with its own probability `p`.
   */
  readonly select: Selection;
  /** The transforms, applied in the fixed order of `TRANSFORM_KINDS` (geometry, colour, noise). */
  readonly transforms: readonly TransformConfig[];
  readonly fillMode: FillMode;
  /** Fill value for `fillMode: 'constant'`, in [0, 1]. */
  readonly fillValue: number;
  readonly interpolation: Interpolation;
}

/** A policy as written by hand: any field may be left out, transforms need only their `kind`. */
export type AugmentPolicyInput = Partial<Omit<AugmentPolicy, 'transforms'>> & { readonly transforms?: readonly TransformInput[] };

/** The Siamese CNN reference's augmentation (see the module comment). */
export const SIAMESE_CNN_POLICY: Readonly<AugmentPolicy> = Object.freeze({
  name: 'siamese-cnn',
  p: 0.7,
  select: 'subset',
  transforms: Object.freeze([
    resolveTransform({ kind: 'rotate', p: 1, degrees: 30 }),
    resolveTransform({ kind: 'flip', p: 1 }),
    resolveTransform({ kind: 'translate', p: 1, fraction: 10 / 250 }),
    resolveTransform({ kind: 'scale', p: 1, min: 0.7, max: 1.3 }),
  ]),
  fillMode: 'constant',
  fillValue: 0,
  interpolation: 'bilinear',
});

/** The old name of {@link SIAMESE_CNN_POLICY}. */
export const SEED2_POLICY = SIAMESE_CNN_POLICY;

/** The project's default policy (see the module comment). */
export const DEFAULT_POLICY: Readonly<AugmentPolicy> = Object.freeze({
  name: 'default',
  p: 1,
  select: 'independent',
  transforms: Object.freeze([
    resolveTransform({ kind: 'resizedCrop', p: 0.5 }),
    resolveTransform({ kind: 'flip', p: 0.5 }),
    resolveTransform({ kind: 'rotate', p: 0.3 }),
    resolveTransform({ kind: 'brightness', p: 0.5 }),
    resolveTransform({ kind: 'contrast', p: 0.5 }),
    resolveTransform({ kind: 'saturation', p: 0.3 }),
    resolveTransform({ kind: 'grayscale', p: 0.1 }),
    resolveTransform({ kind: 'noise', p: 0.2 }),
  ]),
  fillMode: DEFAULT_APPLY.fillMode,
  fillValue: DEFAULT_APPLY.fillValue,
  interpolation: DEFAULT_APPLY.interpolation,
});

/** No augmentation. */
export const NO_AUGMENT: Readonly<AugmentPolicy> = Object.freeze({ ...DEFAULT_POLICY, name: 'none', p: 0, transforms: Object.freeze([]) });

/** Old policy preset names → new ones (configs, `--augment` and saved runs may use either). */
export const POLICY_PRESET_ALIASES: Readonly<Record<string, string>> = Object.freeze({ seed2: 'siamese-cnn' });

/** The named presets (an old name, e.g. `POLICY_PRESETS.seed2`, finds its new entry but is not listed). */
export const POLICY_PRESETS: Readonly<Record<string, Readonly<AugmentPolicy>>> = withAliases({
  default: DEFAULT_POLICY,
  'siamese-cnn': SIAMESE_CNN_POLICY,
  none: NO_AUGMENT,
}, POLICY_PRESET_ALIASES);

const FILL_MODES: readonly string[] = ['constant', 'nearest', 'wrap'];
const POLICY_FIELDS = ['name', 'p', 'select', 'transforms', 'fillMode', 'fillValue', 'interpolation'];

/**
 * A policy from a preset name or a partial policy merged over {@link DEFAULT_POLICY}; checks every
 * field, errors name the bad value. Unknown fields and duplicate transform kinds are errors.
 */
export function resolvePolicy(input: string | AugmentPolicyInput = {}): AugmentPolicy {
  if (typeof input === 'string') {
    const preset = POLICY_PRESETS[input];
    if (!preset) throw new RangeError(`augment policy ${JSON.stringify(input)} is not a preset; use one of ${Object.keys(POLICY_PRESETS).join(', ')} or a policy object`);
    return preset;
  }
  if (!input || typeof input !== 'object') throw new RangeError(`augment policy must be a preset name or an object, got ${JSON.stringify(input)}`);
  for (const key of Object.keys(input)) {
    if (!POLICY_FIELDS.includes(key)) throw new RangeError(`augment policy: unknown option ${JSON.stringify(key)} (known: ${POLICY_FIELDS.join(', ')})`);
  }
  const c = { ...DEFAULT_POLICY, ...input };
  if (typeof c.name !== 'string' || c.name.length === 0) throw new RangeError(`augment policy name must be a non-empty string, got ${JSON.stringify(c.name)}`);
  if (typeof c.p !== 'number' || !(c.p >= 0 && c.p <= 1)) throw new RangeError(`augment policy p must be a number in [0, 1], got ${JSON.stringify(c.p)}`);
  if (c.select !== 'subset' && c.select !== 'independent') throw new RangeError(`augment policy select must be "subset" or "independent", got ${JSON.stringify(c.select)}`);
  if (!FILL_MODES.includes(c.fillMode)) {
    throw new RangeError(`augment policy fillMode must be one of ${FILL_MODES.join(', ')}, got ${JSON.stringify(c.fillMode)}` +
      (c.fillMode === ('reflect' as string) ? ' (reflect is refused: tfjs-backend-wasm 4.22 fills it wrongly)' : ''));
  }
  if (typeof c.fillValue !== 'number' || !(c.fillValue >= 0 && c.fillValue <= 1)) throw new RangeError(`augment policy fillValue must be a number in [0, 1], got ${JSON.stringify(c.fillValue)}`);
  if (c.interpolation !== 'bilinear' && c.interpolation !== 'nearest') throw new RangeError(`augment policy interpolation must be "bilinear" or "nearest", got ${JSON.stringify(c.interpolation)}`);
  if (!Array.isArray(c.transforms)) throw new RangeError(`augment policy transforms must be a list, got ${JSON.stringify(c.transforms)}`);
  const transforms = c.transforms.map((t, i) => {
    try {
      return resolveTransform(t);
    } catch (err) {
      throw new RangeError(`augment policy ${c.name}, transforms[${i}]: ${(err as Error).message}`);
    }
  });
  const kinds = transforms.map((t) => t.kind);
  const dup = kinds.find((k, i) => kinds.indexOf(k) !== i);
  if (dup) throw new RangeError(`augment policy ${c.name}: transform ${JSON.stringify(dup)} is listed twice`);
  return { name: c.name, p: c.p, select: c.select, transforms, fillMode: c.fillMode, fillValue: c.fillValue, interpolation: c.interpolation };
}

/** A policy that always applies exactly `transform` (for previews of one transform alone). */
export function singleTransformPolicy(transform: TransformInput, base: AugmentPolicyInput = {}): AugmentPolicy {
  const t = resolveTransform({ ...transform, p: 1 });
  return resolvePolicy({ ...base, name: t.kind, p: 1, select: 'independent', transforms: [t] });
}

/** The geometric fill and interpolation of a policy, as {@link applyAugment} takes them. */
export function applyOptions(policy: AugmentPolicy): ApplyOptions {
  return { fillMode: policy.fillMode, fillValue: policy.fillValue, interpolation: policy.interpolation };
}

/**
 * Draws the params of `n` images from `rng` (pure JS, no tensors). The same policy, `n` and rng state
 * always give the same params.
 */
export function samplePolicy(policy: AugmentPolicy, n: number, rng: Rng): AugmentParams[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`samplePolicy: n must be a non-negative integer, got ${n}`);
  const ts = policy.transforms;
  const out: AugmentParams[] = [];
  for (let i = 0; i < n; i++) {
    if (ts.length === 0 || !rng.bool(policy.p)) {
      out.push(IDENTITY_PARAMS);
      continue;
    }
    let chosen: boolean[];
    if (policy.select === 'subset') {
      // Each transform in or out with probability 1/2, redrawn while empty: every non-empty subset is equally likely.
      do chosen = ts.map(() => rng.bool(0.5)); while (!chosen.includes(true));
    } else {
      chosen = ts.map((t) => rng.bool(t.p));
    }
    const picked = ts.filter((_, k) => chosen[k]);
    if (picked.length === 0) {
      out.push(IDENTITY_PARAMS);
      continue;
    }
    const params = { ...IDENTITY_PARAMS } as { -readonly [K in keyof AugmentParams]: AugmentParams[K] };
    for (const t of picked) sampleTransform(t, params, rng);
    params.applied = TRANSFORM_KINDS.filter((k) => picked.some((t) => t.kind === k));
    out.push(params);
  }
  return out;
}
