/**
 * The shape of an experiment config, checked before anything is merged or trained: every key must be one
 * the experiment knows, at every nesting level (`{"epochz": 1}` is an error that suggests `"epochs"`), and
 * every value given must have the right type (the error names the full dotted key and the type expected).
 * Ranges (epochs >= 1, lr > 0, ...) stay with the resolvers that use them; this module only knows shapes.
 *
 * @see lib/train/experiment.ts (resolveExperiment) and lib/cli/commands/train.ts (--config files)
 */
import { POLICY_PRESET_ALIASES, POLICY_PRESETS } from '../augment/policy';
import { MODEL_KIND_ALIASES } from '../models/build';
import { canonicalName, type Aliases } from '../util/aliases';
import { WEIGHTS_OPTIONS } from '../models/imagenet-weights';
import { DEFAULT_MOBILENET_V3_SMALL } from '../models/mobilenet-v3-small';
import { DEFAULT_SEED2_CNN } from '../models/seed2-cnn';
import { SIAMESE_HEADS } from '../models/siamese';
import { DEFAULT_WORKSHOP_CNN } from '../models/workshop-cnn';
import { DEFAULT_OPTIMIZER, OPTIMIZERS } from './optimizer';
import { DEFAULT_SCHEDULE, SCHEDULES } from './schedule';

/**
 * The shape of one value. `variant`: an object whose `tag` field (required) picks which other fields it takes.
 * `aliases` (of an enum or a variant): old names accepted for a value (old name → current name), not listed in errors.
 */
export type Shape =
  | { readonly kind: 'number' | 'integer' | 'boolean' | 'string' }
  | { readonly kind: 'enum'; readonly values: readonly string[]; readonly aliases?: Aliases }
  | { readonly kind: 'list'; readonly of: Shape }
  | { readonly kind: 'nullable'; readonly of: Shape }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Shape>>; readonly takes?: string }
  | { readonly kind: 'variant'; readonly tag: string; readonly label: string; readonly variants: Readonly<Record<string, Readonly<Record<string, Shape>>>>; readonly aliases?: Aliases };

const NUMBER: Shape = { kind: 'number' };
const INTEGER: Shape = { kind: 'integer' };
const BOOLEAN: Shape = { kind: 'boolean' };
const STRING: Shape = { kind: 'string' };
const oneOf = (values: readonly string[], aliases?: Aliases): Shape => ({ kind: 'enum', values, ...(aliases ? { aliases } : {}) });
const object = (fields: Record<string, Shape>, takes?: string): Shape => ({ kind: 'object', fields, ...(takes ? { takes } : {}) });

/** The shape of an object from its defaults: each field's type is its default's (numbers, booleans, strings, lists of numbers). */
function fromDefaults(defaults: object, overrides: Record<string, Shape> = {}): Record<string, Shape> {
  return Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, overrides[k] ??
    (Array.isArray(v) ? { kind: 'list', of: NUMBER } : typeof v === 'number' ? NUMBER : typeof v === 'boolean' ? BOOLEAN : STRING)]));
}

const TRAIN_VAL_TEST = (of: Shape): Shape => object({ train: of, val: of, test: of });

/** Every field of an experiment config (see ExperimentConfig in lib/train/experiment.ts). */
export const EXPERIMENT_SHAPE: Shape = object({
  name: STRING,
  data: object({
    dir: { kind: 'nullable', of: STRING },
    protocol: oneOf(['split', 'view1', 'view2']),
    fold: INTEGER,
    split: object({ preset: STRING, peopleFractions: TRAIN_VAL_TEST(NUMBER), numPairs: TRAIN_VAL_TEST(INTEGER), sameFraction: NUMBER }),
    splitSeed: INTEGER,
  }),
  model: {
    kind: 'variant', tag: 'kind', label: 'model kind', variants: {
      workshopCnn: { options: object(fromDefaults(DEFAULT_WORKSHOP_CNN), 'model kind workshopCnn takes') },
      mobileNetV3Small: { options: object(fromDefaults(DEFAULT_MOBILENET_V3_SMALL, { weights: oneOf(WEIGHTS_OPTIONS) }), 'model kind mobileNetV3Small takes') },
      siameseCnn: { options: object(fromDefaults(DEFAULT_SEED2_CNN), 'model kind siameseCnn takes') },
    },
    aliases: MODEL_KIND_ALIASES,
  },
  head: oneOf(SIAMESE_HEADS),
  normalize: BOOLEAN,
  loss: {
    kind: 'variant', tag: 'name', label: 'loss', variants: {
      contrastive: { margin: NUMBER, pairs: oneOf(['given', 'batch']) }, bce: {}, triplet: { margin: NUMBER, mining: oneOf(['batchHard', 'all']) },
    },
  },
  sampling: {
    kind: 'variant', tag: 'name', label: 'sampling', variants: {
      given: {}, identityPairs: { pairsPerEpoch: INTEGER, sameFraction: NUMBER }, identityPK: { perPerson: INTEGER, negatives: INTEGER, batchesPerEpoch: INTEGER },
    },
  },
  optimizer: object(fromDefaults(DEFAULT_OPTIMIZER, { name: oneOf(OPTIMIZERS) })),
  schedule: object(fromDefaults(DEFAULT_SCHEDULE, { name: oneOf(SCHEDULES) })),
  augment: oneOf(Object.keys(POLICY_PRESETS), POLICY_PRESET_ALIASES),
  epochs: INTEGER,
  batchSize: INTEGER,
  workers: INTEGER,
  flipTest: BOOLEAN,
  seed: INTEGER,
  earlyStopping: { kind: 'nullable', of: object({ patience: INTEGER, minDelta: NUMBER }) },
});

