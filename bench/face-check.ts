/**
 * The face check and the detection cascade (issue 16 parts 2 and 3):
 * `LFW_DIR=/path/to/lfw npx tsx bench/face-check.ts [--people N] [--per-family M] [--fit-family landscapes] [--write]`.
 *
 * - Real faces: N LFW originals (one image each of N people drawn with a fixed seed) through the cascade, and N
 *   tight crops of other images (probe-images.ts `tightCropSpec`: 48-128 px, wide or tall, a third grey) as
 *   `--aligned` crops: misses per cascade pass, the landmark fit residual of each face found.
 * - Non-faces: M generated images of each family (probe-images.ts): whether the cascade fires on them, the
 *   residual when it does, and the residual of the landmark net forced onto the whole image.
 * - Fit: the threshold is fitted on ONE family (`--fit-family`) against the real faces: halfway between the
 *   faces' 99th-percentile residual and the family's smallest forced residual (the family's smallest when they
 *   overlap: a non-face must not pass). Every other family is held out and reported with the fitted threshold.
 * - Timing: ms per image when tiny finds the face at once vs when the cascade falls through to a padded or SSD pass.
 *
 * `--write` commits the threshold with how it was fitted to lib/faces/face-check.json. No number is asserted here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../lib/backend';
import type { DecodedImage } from '../lib/data/types';
import { detectFaces, readPhoto, type DetectConfig } from '../lib/faces';
import { chipTransform } from '../lib/faces/chip';
import { faceCheckFile, landmarksOfCrop } from '../lib/faces/face-check';
import { NON_FACE_FAMILIES, nonFaces, parseNonFaceFamily, tightCrop, tightCropSpec } from '../lib/faces/probe-images';
import { writeFileAtomicSafe } from '../lib/util/files';
import { createRng } from '../lib/util/rng';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const PEOPLE = Number(opt('people', '150'));
const PER_FAMILY = Number(opt('per-family', '20'));
const FIT = parseNonFaceFamily(opt('fit-family', 'landscapes'));
/** As `siamese verify` detects (the committed threshold's detector settings). */
const DETECT: Partial<DetectConfig> = { detector: 'tiny', tinyInputSize: 320, minScore: 0.3 };

interface Probe { kind: string; found: string; score: number | null; rms: number | null; forced: number | null; ms: number }

async function probe(kind: string, image: DecodedImage, forced: boolean): Promise<Probe> {
  const t = performance.now();
  const faces = await detectFaces(image, DETECT);
  const ms = performance.now() - t;
  return {
    kind, found: faces[0] ? `${faces[0].found}${faces[0].padMode === 'mean' ? '(mean)' : ''}` : 'none', ms, score: faces[0]?.score ?? null,
    rms: faces[0] ? chipTransform(faces[0].landmarks).rmsChipPixels : null,
    forced: forced ? chipTransform(await landmarksOfCrop(image)).rmsChipPixels : null,
  };
}

const quantile = (xs: number[], q: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * (s.length - 1) + 0.5)))]; };
const median = (xs: number[]): number => quantile(xs, 0.5);

/** Every probe: LFW originals and tight crops through the cascade, and each non-face family. */
async function runProbes(root: string): Promise<Probe[]> {
  const probes: Probe[] = [];
  const rng = createRng('bench:face-check');
  const people = rng.sample(fs.readdirSync(root).filter((p) => fs.statSync(path.join(root, p)).isDirectory()).sort(), 2 * PEOPLE);
  const tmp = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'face-check-'));
  for (const [i, person] of people.entries()) {
    const files = fs.readdirSync(path.join(root, person)).sort();
    const file = path.join(root, person, files[0]);
    if (i < PEOPLE) {
      probes.push(await probe('lfw', (await readPhoto(file)).image, false));
    } else {
      const out = path.join(tmp, `${person}.png`);
      fs.writeFileSync(out, await tightCrop(file, tightCropSpec(rng)));
      probes.push(await probe('tight', (await readPhoto(out)).image, false));
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const family of NON_FACE_FAMILIES) {
    for (const image of await nonFaces(family, PER_FAMILY, 'bench')) probes.push(await probe(family, image, true));
  }
  return probes;
}

