/**
 * Where `siamese verify`'s time goes, per photo and stage (issue 16):
 * `LFW_DIR=/path/to/lfw npx tsx bench/verify-profile.ts [--photos N]`.
 *
 * A `Verifier` as the CLI creates it; each photo (LFW originals, tight crops of them, generated non-faces:
 * bench/verify-cases.ts) is decoded (`readPhoto`), prepared (`prepareDecoded`: the detection cascade, the
 * landmarks, the face check, the chip) and described, and the wall time of each face-api network call is
 * added up by wrapping the networks' methods: tiny detection on the photo / on padded photos, SSD, the
 * 68-point landmark net, the descriptor. `other` is the rest of preparing (padding and scaling photos,
 * tensors in and out, the chip warp, the face check); the chip warp and the face check are also timed on
 * their own afterwards. Prints medians per stage for each set and one JSON line; no timing is asserted.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../lib/backend';
import { loadOfficialPairs } from '../lib/data';
import { checkLandmarks, cropFoundFace, embedCrops, faceApi, prepareDecoded, readPhoto, Verifier } from '../lib/faces';
import { writeCasePhotos, type CaseSet } from './verify-cases';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const median = (xs: readonly number[]): number => { if (!xs.length) return NaN; const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

type Stage = 'decode' | 'tiny' | 'tiny padded' | 'ssd' | 'ssd padded' | 'landmarks' | 'other' | 'chip warp' | 'face check' | 'descriptor' | 'total';
const STAGES: Stage[] = ['decode', 'tiny', 'tiny padded', 'ssd', 'ssd padded', 'landmarks', 'other', 'chip warp', 'face check', 'descriptor', 'total'];

let current: Record<Stage, number> | null = null;
const calls = { tiny: 0, ssd: 0, landmarks: 0 };

/** Wraps a method of a face-api network so its wall time is added to the current photo's stage. */
function wrap(obj: Record<string, unknown>, method: string, stage: (o: typeof calls) => Stage): void {
  const orig = obj[method] as (...a: unknown[]) => Promise<unknown>;
  obj[method] = async function (this: unknown, ...a: unknown[]): Promise<unknown> {
    const t = performance.now();
    try {
      return await orig.apply(this, a);
    } finally {
      if (current) current[stage(calls)] += performance.now() - t;
    }
  };
}

async function main(): Promise<void> {
  const root = process.env.LFW_DIR;
  if (!root) throw new Error('set LFW_DIR to an LFW folder');
  const n = Number(opt('photos', '20'));
  await initBackend({ quiet: true });
  const load0 = fs.readFileSync('/proc/loadavg', 'utf8').trim();
  let t = performance.now();
  const v = await Verifier.create();
  const createMs = performance.now() - t;
  const api = faceApi();
  const nets = api.nets as unknown as Record<string, Record<string, unknown>>;
  wrap(nets.tinyFaceDetector, 'locateFaces', (c) => (c.tiny++ === 0 ? 'tiny' : 'tiny padded'));
  wrap(nets.ssdMobilenetv1, 'locateFaces', (c) => (c.ssd++ === 0 ? 'ssd' : 'ssd padded'));
  wrap(nets.faceLandmark68Net, 'detectLandmarks', (c) => { c.landmarks++; return 'landmarks'; });
  wrap(nets.faceRecognitionNet, 'computeFaceDescriptor', () => 'descriptor');

  const list = await loadOfficialPairs('pairs');
  const lfw = [...new Set(list.pairs.flatMap((p) => [path.join(root, p.a.person, p.a.file), path.join(root, p.b.person, p.b.file)]))].slice(0, 4 * n);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-profile-'));
  const report: Record<string, unknown> = {};
  try {
    for (const set of ['tiny', 'padded', 'none'] as CaseSet[]) {
      // one extra photo first, untimed: the first SSD or padded shapes are a one-off per process
      const files = await writeCasePhotos(set, n + 1, dir, lfw.slice(set === 'tiny' ? 0 : 2 * n));
      const rows: Record<Stage, number>[] = [];
      const found: Record<string, number> = {};
      let landmarkCalls = 0;
      for (const [i, file] of files.entries()) {
        const row = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
        calls.tiny = 0; calls.ssd = 0; calls.landmarks = 0;
        current = row;
        const t0 = performance.now();
        t = t0;
        const photo = await readPhoto(file, v.detect.maxSide);
        row.decode = performance.now() - t;
        t = performance.now();
        const p = await prepareDecoded(file, photo, { size: v.embedder.inputSize, detect: v.detect, crop: v.crop, check: v.faceCheck });
        const prepMs = performance.now() - t;
        if (p.crop) await embedCrops(v.embedder, [p.crop]);
        row.total = performance.now() - t0;
        current = null;
        row.other = prepMs - row.tiny - row['tiny padded'] - row.ssd - row['ssd padded'] - row.landmarks;
        if (p.face) {
          t = performance.now();
          checkLandmarks(p.face.landmarks, v.faceCheck);
          row['face check'] = performance.now() - t;
          if (p.crop) {
            t = performance.now();
            await cropFoundFace(photo.image, p.face, v.embedder.inputSize, v.detect, v.crop, v.detect.rotate);
            row['chip warp'] = performance.now() - t;
          }
        }
        const key = `${p.status}${p.found ? ` (${p.found})` : ''}`;
        if (i === 0) continue;
        found[key] = (found[key] ?? 0) + 1;
        landmarkCalls += calls.landmarks;
        rows.push(row);
      }
      const med = Object.fromEntries(STAGES.map((s) => [s, Math.round(median(rows.map((r) => r[s])) * 10) / 10]));
      report[set] = { photos: rows.length, outcomes: found, landmarkCallsPerPhoto: landmarkCalls / rows.length, medianMs: med };
      console.log(`${set}: ${rows.length} photos, ${JSON.stringify(found)}, landmark-net calls per photo ${(landmarkCalls / rows.length).toFixed(2)}`);
      console.log(`  median ms: ${STAGES.map((s) => `${s} ${med[s].toFixed(1)}`).join(' | ')}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const load1 = fs.readFileSync('/proc/loadavg', 'utf8').trim();
  console.log(`create ${createMs.toFixed(0)} ms; loadavg before ${load0}, after ${load1}`);
  console.log(JSON.stringify({ date: new Date().toISOString(), createMs, loadavg: [load0, load1], report }));
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
