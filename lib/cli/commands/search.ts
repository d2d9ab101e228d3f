/** `siamese search --gallery <dir> query.jpg`: the gallery faces closest to the face in one photo. */
import type { Command } from 'commander';
import { indexGalleryFolder, openFaceModel, searchRows } from '../../apps';
import { initBackend } from '../../backend';
import { DEFAULT_VERIFY_MODEL, textTable, parseFaceCrop } from '../../faces';
import { faceInputOptions, type FaceInputOptions } from './face-options';

interface SearchOptions extends FaceInputOptions { gallery?: string; k: string }

export function register(program: Command): void {
  const command = program
    .command('search')
    .description('find the gallery faces closest to the face in a photo (exact search with the model\'s verification distance; the gallery is <dir>/<person>/*)')
    .argument('<query>', 'photo of the person to look for')
    .requiredOption('--gallery <dir>', 'gallery folder: one subfolder of photos per person')
    .option('--k <n>', 'how many faces to return', '5');
  faceInputOptions(command, `embedding model: ${DEFAULT_VERIFY_MODEL} (default, photos), or a trained preset such as default (needs --aligned)`)
    .action(async (query: string, opts: SearchOptions) => {
      const k = Number(opts.k);
      if (!Number.isInteger(k) || k < 1) throw new Error(`--k must be a positive integer, got ${JSON.stringify(opts.k)}`);
      const log = opts.json ? (s: string) => console.error(s) : (s: string) => console.log(s);
      await initBackend({ quiet: true });
      const t = performance.now();
      const verifier = await openFaceModel(opts.model ?? DEFAULT_VERIFY_MODEL, { aligned: opts.aligned, faceCheck: opts.faceCheck, crop: opts.crop ? parseFaceCrop(opts.crop, '--crop') : undefined, detect: opts.detector ? { detector: opts.detector as 'tiny' | 'ssd' } : {} });
      const s = verifier.settings;
      log(`loaded ${verifier.embedder.name} in ${(performance.now() - t).toFixed(0)} ms; threshold ${s.threshold.toFixed(3)} fitted on ${s.fittedOn}${opts.aligned ? '; --aligned: no face detection, images used as crops' : ''}`);
      // the query first: an unreadable photo or one without a face fails before the gallery is embedded
      const q = await verifier.embedFile(query);
      if (!q.embedding) {
        log(q.status === 'not-a-face' ? `query ${query}: NO ANSWER: ${q.note}` : `query ${query}: NO ANSWER: no face found${opts.aligned ? '' : ' (use --aligned if the images are already face crops)'}`);
        process.exitCode = 2;
        return;
      }
      const ti = performance.now();
      const { index, skipped, warnings: galleryWarnings } = await indexGalleryFolder(verifier, opts.gallery!);
      const warnings = [...q.warnings, ...galleryWarnings];
      log(`gallery ${opts.gallery}: ${index.size} faces of ${index.people.length} people indexed in ${((performance.now() - ti) / 1000).toFixed(1)} s (exact search, ${index.metric.name})`);
      const ts = performance.now();
      const hits = index.search(q.embedding, k, { model: verifier.embedder.name });
      const ms = performance.now() - ts;
      const rows = searchRows(hits, s, opts.gallery!);
      if (opts.json) {
        console.log(JSON.stringify({ model: verifier.embedder.name, threshold: s.threshold, indexSize: index.size, query: { file: query, note: q.note }, hits: rows, skipped, warnings }, null, 2));
        return;
      }
      console.log(`query ${query}: ${q.note}`);
      console.log(textTable(rows));
      console.log(`top ${hits.length} of ${index.size} faces in ${ms.toFixed(2)} ms; verdict = what \`siamese verify\` would say for the query and that face`);
      for (const p of skipped) console.log(`skipped ${p}`);
      for (const w of warnings) console.log(`warning: ${w}`);
    });
}