async function main(): Promise<void> {
  const root = process.env.LFW_DIR;
  if (!root) throw new Error('set LFW_DIR to a real LFW folder (<Person>/<Person>_NNNN.jpg)');
  await initBackend({ quiet: true });
  const probes: Probe[] = opt('from', '') ? JSON.parse(fs.readFileSync(opt('from', ''), 'utf8')) as Probe[] : await runProbes(root);
  if (opt('dump', '')) fs.writeFileSync(opt('dump', ''), JSON.stringify(probes));
  const faces = probes.filter((p) => (p.kind === 'lfw' || p.kind === 'tight') && p.rms !== null).map((p) => p.rms!);
  const fitForced = probes.filter((p) => p.kind === FIT).map((p) => p.forced!);
  const p99 = quantile(faces, 0.99);
  const low = Math.min(...fitForced);
  const threshold = p99 < low ? (p99 + low) / 2 : low;
  const passes = (p: Probe): boolean => p.rms !== null && p.rms <= threshold;
  const rows: Record<string, unknown>[] = [];
  for (const kind of ['lfw', 'tight', ...NON_FACE_FAMILIES]) {
    const ps = probes.filter((p) => p.kind === kind);
    const by: Record<string, number> = {};
    for (const p of ps) by[p.found] = (by[p.found] ?? 0) + 1;
    const real = kind === 'lfw' || kind === 'tight';
    rows.push({
      kind, role: real ? 'face' : kind === FIT ? 'fit' : 'held out', n: ps.length, found: JSON.stringify(by),
      'no face': ps.filter((p) => p.found === 'none').length,
      'check right': `${ps.filter((p) => passes(p) === real).length}/${ps.length}`,
      ...(real ? {} : { 'forced rms min': Math.min(...ps.map((p) => p.forced!)).toFixed(1), 'forced rejected': `${ps.filter((p) => p.forced! > threshold).length}/${ps.length}` }),
      'rms median': ps.some((p) => p.rms !== null) ? median(ps.filter((p) => p.rms !== null).map((p) => p.rms!)).toFixed(2) : '-',
      'rms max': ps.some((p) => p.rms !== null) ? Math.max(...ps.filter((p) => p.rms !== null).map((p) => p.rms!)).toFixed(2) : '-',
      'ms median': median(ps.map((p) => p.ms)).toFixed(0),
    });
  }
  console.table(rows);
  const real = probes.filter((p) => p.kind === 'lfw' || p.kind === 'tight');
  const tinyMs = real.filter((p) => p.found === 'tiny').map((p) => p.ms);
  const laterMs = real.filter((p) => p.found !== 'tiny' && p.found !== 'none').map((p) => p.ms);
  const noneMs = probes.filter((p) => p.found === 'none').map((p) => p.ms);
  console.log(`detection ms per image (median): tiny at once ${median(tinyMs).toFixed(0)} (${tinyMs.length}), later pass ${laterMs.length ? median(laterMs).toFixed(0) : '-'} (${laterMs.length}), whole cascade without a face ${noneMs.length ? median(noneMs).toFixed(0) : '-'} (${noneMs.length})`);
  console.log(`threshold ${threshold.toFixed(2)} px: faces' 99th percentile ${p99.toFixed(2)}, ${FIT}'s smallest forced residual ${low.toFixed(2)}`);
  const summary = {
    threshold, fitFamily: FIT, facesP99: p99, fitFamilyMinForced: low, rows,
  };
  console.log(JSON.stringify(summary));
  if (args.includes('--write')) {
    const settings = {
      threshold,
      score: 'RMS residual (pixels of a 150 px dlib chip) of the similarity fit of the face\'s 68 landmarks to dlib\'s mean face; a face passes at or below the threshold, and only when the detection cascade found it',
      fittedOn: `non-face family "${FIT}" (${PER_FAMILY} images, lib/faces/probe-images.ts, landmark net forced onto the whole image) against ${faces.length} real LFW faces (${PEOPLE} originals and ${PEOPLE} tight crops, detection cascade)`,
      rule: 'halfway between the real faces\' 99th-percentile residual and the fit family\'s smallest residual (the smallest, if they overlap)',
      facesP99: p99,
      fitFamilyMinResidual: low,
      heldOut: rows.filter((r) => r.role === 'held out').map((r) => ({ family: r.kind, checkRight: r['check right'], forcedRejected: r['forced rejected'] })),
      faces: rows.filter((r) => r.role === 'face').map((r) => ({ kind: r.kind, checkRight: r['check right'], noFace: r['no face'] })),
      command: `LFW_DIR=<lfw> npx tsx bench/face-check.ts --people ${PEOPLE} --per-family ${PER_FAMILY} --fit-family ${FIT} --write`,
      fittedAt: new Date().toISOString().slice(0, 10),
    };
    writeFileAtomicSafe(faceCheckFile(), [`${JSON.stringify(settings, null, 2)}\n`]);
    console.log(`wrote ${faceCheckFile()}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
