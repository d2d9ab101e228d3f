/**
 * A cache of the recognition net's frozen trunk activations, one record per image, so fine-tuning the top
 * (lib/faces/recognition-net.ts) never runs detection or the 30-odd trunk convolutions again: a record
 * is 2 x 4,096 floats (the dlib chip and its mirror image), and an LFW fold then trains in minutes.
 *
 * Each image's face is found by the detection cascade `siamese verify` runs ({@link TRUNK_DETECT}); only
 * when it finds nothing is LFW's fixed chip used (an explicit, counted fallback): `found` says which pass
 * found it. The cache is a folder of shards (`index-<k>.jsonl` + `trunk-<k>.f32`), so several processes can
 * fill it at once and an interrupted fill resumes: a record's line is written after its floats, and a shard's
 * float file is cut back to the records its index lists when it is reopened.
 *
 * @see notebooks/06-test-evaluation.ipynb
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DecodedImage } from '../data/types';
import { readJsonLines } from '../util/files';
import { extractChip, lfwFixedChipFor } from './chip';
import { detectFaces, FOUND_BY, readPhoto, resolveDetect, type DetectConfig, type FoundBy } from './detect';
import { cropFoundFace } from './prepare-face';
import { checkOpen, openBlocks, RECOGNITION_INPUT, runBlocks, TRUNK_SHAPE, TRUNK_SIZE, trunkActivations, type OpenBlocks, type RecognitionNet } from './recognition-net';

/** Floats one record holds: the chip's trunk activations, then its mirror image's. */
export const TRUNK_RECORD = 2 * TRUNK_SIZE;

/** How an image's face was found: by a pass of the detection cascade, or by none (`fixed`: LFW's fixed chip, counted). */
export type TrunkFoundBy = FoundBy | 'fixed';

/** A count per way of finding the face, every key present. */
export function emptyFoundCounts(): Record<TrunkFoundBy, number> {
  return Object.fromEntries([...FOUND_BY, 'fixed'].map((k) => [k, 0])) as Record<TrunkFoundBy, number>;
}

/** One cached image. */
export interface TrunkRecord {
  /** `Name/Name_0001.jpg`. */
  readonly ref: string;
  readonly found: TrunkFoundBy;
  /** Faces the successful detector returned (0 for `fixed`). */
  readonly faces: number;
  readonly shard: number;
  /** Record number within its shard's float file. */
  readonly index: number;
}

/**
 * How each image's face is found: the detection cascade `siamese verify` runs (lib/faces/detect.ts: the tiny
 * detector at 320 px, then on the photo padded by 0.6 and 1 of its longer side, then SSD the same ways), with a
 * lower score floor, the contrast-equalised passes (`equalize`) and, when those find nothing, the rescue passes
 * at a score of 0.15 (`rescueScore`; LFW's photos all hold a face, so a non-face cannot be mistaken for one
 * here), and the face nearest the centre (LFW centres its person). Only when the cascade finds nothing is LFW's
 * fixed chip used, and counted (0 of 13,233 originals, 0 of 13,233 tight crops).
 */
export const TRUNK_DETECT: Readonly<Partial<DetectConfig>> = Object.freeze({
  detector: 'tiny', minScore: 0.3, ssdMinScore: 0.3, choose: 'central', minFaceSize: 20, equalize: true, rescueScore: 0.15, ssdWhenCovered: true,
  // the caches were filled before `minOnPhoto` existed (every LFW photo holds a face): kept as filled
  minOnPhoto: 0,
});

/** A trunk cache folder, opened for reading (and filling). */
/**
 * The folder name (under artifacts/faces) of an LFW trunk cache: the originals' (`lfw-trunk-2`), or a copy's
 * such as the tight crops' (`lfw-tight-trunk-2`). The "-2" caches cut a chip that reaches outside its photo
 * from the photo with a mirrored border ({@link cropFoundFace}, 2026-12-03), so a cache filled before, with
 * black there, is never mixed into one filled now.
 */
export function lfwTrunkDir(copy?: string, open = 0): string {
  const base = copy === undefined ? 'lfw-trunk-2' : `lfw-${copy}-trunk-2`;
  return checkOpen(open) ? `${base}-open${open}` : base;
}

/** The file in a cache folder that says which activations it holds (absent: the whole trunk's, `open` 0). */
const CACHE_META = 'cache.json';

export class TrunkCache {
  readonly records = new Map<string, TrunkRecord>();
  private readonly floats = new Map<number, Float32Array>();

  /**
   * How many of the trunk's last blocks the cached activations stop short of (lib/faces/recognition-net.ts
   * `OPEN_BLOCKS`): 0 for the trunk's output, 1 for conv256_2's input, 2 for conv256_1's.
   */
  readonly open: OpenBlocks;

