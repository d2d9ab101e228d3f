/**
 * `siamese data split`: a person-disjoint train/val/test split of the resolved dataset, saved as JSON. It draws
 * from the same stream as `siamese train` (`splitRng`), so `--seed 1` here and `--split-seed 1` there give the
 * same people and pairs for the same split config.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { SPLIT_NAMES, SPLIT_PRESETS, checkLeakage, makeSplit, openData, saveSplit, splitsDir, type Split, type SplitConfigInput } from '../../data';
import { canonicalSplitPreset, splitInputs, splitRng } from '../../data/split';
import { display } from '../../viz';

function intOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new Error(`${flag} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

export interface SplitFlags { dir?: string; seed?: string; preset?: string; train?: string; val?: string; test?: string; sameFraction?: string; out?: string }

/** Makes and saves the split the flags describe (with the inputs it was made from); returns it and where it went. */
export async function splitFromFlags(opts: SplitFlags): Promise<{ split: Split; out: string }> {
  const seed = (opts.seed ?? '0').trim();
  if (!/^-?\d+$/.test(seed) || !Number.isSafeInteger(Number(seed))) throw new Error(`--seed must be an integer, got ${JSON.stringify(opts.seed)}`);
  const numPairs = Object.fromEntries(SPLIT_NAMES.map((s) => [s, intOption(`--${s}`, opts[s])]).filter(([, v]) => v !== undefined));
  let sameFraction: number | undefined;
  if (opts.sameFraction !== undefined) {
    sameFraction = Number(opts.sameFraction);
    if (opts.sameFraction.trim() === '' || !Number.isFinite(sameFraction)) throw new Error(`--same-fraction must be a number, got ${JSON.stringify(opts.sameFraction)}`);
  }
  // an old preset name (`seed1`) makes the split its new name makes, recorded under the new name
  const config: SplitConfigInput = { preset: opts.preset === undefined ? undefined : canonicalSplitPreset(opts.preset), numPairs, ...(sameFraction !== undefined ? { sameFraction } : {}) };
  const { dataset } = await openData({ dir: opts.dir, cache: null });
  const rng = splitRng(Number(seed));
  const split: Split = { ...makeSplit(dataset, rng, config), inputs: await splitInputs(dataset, 'split', rng.key, config) };
  const out = path.resolve(opts.out ?? path.join(splitsDir(), `${split.config.preset.replace(/[^A-Za-z0-9_-]+/g, '_')}-seed${seed.replace(/[^A-Za-z0-9_-]+/g, '_')}.json`));
  await saveSplit(split, out);
  return { split, out };
}

export function register(data: Command): void {
  data
    .command('split')
    .description('make a person-disjoint train/val/test split with balanced same/different pairs, check it for leakage and save it as JSON')
    .option('--dir <dir>', 'a dataset folder (<dir>/<Person>/<image>); default: the resolver\'s choice')
    .option('--seed <n>', 'integer seed of the split stream, the same as `siamese train --split-seed` (default 0)')
    .option('--preset <name>', `split preset: ${Object.keys(SPLIT_PRESETS).join(', ')} (default "default"; mnv3-notebook = the MobileNetV3 notebook's 300/75/100 pairs)`)
    .option('--train <n>', 'training pairs (overrides the preset)')
    .option('--val <n>', 'validation pairs')
    .option('--test <n>', 'test pairs')
    .option('--same-fraction <f>', 'share of same-person pairs (default 0.5)')
    .option('--out <file>', 'where to save (default <data home>/splits/<preset>-seed<s>.json)')
    .action(async (opts: SplitFlags) => {
      if (opts.preset !== undefined && canonicalSplitPreset(opts.preset) !== opts.preset) {
        console.log(`note: split preset ${opts.preset} is the old name of ${canonicalSplitPreset(opts.preset)} (both work)`);
      }
      const { split, out } = await splitFromFlags(opts);
      const report = checkLeakage(split); // makeSplit already threw if it leaked; this is the record
      display.table(SPLIT_NAMES.map((s) => ({
        split: s, people: split.people[s].length, pairs: split.pairs[s].length,
        same: split.pairs[s].filter((p) => p.isSame === 1).length, different: split.pairs[s].filter((p) => p.isSame === 0).length,
      })));
      console.log(`leakage check passed: ${report.checked.people} people and ${report.checked.images} images, none in two splits`);
      console.log(`split (preset ${split.config.preset}, seed ${split.seed}) saved to ${out}`);
    });
}