/** Edit distance (optimal string alignment: insertions, deletions, substitutions, adjacent swaps); case is ignored. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[x.length][y.length];
}

/** The candidate closest to `word` when it is close enough to be a typo of it (else null). */
export function nearest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word, c);
    if (dist < bestD) [best, bestD] = [c, dist];
  }
  return best !== null && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : null;
}

/** A value as the errors show it: JSON, and its type when that is what is wrong. */
function shown(value: unknown): string {
  const type = value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object'
    : typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'a boolean' : typeof value;
  let json: string;
  try {
    json = JSON.stringify(value) ?? String(value);
  } catch {
    json = String(value);
  }
  if (json.length > 60) json = `${json.slice(0, 57)}...`;
  return type === 'null' ? 'null' : `${json} (${type})`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const dotted = (at: string, key: string): string => (at ? `${at}.${key}` : key);

function unknownKey(key: string, at: string, allowed: readonly string[], source: string, takes?: string): RangeError {
  const near = nearest(key, allowed);
  const full = dotted(at, key);
  if (near) return new RangeError(`unknown key "${full}" in ${source}: did you mean "${dotted(at, near)}"?`);
  return new RangeError(`unknown key "${full}" in ${source}; ${takes ?? 'valid keys'}: ${allowed.join(', ') || '(none)'}`);
}

function checkFields(value: Record<string, unknown>, fields: Readonly<Record<string, Shape>>, at: string, source: string, takes?: string): void {
  const allowed = Object.keys(fields);
  for (const key of Object.keys(value)) {
    if (!Object.prototype.hasOwnProperty.call(fields, key)) throw unknownKey(key, at, allowed, source, takes);
    checkShape(value[key], fields[key], dotted(at, key), source);
  }
}

/**
 * Checks `value` against `shape`; `at` is its dotted key, `source` names where it came from (a file, or
 * "experiment config"). Fields that are undefined mean "the default" and are not checked.
 */
export function checkShape(value: unknown, shape: Shape, at: string, source: string): void {
  if (value === undefined) return;
  const bad = (what: string, extra = ''): RangeError => new RangeError(`${source}: "${at}" must be ${what}, got ${shown(value)}${extra}`);
  switch (shape.kind) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('a number');
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw bad('an integer');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw bad('true or false');
      return;
    case 'string':
      if (typeof value !== 'string') throw bad('a string');
      return;
    case 'enum': {
      if (typeof value === 'string' && (shape.values.includes(value) || Object.prototype.hasOwnProperty.call(shape.aliases ?? {}, value))) return;
      const near = typeof value === 'string' ? nearest(value, shape.values) : null;
      const one = `one of ${shape.values.join(', ')}`;
      if (typeof value !== 'string') throw bad(one);
      throw new RangeError(`${source}: "${at}" must be ${one}, got ${JSON.stringify(value)}${near ? `: did you mean "${near}"?` : ''}`);
    }
    case 'list':
      if (!Array.isArray(value)) throw bad('a list');
      value.forEach((v, i) => checkShape(v, shape.of, `${at}[${i}]`, source));
      return;
    case 'nullable':
      if (value !== null) checkShape(value, shape.of, at, source);
      return;
    case 'object':
      if (!isObject(value)) throw bad('an object');
      checkFields(value, shape.fields, at, source, shape.takes);
      return;
    case 'variant': {
      if (!isObject(value)) throw bad('an object');
      const names = Object.keys(shape.variants);
      const given = value[shape.tag];
      const tagAt = dotted(at, shape.tag);
      if (given === undefined) throw new RangeError(`${source}: "${tagAt}" is required (one of ${names.join(', ')})`);
      checkShape(given, oneOf(names, shape.aliases), tagAt, source);
      const tag = canonicalName(given as string, shape.aliases ?? {}); // an old name takes its new name's fields
      const fields = { [shape.tag]: oneOf(names, shape.aliases), ...shape.variants[tag] };
      checkFields(value, fields, at, source, `${shape.label} ${String(tag)} takes`);
      return;
    }
  }
}

/** Checks a (partial) experiment config: unknown keys and wrong types at every level; `source` names it in errors. */
export function checkExperimentInput(input: unknown, source = 'experiment config'): void {
  if (!isObject(input)) throw new RangeError(`${source} must be an object of experiment fields, got ${shown(input)}`);
  checkShape(input, EXPERIMENT_SHAPE, '', source);
}