  private constructor(readonly dir: string) {
    const meta = path.join(dir, CACHE_META);
    if (!fs.existsSync(meta)) { this.open = 0; return; }
    let value: { open?: unknown };
    try { value = JSON.parse(fs.readFileSync(meta, 'utf8')); } catch (err) { throw new Error(`${meta}: not JSON (${(err as Error).message})`); }
    if (typeof value?.open !== 'number') throw new Error(`${meta}: should hold {"open": 0, 1 or 2}`);
    this.open = checkOpen(value.open, meta);
  }

  /**
   * Opens a cache folder as {@link TrunkCache.open} does, first making it hold activations `open` blocks short of
   * the trunk's output: a new or empty folder is marked so; one that holds other activations is an error.
   */
  static declare(dir: string, open: number): TrunkCache {
    const want = checkOpen(open);
    fs.mkdirSync(dir, { recursive: true });
    const cache = TrunkCache.open(dir);
    if (cache.open === want) return cache;
    if (cache.records.size) throw new Error(`${dir} holds activations ${cache.open} block(s) short of the trunk's output, not ${want}: use another folder`);
    fs.writeFileSync(path.join(dir, CACHE_META), `${JSON.stringify({ open: want })}\n`);
    return TrunkCache.open(dir);
  }

  /**
   * Opens a cache folder (a missing one is an empty cache) and reads every shard's index; an image listed twice
   * in its shard (redone: {@link fillTrunkCache}'s `redo`) stands for its later line. Errors name the file and line.
   */
  static open(dir: string): TrunkCache {
    const cache = new TrunkCache(dir);
    if (!fs.existsSync(dir)) return cache;
    for (const name of fs.readdirSync(dir).filter((n) => /^index-\d+\.jsonl$/.test(n)).sort()) {
      const shard = Number(name.slice(6, -6));
      const file = path.join(dir, name);
      // the last line may be half-written by an interrupted fill
      for (const { value: r, line } of readJsonLines<TrunkRecord>(file, { partialLast: true })) {
        if (typeof r.ref !== 'string' || !Number.isInteger(r.index) || r.shard !== shard) throw new Error(`${file}:${line}: not a trunk-cache record`);
        cache.records.set(r.ref, r);
      }
    }
    return cache;
  }

  private shardFloats(shard: number): Float32Array {
    let f = this.floats.get(shard);
    if (!f) {
      const file = path.join(this.dir, `trunk-${shard}.f32`);
      const buf = fs.readFileSync(file);
      f = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      this.floats.set(shard, f);
    }
    return f;
  }

  /** The record's floats (chip, then mirror), a view into the shard's file. */
  activations(ref: string): Float32Array {
    const r = this.records.get(ref);
    if (!r) throw new Error(`${this.dir}: ${ref} is not in the trunk cache`);
    const f = this.shardFloats(r.shard);
    if ((r.index + 1) * TRUNK_RECORD > f.length) throw new Error(`${this.dir}/trunk-${r.shard}.f32 is shorter than its index says (record ${r.index} of ${ref})`);
    return f.subarray(r.index * TRUNK_RECORD, (r.index + 1) * TRUNK_RECORD);
  }
}

/** What {@link fillTrunkCache} did. */
export interface FillResult {
  readonly added: number;
  readonly found: Record<TrunkFoundBy, number>;
  readonly errors: readonly string[];
}

/**
 * Opens shard `shard` of `cache` for appending: its next record number, and its float and index files. Floats
 * written after the last indexed record belong to an interrupted image and are cut off first.
 */
function appendToShard(cache: TrunkCache, shard: number): { next: number; floatsFd: number; indexFd: number } {
  const floatFile = path.join(cache.dir, `trunk-${shard}.f32`);
  const next = [...cache.records.values()].filter((r) => r.shard === shard).reduce((m, r) => Math.max(m, r.index + 1), 0);
  if (fs.existsSync(floatFile) && fs.statSync(floatFile).size > next * TRUNK_RECORD * 4) fs.truncateSync(floatFile, next * TRUNK_RECORD * 4);
  return { next, floatsFd: fs.openSync(floatFile, 'a'), indexFd: fs.openSync(path.join(cache.dir, `index-${shard}.jsonl`), 'a') };
}

/**
 * Adds the missing images of `refs` (paths under `root`) to shard `shard` of the cache in `dir`. Unreadable
 * images are reported in `errors` and skipped. `onProgress` is called after each image.
 *
 * `redo` picks records of this shard to compute again (e.g. those a cascade without its rescue passes left to
 * the fixed chip: `(r) => r.found === 'fixed'`): the new record is appended to the same shard, and a later line
 * of an index stands for its image. Records of other shards are redone by filling their own shard.
 * @see notebooks/06-test-evaluation.ipynb
 */
