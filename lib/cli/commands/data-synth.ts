/** `siamese data synth`: generate (or reuse) the built-in synthetic face set. */
import * as path from 'node:path';
import type { Command } from 'commander';
import { dataHome, DEFAULT_SYNTH, ensureSynthetic, type SynthConfig } from '../../data';
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

export function register(data: Command): void {
  const d = DEFAULT_SYNTH;
  data
    .command('synth')
    .description('generate the built-in synthetic face set (LFW layout + official-format pair files); reused when already there')
    .option('--people <n>', `number of people (default ${d.people})`)
    .option('--per-person <m>', `images per person (default ${d.perPerson})`)
    .option('--size <px>', `image side in pixels (default ${d.size})`)
    .option('--seed <x>', `integer seed (default ${d.seed})`)
    .option('--difficulty <d>', `per-photo variation scale, 0..2 (default ${d.difficulty})`)
    .option('--out <dir>', 'where to write the set (default <data home>/synth, data home = SIAMESE_DATA or data/)')
    .option('--force', 'regenerate even if an identical set is already there')
    .option('--check', 'afterwards, measure the raw-pixel baseline and the identity-signal check on held-out people')
    .action(async (opts: { people?: string; perPerson?: string; size?: string; seed?: string; difficulty?: string; out?: string; force?: boolean; check?: boolean }) => {
      const config: Partial<SynthConfig> = {
        people: intOption('--people', opts.people),
        perPerson: intOption('--per-person', opts.perPerson),
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
      const c = m.config;
      const what = `${c.people} people x ${c.perPerson} images, ${c.size} px, seed ${c.seed}, difficulty ${c.difficulty}`;
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
