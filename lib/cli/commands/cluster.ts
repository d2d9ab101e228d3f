/** `siamese cluster <dir>`: group the faces in a folder by identity (agglomerative, at the verification threshold). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { clusterEmbeddings, clusterLines, clusterScores, embedFaces, metricOf, openFaceModel, readFaceFolder, type Linkage } from '../../apps';
import { initBackend } from '../../backend';
import { DEFAULT_VERIFY_MODEL, parseFaceCrop } from '../../faces';
import { faceInputOptions, type FaceInputOptions } from './face-options';
import { clusterGrid } from '../../viz';

interface ClusterOptions extends FaceInputOptions { threshold?: string; linkage: string; out?: string }

export function register(program: Command): void {
  const command = program
    .command('cluster')
    .description('group the faces in a folder by person (photos in <dir> or in <dir>/<person>/; with person folders it also scores the grouping)')
    .argument('<dir>', 'folder of photos')
    .option('--threshold <t>', 'merge groups closer than this (default: the model\'s verification threshold)')
    .option('--linkage <name>', 'complete (default: every pair in a cluster passes the threshold) or average', 'complete')
    .option('--out <file.png>', 'write an image grid, one row per cluster');
  faceInputOptions(command, `embedding model: ${DEFAULT_VERIFY_MODEL} (default, photos), or a trained preset such as default (needs --aligned)`)
    .action(async (dir: string, opts: ClusterOptions) => {
      const threshold = opts.threshold === undefined ? undefined : Number(opts.threshold);
      if (threshold !== undefined && !Number.isFinite(threshold)) throw new Error(`--threshold must be a number, got ${JSON.stringify(opts.threshold)}`);
      if (opts.linkage !== 'average' && opts.linkage !== 'complete') throw new Error(`--linkage must be average or complete, got ${JSON.stringify(opts.linkage)}`);
      const log = opts.json ? (s: string) => console.error(s) : (s: string) => console.log(s);
      const { faces, problems } = await readFaceFolder(dir);
      await initBackend({ quiet: true });
      const verifier = await openFaceModel(opts.model ?? DEFAULT_VERIFY_MODEL, { aligned: opts.aligned, faceCheck: opts.faceCheck, crop: opts.crop ? parseFaceCrop(opts.crop, '--crop') : undefined, detect: opts.detector ? { detector: opts.detector as 'tiny' | 'ssd' } : {} });
      const t = threshold ?? verifier.settings.threshold;
      log(`model ${verifier.embedder.name}; threshold ${t.toFixed(3)} (${threshold === undefined ? `verification threshold, fitted on ${verifier.settings.fittedOn}` : '--threshold'}), ${opts.linkage} linkage${opts.aligned ? '; --aligned: no face detection, images used as crops' : ''}`);
      const { embedded, skipped, warnings } = await embedFaces(verifier, faces);
      if (embedded.length === 0) throw new Error(`${path.resolve(dir)}: no face found in any of its ${faces.length} images:\n  ${skipped.join('\n  ')}`);
      const c = clusterEmbeddings(embedded.map((f) => f.embedding!), { threshold: t, linkage: opts.linkage as Linkage, metric: metricOf(verifier.embedder) });
      const labelled = embedded.every((f) => f.person !== null);
      const scores = labelled ? clusterScores(c.labels, embedded.map((f) => f.person!)) : null;
      const files = c.clusters.map((members) => members.map((i) => embedded[i].path));
      if (opts.out) {
        fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
        const grid = await clusterGrid(c.clusters.map((members) => ({ images: members.map((i) => embedded[i].crop!), persons: members.map((i) => embedded[i].person) })));
        fs.writeFileSync(opts.out, grid);
      }
      if (opts.json) {
        console.log(JSON.stringify({ model: verifier.embedder.name, threshold: t, linkage: opts.linkage, clusters: files, scores, skipped: [...problems, ...skipped], warnings }, null, 2));
        return;
      }
      console.log(`${embedded.length} faces in ${c.clusters.length} cluster${c.clusters.length === 1 ? "" : "s"}`);
      for (const line of clusterLines(files, path.resolve(dir))) console.log(line);
      if (scores) {
        console.log(`against the person folders (${scores.people} people): purity ${scores.purity.toFixed(3)}, pairwise precision ${scores.precision.toFixed(3)}, recall ${scores.recall.toFixed(3)}, F1 ${scores.f1.toFixed(3)}`);
      } else {
        console.log('no scores: the photos are not all in person folders');
      }
      if (opts.out) console.log(`grid: ${opts.out}`);
      for (const p of [...problems, ...skipped]) console.log(`skipped ${p}`);
      for (const w of warnings) console.log(`warning: ${w}`);
    });
}