export async function fillTrunkCache(net: RecognitionNet, root: string, refs: readonly string[], dir: string, shard = 0,
  onProgress?: (done: number, total: number) => void, redo?: (record: TrunkRecord) => boolean): Promise<FillResult> {
  fs.mkdirSync(dir, { recursive: true });
  const cache = TrunkCache.open(dir);
  const open = cache.open;
  const todo = refs.filter((r) => {
    const rec = cache.records.get(r);
    return !rec || (redo !== undefined && rec.shard === shard && redo(rec));
  });
  const found = emptyFoundCounts();
  const errors: string[] = [];
  const { next: first, floatsFd, indexFd } = appendToShard(cache, shard);
  let next = first;
  try {
    for (let i = 0; i < todo.length; i++) {
      const ref = todo[i];
      let image: DecodedImage;
      try {
        ({ image } = await readPhoto(path.join(root, ref), 800));
      } catch (err) {
        errors.push(`${path.join(root, ref)}: ${(err as Error).message}`);
        continue;
      }
      let by: TrunkFoundBy = 'fixed';
      let faces = 0;
      let chip: { readonly data: DecodedImage['data'] } | undefined;
      const list = await detectFaces(image, TRUNK_DETECT);
      if (list.length) {
        by = list[0].found;
        faces = list.length;
        // a face found only in the padded photo: its chip is cut from the photo padded the same way
        chip = await cropFoundFace(image, list[0], RECOGNITION_INPUT, resolveDetect(TRUNK_DETECT), 'chip');
      }
      const pixels = (chip ?? extractChip(image, lfwFixedChipFor(image.width), RECOGNITION_INPUT)).data;
      const values = tf.tidy(() => {
        const t = tf.tensor4d(pixels, [1, RECOGNITION_INPUT, RECOGNITION_INPUT, 3], 'int32');
        return trunkActivations(net, tf.concat([t, tf.reverse(t, 2)]), open);
      });
      const data = values.dataSync() as Float32Array;
      values.dispose();
      fs.writeSync(floatsFd, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      const record: TrunkRecord = { ref, found: by, faces, shard, index: next++ };
      fs.writeSync(indexFd, `${JSON.stringify(record)}\n`);
      found[by]++;
      onProgress?.(i + 1, todo.length);
    }
  } finally {
    fs.closeSync(floatsFd);
    fs.closeSync(indexFd);
  }
  return { added: Object.values(found).reduce((a, b) => a + b, 0), found, errors };
}

/**
 * Makes the cache in `dir` from `source` by running the trunk's next blocks (those between `source.open` and
 * `open`, with the net's weights) over every record, chip and mirror: a cache `open` blocks short of the trunk's
 * output, with the same records (shards, order, how each face was found). Done in seconds where a fill detects
 * and describes every photo again. Resumes: records already in `dir` are kept.
 * @see notebooks/06-test-evaluation.ipynb
 */
export function deriveTrunkCache(net: RecognitionNet, source: TrunkCache, open: number, dir: string, batch = 256): { added: number } {
  if (checkOpen(open) > source.open) throw new RangeError(`${source.dir} stops ${source.open} block(s) short of the trunk's output: a cache ${open} short cannot be made from it`);
  const blocks = openBlocks(net, source.open).slice(0, source.open - open);
  const cache = TrunkCache.declare(dir, open);
  let added = 0;
  const byShard = new Map<number, TrunkRecord[]>();
  for (const r of source.records.values()) {
    if (cache.records.has(r.ref)) continue;
    const list = byShard.get(r.shard);
    if (list) list.push(r); else byShard.set(r.shard, [r]);
  }
  for (const [shard, todo] of byShard) {
    todo.sort((a, b) => a.index - b.index);
    const { next: first, floatsFd, indexFd } = appendToShard(cache, shard);
    let next = first;
    try {
      for (let i = 0; i < todo.length; i += batch) {
        const part = todo.slice(i, i + batch);
        const buf = new Float32Array(part.length * TRUNK_RECORD);
        part.forEach((r, k) => buf.set(source.activations(r.ref), k * TRUNK_RECORD));
        const out = tf.tidy(() => runBlocks(blocks, tf.tensor4d(buf, [2 * part.length, ...TRUNK_SHAPE])));
        const data = out.dataSync() as Float32Array;
        out.dispose();
        fs.writeSync(floatsFd, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
        fs.writeSync(indexFd, part.map((r) => `${JSON.stringify({ ...r, shard, index: next++ })}\n`).join(''));
        added += part.length;
      }
    } finally {
      fs.closeSync(floatsFd);
      fs.closeSync(indexFd);
    }
  }
  return { added };
}
