/** `siamese verify a.jpg b.jpg` / `siamese verify --dir <dir>`: are these photos the same person? */
import type { Command } from 'commander';
import { initBackend } from '../../backend';
import { DEFAULT_VERIFY_MODEL, Verifier, folderSummary, folderTableRows, formatVerdict, textTable, parseFaceCrop } from '../../faces';
import { faceInputOptions, type FaceInputOptions } from './face-options';

interface VerifyOptions extends FaceInputOptions { dir?: string; timing?: boolean; threads?: string }

/** `--threads`: 1 or 2 (absent: the verifier's default). */
export function parseThreads(value: string | undefined): 1 | 2 | undefined {
  if (value === undefined) return undefined;
  if (value !== '1' && value !== '2') throw new Error(`--threads must be 1 or 2, got ${JSON.stringify(value)}`);
  return Number(value) as 1 | 2;
}

export function register(program: Command): void {
  const command = program
    .command('verify')
    .description('say whether two photos show the same person (face detection, alignment, a face-pretrained model and a threshold fitted on LFW View 1)')
    .argument('[a]', 'first photo')
    .argument('[b]', 'second photo')
    .option('--dir <dir>', 'folder mode: verify every pair of images in <dir>/<person>/*')
    .option('--timing', 'also print how long loading the networks and each pair took (ms)')
    .option('--threads <n>', 'threads that prepare photos: 2 (a helper thread takes every other photo) or 1 (default: 2 on a machine with two or more cores)');
  faceInputOptions(command, `embedding model (default ${DEFAULT_VERIFY_MODEL})`)
    .action(async (a: string | undefined, b: string | undefined, opts: VerifyOptions) => {
      if (!opts.dir && (!a || !b)) throw new Error('give two photos (siamese verify a.jpg b.jpg) or a folder (siamese verify --dir <dir>)');
      if (opts.dir && (a || b)) throw new Error('give either two photos or --dir, not both');
      const log = opts.json ? (s: string) => console.error(s) : (s: string) => console.log(s);
      await initBackend({ quiet: true });
      const t = performance.now();
      const verifier = await Verifier.create({ model: opts.model, aligned: opts.aligned, faceCheck: opts.faceCheck, crop: opts.crop ? parseFaceCrop(opts.crop, '--crop') : undefined, detect: opts.detector ? { detector: opts.detector as 'tiny' | 'ssd' } : {}, threads: parseThreads(opts.threads) });
      const loadMs = performance.now() - t;
      log(`loaded ${verifier.embedder.name}${opts.timing ? ` in ${loadMs.toFixed(0)} ms (networks read and warmed up; photos prepared on ${verifier.threads} thread${verifier.threads === 1 ? '' : 's'})` : ''}; threshold ${verifier.settings.threshold.toFixed(3)} fitted on ${verifier.settings.fittedOn}${opts.aligned ? "" : ` (${verifier.crop} crop)`}${opts.aligned ? '; --aligned: no face detection, images used as crops' : ''}`);
      if (opts.dir) {
        const started = performance.now();
        const { rows, problems } = await verifier.verifyFolder(opts.dir);
        const folderMs = performance.now() - started;
        const summary = folderSummary(rows);
        const warnings = [...new Set(rows.flatMap((r) => r.verdict.warnings))];
        if (opts.json) {
          console.log(JSON.stringify({ rows: folderTableRows(rows, opts.dir), summary, problems, warnings }, null, 2));
        } else {
          console.log(textTable(folderTableRows(rows, opts.dir)));
          console.log(`${summary.pairs} pairs: ${summary.decided} decided (${summary.right} right${summary.decided ? `, ${(100 * summary.accuracy).toFixed(1)} %` : ''}), ${summary.uncertain} uncertain, ${summary.noFace} without a face, ${summary.notAFace} not a face`);
          for (const p of problems) console.log(`skipped ${p}`);
          for (const w of warnings) console.log(`warning: ${w}`);
          if (opts.timing) console.log(`time: ${folderMs.toFixed(0)} ms for the folder (each photo prepared and described once, ${summary.pairs ? (folderMs / summary.pairs).toFixed(1) : '-'} ms per pair)`);
        }
        return;
      }
      const v = await verifier.verify(a!, b!);
      if (opts.json) console.log(JSON.stringify({ decision: v.decision, value: v.value, threshold: v.threshold, uncertainBand: v.uncertainBand, model: v.model, a: v.a.note, b: v.b.note, found: { a: v.a.found ?? null, b: v.b.found ?? null }, faceCheck: { a: v.a.faceCheck ?? null, b: v.b.faceCheck ?? null }, warnings: v.warnings, ms: v.ms }, null, 2));
      else console.log(formatVerdict(v, verifier.embedder.description, opts.timing).join('\n'));
      if (v.decision === 'no-face' || v.decision === 'not-a-face') process.exitCode = 2;
    });
}
