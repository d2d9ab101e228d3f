/**
 * Zero-shot LFW benchmark of the face-api descriptor (and the source of `lib/faces/verify-threshold.json`).
 *
 *   LFW_DIR=/path/to/lfw npx tsx bench/lfw-face-api.ts [--variants square,rotate,native,chip] [--only view1] [--limit N] [--write]
 *
 * For every image used by View 1 (pairsDevTrain, pairsDevTest) and View 2 (pairs.txt): find the face
 * (Tiny Face Detector, the most central face; LFW's centre when none is found), locate its 68 landmarks,
 * and describe it with each crop variant: `square` (the aligned box widened to a square, as `siamese
 * verify` does), `rotate` (the same, eyes levelled), `native` (face-api's own crop: the aligned box padded
 * black to a square), `chip` (dlib's face chip from all 68 landmarks, lib/faces/chip.ts; LFW's fixed chip when
 * no face is found), `chip+mirror` (the mean of the chip's and its mirror image's descriptors). `--only view1` describes only the images View 1 uses. Descriptors are appended to artifacts/eval/lfw-face-api.jsonl, so an interrupted run
 * resumes (`--no-embed`: only report from what is there). Then it reports, per variant: View 1 (threshold fitted on pairsDevTrain, tested on
 * pairsDevTest) and View 2 (10 folds, threshold fitted on 9). `--write` stores the View 1 threshold and uncertain
 * band of the `chip+mirror` variant (entry `face-api`, what `siamese verify` uses, with `mirror: true`) and of
 * `square` (`face-api:box`) in lib/faces/verify-threshold.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { loadOfficialPairs, refKey } from '../lib/data';
import type { DecodedImage, ImageRef, PairList } from '../lib/data/types';
import { auc, crossValidate, accuracyAt, bestThreshold, fitUncertainBand, tarAtFar } from '../lib/eval';
import { verifySettingsKey, writeVerifyModel } from '../lib/faces';
import { cropBox, detectFaces, readPhoto, squareAround } from '../lib/faces/detect';
import { loadFaceApi } from '../lib/faces/face-api';
import { chipTransform, extractChip, lfwFixedChipFor } from '../lib/faces/chip';
import { euclideanDistance } from '../lib/distances';
import { artifactsDir } from '../lib/util';
import { readJsonLines } from '../lib/util/files';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const VARIANTS = (opt('variants') ?? 'square,native').split(',');
const LIMIT = Number(opt('limit') ?? Infinity);
const DETECT = { detector: 'tiny' as const, tinyInputSize: 320, minScore: 0.3, choose: 'central' as const, minFaceSize: 20 };
const FALLBACK = { left: 0.3, top: 0.3, width: 0.4, height: 0.4 };

interface Row { ref: string; status: string; faces: number; [variant: string]: unknown }

async function main(): Promise<void> {
  const root = process.env.LFW_DIR;
  if (!root) throw new Error('set LFW_DIR to an LFW folder (<root>/<Name>/<Name>_0001.jpg)');
  await initBackend();
  const api = await loadFaceApi(['tiny', 'landmarks', 'recognition']);
  const lists: Record<string, PairList> = {
    pairsDevTrain: await loadOfficialPairs('pairsDevTrain'), pairsDevTest: await loadOfficialPairs('pairsDevTest'), pairs: await loadOfficialPairs('pairs'),
  };
  const refs = new Map<string, ImageRef>();
  const used = opt('only') === 'view1' ? [lists.pairsDevTrain, lists.pairsDevTest] : Object.values(lists);
  for (const l of used) for (const p of l.pairs) for (const r of [p.a, p.b]) refs.set(refKey(r), r);
  const outFile = artifactsDir('eval', 'lfw-face-api.jsonl');
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const done = new Map<string, Row>();
  if (fs.existsSync(outFile)) {
    // only the last line may be half-written (another run appending); anything else is an error
    for (const { value: r } of readJsonLines<Row>(outFile, { partialLast: true })) done.set(r.ref, { ...(done.get(r.ref) ?? {}), ...r });
  }
  const embed = !args.includes('--no-embed');
  const todo = embed ? [...refs.keys()].filter((k) => !done.has(k) || VARIANTS.some((v) => !(v in done.get(k)!))).slice(0, LIMIT) : [];
  console.log(`${refs.size} images, ${todo.length} to describe (variants ${VARIANTS.join(', ')}) -> ${outFile}`);
  const out = fs.openSync(outFile, 'a');
  const started = Date.now();
  for (let i = 0; i < todo.length; i++) {
    const key = todo[i];
    let image: DecodedImage;
    try {
      ({ image } = await readPhoto(path.join(root, key), 800));
    } catch (err) {
      // recorded, not fatal: the pairs using this image are reported as missing
      console.error(`  skipped ${key}: ${(err as Error).message}`);
      fs.writeSync(out, `${JSON.stringify({ ref: key, status: 'error', error: (err as Error).message })}\n`);
      continue;
    }
    const faces = await detectFaces(image, DETECT);
    const face = faces[0];
    const row: Row = { ref: key, status: face ? 'face' : 'fallback', faces: faces.length };
    const box = face ? face.cropBox : { left: FALLBACK.left * image.width, top: FALLBACK.top * image.height, width: FALLBACK.width * image.width, height: FALLBACK.height * image.height };
    for (const v of VARIANTS) {
      let desc: Float32Array;
      if (v === 'native') {
        // face-api's own crop: the aligned (not squared) box, clipped to the image; the net pads it black to a square
        const a = face ? face.alignedBox : box;
        const x0 = Math.max(0, Math.floor(a.left)); const y0 = Math.max(0, Math.floor(a.top));
        const x1 = Math.min(image.width, Math.ceil(a.left + a.width)); const y1 = Math.min(image.height, Math.ceil(a.top + a.height));
        const t = tf.tidy(() => tf.tensor3d(image.data, [image.height, image.width, 3], 'int32').slice([y0, x0, 0], [y1 - y0, x1 - x0, 3]).expandDims(0) as tf.Tensor4D);
        desc = (await api.nets.faceRecognitionNet.computeFaceDescriptor(t)) as Float32Array;
        t.dispose();
      } else if (v === 'chip' || v === 'chip+mirror') {
        const toPhoto = face ? chipTransform(face.landmarks).toPhoto : lfwFixedChipFor(image.width);
        const chip = extractChip(image, toPhoto, 150);
        const t = tf.tensor4d(chip.data, [1, 150, 150, 3], 'int32');
        desc = (await api.nets.faceRecognitionNet.computeFaceDescriptor(t)) as Float32Array;
        if (v === 'chip+mirror') {
          // the mean of the chip's and its mirror image's descriptors, as faceApiEmbedder({ mirror: true }) makes it
          const m = tf.reverse(t, 2) as tf.Tensor4D;
          const md = (await api.nets.faceRecognitionNet.computeFaceDescriptor(m)) as Float32Array;
          m.dispose();
          desc = Float32Array.from(desc, (d, j) => (d + md[j]) / 2);
        }
        t.dispose();
      } else {
        const crop = cropBox(image, squareAround(box), 150, v === 'rotate' && face ? face.roll : 0);
        const t = tf.tensor4d(crop.data, [1, 150, 150, 3], 'int32');
        desc = (await api.nets.faceRecognitionNet.computeFaceDescriptor(t)) as Float32Array;
        t.dispose();
      }
      row[v] = Array.from(desc, (d) => Math.round(d * 1e5) / 1e5);
    }
    const prev = done.get(key);
    const merged = { ...(prev ?? {}), ...row };
    done.set(key, merged);
    fs.writeSync(out, `${JSON.stringify(merged)}\n`);
    if ((i + 1) % 200 === 0) console.log(`  ${i + 1}/${todo.length} (${((Date.now() - started) / (i + 1)).toFixed(0)} ms/image)`);
  }
  fs.closeSync(out);
  const noFace = [...done.values()].filter((r) => r.status !== 'face').length;
  console.log(`described ${done.size} images; ${noFace} without a detected face (LFW centre used)`);
  const report: Record<string, unknown> = {};
  for (const v of VARIANTS) {
    const values = (l: PairList): number[] | null => {
      const out: number[] = [];
      for (const p of l.pairs) {
        const a = done.get(refKey(p.a))?.[v] as number[] | undefined;
        const b = done.get(refKey(p.b))?.[v] as number[] | undefined;
        if (!a || !b) return null;
        out.push(euclideanDistance(a, b));
      }
      return out;
    };
    const dir = { higherIsCloser: false };
    const tr = values(lists.pairsDevTrain);
    const te = values(lists.pairsDevTest);
    const v2 = values(lists.pairs);
    const y = (l: PairList) => l.pairs.map((p) => p.isSame);
    const r: Record<string, unknown> = {};
    if (tr) {
      const fit = bestThreshold(tr, y(lists.pairsDevTrain), dir);
      r.view1 = { threshold: fit.threshold, trainAccuracy: fit.accuracy, trainAuc: auc(tr, y(lists.pairsDevTrain), dir),
        ...(te ? { testAccuracy: accuracyAt(te, y(lists.pairsDevTest), fit.threshold, dir), testAuc: auc(te, y(lists.pairsDevTest), dir) } : {}) };
      const writes: Record<string, { key: string; cropKind: 'chip' | 'box'; crop: string }> = {
        square: { key: verifySettingsKey('face-api', 'box'), cropKind: 'box', crop: 'landmark-aligned box widened to a square, 150 px' },
        'chip+mirror': { key: verifySettingsKey('face-api', 'chip'), cropKind: 'chip', crop: "dlib's face chip: similarity fit of 33 of the 68 landmarks to dlib's mean face, 150 px, padding 0.25; the descriptor is the mean of the chip's and its mirror image's" },
      };
      if (writes[v] && args.includes('--write')) {
        const band = fitUncertainBand(tr, y(lists.pairsDevTrain), fit.threshold, dir);
        const file = writeVerifyModel(writes[v].key, {
          cropKind: writes[v].cropKind, ...(v === 'chip+mirror' ? { mirror: true } : {}), threshold: fit.threshold, uncertainBand: band.halfWidth, higherIsCloser: false,
          fittedOn: `LFW View 1 pairsDevTrain (${tr.length} pairs), original LFW images`,
          detect: DETECT, crop: writes[v].crop, noFaceFallback: v !== 'square' ? 'LFW fixed chip (lib/faces/chip.ts LFW_FIXED_CHIP)' : FALLBACK,
          view1: r.view1, band, command: `LFW_DIR=<lfw> npx tsx bench/lfw-face-api.ts --variants ${v} --only view1 --write`, fittedAt: new Date().toISOString().slice(0, 10),
        });
        console.log(`wrote ${writes[v].key} to ${file}`);
      }
    }
    if (v2) {
      const yy = y(lists.pairs);
      const cv = crossValidate(v2, yy, lists.pairs.folds, dir);
      r.view2 = { mean: cv.mean, stdError: cv.stdError, auc: auc(v2, yy, dir), tarAtFar1e3: tarAtFar(v2, yy, 1e-3, dir).tar, thresholds: cv.folds.map((f) => f.threshold) };
    }
    report[v] = r;
  }
  console.log(JSON.stringify(report, null, 2));
  fs.writeFileSync(artifactsDir('eval', 'lfw-face-api-report.json'), JSON.stringify({ noFace, images: done.size, report }, null, 2));
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
