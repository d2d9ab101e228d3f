/**
 * Exact gallery search benchmark (issue 10): `npm run bench:search`.
 *
 * How long one `GalleryIndex.search` (lib/apps/retrieval.ts) takes as the gallery grows, with random
 * 128-d vectors (face-api's size; the default model's are 128-d too) and Euclidean distance: the cost the
 * retrieval module's doc comment quotes to say where exact search stops being fine. Each size: build the
 * index, one warm-up query, then `--queries` timed queries (top 5); prints ms per query (median and mean),
 * the ratio to the smallest size, and the memory the vectors take. Sizes beyond those run are extrapolated
 * in the doc comment, not here (exact search is linear in the gallery size).
 *
 * Options: --sizes 1000,10000,100000  --queries N  --dim D
 */
import { GalleryIndex } from '../lib/apps';
import { Rng } from '../lib/util';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const sizes = arg('sizes', '1000,10000,100000').split(',').map(Number);
const queries = Number(arg('queries', '50'));
const dim = Number(arg('dim', '128'));
const rng = new Rng(0);
const vector = (): number[] => Array.from({ length: dim }, () => rng.normal());

const rows: { faces: number; medianMs: number; meanMs: number; msPer1000: number; vectorsMiB: number }[] = [];
for (const n of sizes) {
  const index = new GalleryIndex(Array.from({ length: n }, (_, i) => ({ person: `p${i % 1000}`, file: `${i}.jpg`, embedding: vector() })), 'random');
  const qs = Array.from({ length: queries }, vector);
  index.search(qs[0], 5);
  const times = qs.map((q) => {
    const t = performance.now();
    index.search(q, 5);
    return performance.now() - t;
  }).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  rows.push({ faces: n, medianMs: median, meanMs: times.reduce((s, x) => s + x, 0) / times.length, msPer1000: (median / n) * 1000, vectorsMiB: (n * dim * 4) / 2 ** 20 });
}
console.log(`exact search, ${dim}-d, Euclidean, top 5, ${queries} queries per size (${new Date().toISOString().slice(0, 10)}, node ${process.version})`);
console.log('faces      median ms  mean ms  ms per 1000 faces  x smallest  vectors MiB');
for (const r of rows) {
  console.log(`${String(r.faces).padEnd(10)} ${r.medianMs.toFixed(2).padStart(9)}  ${r.meanMs.toFixed(2).padStart(7)}  ${r.msPer1000.toFixed(3).padStart(17)}  ${(r.medianMs / rows[0].medianMs).toFixed(1).padStart(10)}  ${r.vectorsMiB.toFixed(1).padStart(11)}`);
}
console.log(JSON.stringify({ bench: 'search', dim, queries, rows }));
