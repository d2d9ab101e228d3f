/** `siamese data synth`: generate (or reuse) the built-in synthetic face set. */
import * as path from 'node:path';
import type { Command } from 'commander';
import { dataHome, DEFAULT_SYNTH, ensureSynthetic, type ImagesPerPerson, type SynthConfig, type SynthManifest } from '../../data';
import { measureSynthDifficulty } from '../../eval';

function intOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new Error(`${flag} must be an integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function numberOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** `--per-person`: a number (everyone that many), `lfw-like` or `lfw-like:<max>` (LFW's skew). */
function perPersonOption(value: string | undefined): ImagesPerPerson | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  const skew = /^lfw-like(?::(\d+))?$/.exec(v);
  if (skew) {
    const d = DEFAULT_SYNTH.perPerson;
    return { kind: 'lfw-like', max: skew[1] !== undefined ? Number(skew[1]) : typeof d === 'number' ? 40 : d.max };
  }
  if (/^\d+$/.test(v)) return Number(v);
  throw new Error(`--per-person must be a number or lfw-like[:<max>], got ${JSON.stringify(value)}`);
}

/** `perPerson` as `--per-person` spells it. */
function describePerPerson(p: ImagesPerPerson): string {
  return typeof p === 'number' ? String(p) : `lfw-like:${p.max}`;
}

/** The set in one line: people and images, and how the images are spread. */
function describeSet(m: SynthManifest): string {
  const c = m.config;
  const counts = m.people.map((p) => p.images);
  const images = counts.reduce((a, b) => a + b, 0);
  const spread = typeof c.perPerson === 'number'
    ? `${c.people} people x ${c.perPerson} images`
    : `${c.people} people, ${images} images (LFW-like: ${counts.filter((k) => k === 1).length} with one image, ${counts.filter((k) => k >= 2).length} with 2+, at most ${Math.max(...counts)})`;
  return `${spread}, ${c.size} px, seed ${c.seed}, difficulty ${c.difficulty}`;
}

export function register(data: Command): void {
  const d = DEFAULT_SYNTH;
  data
    .command('synth')
    .description('generate the built-in synthetic face set (LFW layout + official-format pair files); reused when already there')
    .option('--people <n>', `number of people (default ${d.people})`)
    .option('--per-person <m>', `images per person: a number, or lfw-like[:<max>] for LFW's skew (most people one image, a few up to <max>) (default ${describePerPerson(d.perPerson)})`)
    .option('--size <px>', `image side in pixels (default ${d.size})`)
    .option('--seed <x>', `integer seed (default ${d.seed})`)
    .option('--difficulty <d>', `per-photo variation scale, 0..2 (default ${d.difficulty})`)
    .option('--out <dir>', 'where to write the set (default <data home>/synth, data home = SIAMESE_DATA or data/)')
    .option('--force', 'regenerate even if an identical set is already there')
    .option('--check', 'afterwards, measure the raw-pixel baseline and the identity-signal check on held-out people')
    .action(async (opts: { people?: string; perPerson?: string; size?: string; seed?: string; difficulty?: string; out?: string; force?: boolean; check?: boolean }) => {
      const config: Partial<SynthConfig> = {
        people: intOption('--people', opts.people),
        perPerson: perPersonOption(opts.perPerson),
        size: intOption('--size', opts.size),
        seed: intOption('--seed', opts.seed),
        difficulty: numberOption('--difficulty', opts.difficulty),
      };
      const out = path.resolve(opts.out ?? path.join(dataHome(), 'synth'));
      const tty = process.stderr.isTTY === true;
      let lastLine = 0;
      const result = await ensureSynthetic(out, config, {
        force: opts.force,
        onProgress: (done, total) => {
          const now = Date.now();
          if (tty && (now - lastLine > 100 || done === total)) {
            process.stderr.write(`\rrendering ${done}/${total} images${done === total ? '\n' : ''}`);
            lastLine = now;
          }
        },
      });
      const m = result.manifest;
      const what = describeSet(m);
      console.log(result.generated
        ? `synthetic set generated in ${(result.ms / 1000).toFixed(1)} s: ${what}\n  ${result.root}`
        : `synthetic set already up to date (${path.join(result.root, 'synth.json')} matches): ${what}\n  ${result.root}\n  (use --force to regenerate)`);
      const p = m.pairFiles;
      const devTest = m.people.filter((x) => x.dev === 'test').length;
      console.log(`  pairsDevTrain.txt: ${p.pairsDevTrain} matched + ${p.pairsDevTrain} mismatched pairs (${m.people.length - devTest} people)`);
      console.log(`  pairsDevTest.txt:  ${p.pairsDevTest} matched + ${p.pairsDevTest} mismatched pairs (${devTest} other people)`);
      console.log(`  pairs.txt:         ${p.pairs.folds} person-disjoint folds x (${p.pairs.perFold} matched + ${p.pairs.perFold} mismatched)`);
      if (opts.check) {
        console.log('checking difficulty (threshold fitted on dev-train people, accuracy on held-out dev-test people)...');
        for (const crop of [1, 0.6]) {
          const r = await measureSynthDifficulty(result.root, { size: 32, crop });
          const where = crop === 1 ? 'whole image' : `central ${crop} crop`;
          console.log(`  ${where}, 32x32 RGB: raw-pixel Euclidean ${pct(r.rawPixel.testAccuracy)} | PCA+LDA on pixels ${pct(r.pixelLda?.testAccuracy ?? NaN)}` +
            ` | PCA+LDA on colour histograms ${pct(r.histogramLda?.testAccuracy ?? NaN)}  (${(r.ms / 1000).toFixed(1)} s)`);
        }
      }
    });
}
