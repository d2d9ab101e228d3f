/**
 * The on-disk decoded-image cache: a second epoch or a rerun never decodes the JPEGs again.
 *
 * An entry is keyed by (absolute path, modification time, byte size, output size, channels, crop, decoder
 * version), hashed with SHA-256; editing or replacing a file, or changing any load option, gives a new key.
 * Each entry is one small file `<dir>/<2 hex>/<hash>.px`: a 16-byte header (magic, width, height, channels)
 * then the raw 8-bit pixels. Entries are written to a temporary name and renamed, so a crash never leaves
 * a half-written entry; an unreadable entry is decoded again and replaced.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { decodeImage, loadOptionsKey, resolveLoadOptions, MAX_INPUT_PIXELS, type LoadOptions } from './image';
import { decodeCacheDir } from './paths';
import type { Channels, DecodedImage } from './types';

const MAGIC = 0x53504331; // "SPC1"
const HEADER_BYTES = 16;

/** Hit and miss counts of a {@link DecodeCache}. */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Entries that existed but were unreadable and were rebuilt. */
  repaired: number;
}

/** A decoded-image cache in one folder. */
export class DecodeCache {
  readonly dir: string;
  readonly stats: CacheStats = { hits: 0, misses: 0, repaired: 0 };
  private seq = 0;

  /** @param dir the cache folder (default `<data home>/cache/decoded`); created on first write. */
  constructor(dir: string = decodeCacheDir()) {
    this.dir = path.resolve(dir);
  }

  /** The cache key for `file` (already stat-ed) decoded with `opts`. */
  static key(absFile: string, stat: { mtimeMs: number; size: number }, opts: LoadOptions): string {
    return createHash('sha256')
      .update(`${absFile}\0${Math.round(stat.mtimeMs)}\0${stat.size}\0${loadOptionsKey(opts)}`)
      .digest('hex');
  }

  private entryPath(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.px`);
  }

  /** Loads `file` decoded with `options`, from the cache when possible, decoding and storing it otherwise. */
  async load(file: string, options: Partial<LoadOptions> = {}, maxPixels = MAX_INPUT_PIXELS): Promise<DecodedImage> {
    const opts = resolveLoadOptions(options);
    let real: string;
    let stat: { mtimeMs: number; size: number };
    try {
      real = path.resolve(file);
      stat = await fs.stat(real);
    } catch {
      return decodeImage(file, opts, maxPixels); // gives the proper "cannot read" error
    }
    const key = DecodeCache.key(real, stat, opts);
    const entry = this.entryPath(key);
    const cached = await this.read(entry, opts);
    if (cached) {
      this.stats.hits++;
      return cached;
    }
    const img = await decodeImage(file, opts, maxPixels);
    this.stats.misses++;
    await this.write(entry, img);
    return img;
  }

  private async read(entry: string, opts: LoadOptions): Promise<DecodedImage | null> {
    let buf: Buffer;
    try {
      buf = await fs.readFile(entry);
    } catch {
      return null;
    }
    const ok = buf.length >= HEADER_BYTES && buf.readUInt32LE(0) === MAGIC;
    const width = ok ? buf.readUInt32LE(4) : 0;
    const height = ok ? buf.readUInt32LE(8) : 0;
    const channels = ok ? buf.readUInt32LE(12) : 0;
    if (!ok || width !== opts.size || height !== opts.size || channels !== opts.channels ||
        buf.length !== HEADER_BYTES + width * height * channels) {
      this.stats.repaired++;
      return null;
    }
    const data = new Uint8Array(buf.buffer, buf.byteOffset + HEADER_BYTES, width * height * channels);
    return { data, width, height, channels: channels as Channels };
  }

  private async write(entry: string, img: DecodedImage): Promise<void> {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(img.width, 4);
    header.writeUInt32LE(img.height, 8);
    header.writeUInt32LE(img.channels, 12);
    const tmp = `${entry}.${process.pid}.${++this.seq}.tmp`;
    try {
      await fs.mkdir(path.dirname(entry), { recursive: true });
      await fs.writeFile(tmp, Buffer.concat([header, img.data]));
      await fs.rename(tmp, entry);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      // A cache that cannot be written (read-only disk, full disk) only costs speed: say so once.
      if (!this.warned) {
        this.warned = true;
        console.warn(`decode cache: cannot write to ${this.dir} (${(err as Error).message}); continuing without caching`);
      }
    }
  }

  private warned = false;

  /** Deletes every entry. */
  async clear(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  /** Number of entries and bytes on disk. */
  async size(): Promise<{ entries: number; bytes: number }> {
    let entries = 0;
    let bytes = 0;
    let shards: string[];
    try {
      shards = await fs.readdir(this.dir);
    } catch {
      return { entries, bytes };
    }
    for (const shard of shards) {
      const names = await fs.readdir(path.join(this.dir, shard)).catch(() => [] as string[]);
      for (const name of names) {
        if (!name.endsWith('.px')) continue;
        entries++;
        bytes += (await fs.stat(path.join(this.dir, shard, name))).size;
      }
    }
    return { entries, bytes };
  }
}

/**
 * Decoded images kept in memory for as long as the object lives (a pipeline's producer: one training run), up to a
 * byte budget, first come first kept (no eviction, so which images stay does not depend on timing). A hit costs no
 * file access at all: an epoch of the default experiment read its 5,952 images from the on-disk cache in 1.0–1.5 s of
 * CPU (11–16 ms a batch of 64), the producer's thread's time taken from the two training threads. Files changed while it lives are not read
 * again. Misses go to `load` (the on-disk {@link DecodeCache} or a plain decode).
 */
export class MemoryDecodeCache {
  readonly stats = { hits: 0, misses: 0 };
  private readonly images = new Map<string, DecodedImage>();
  private used = 0;

  /** @param budgetBytes pixels kept at most, in bytes (0: none). */
  constructor(readonly budgetBytes: number) {
    if (!Number.isFinite(budgetBytes) || budgetBytes < 0) throw new RangeError(`MemoryDecodeCache: the budget must be a byte count >= 0, got ${budgetBytes}`);
  }

  /** Bytes of pixels held. */
  get bytes(): number {
    return this.used;
  }

  /** `file` decoded with `opts`, from memory when held, else from `load` (kept if the budget allows). */
  async load(file: string, opts: LoadOptions, load: () => Promise<DecodedImage>): Promise<DecodedImage> {
    const key = `${file}\0${loadOptionsKey(opts)}`;
    const held = this.images.get(key);
    if (held) {
      this.stats.hits++;
      return held;
    }
    const img = await load();
    this.stats.misses++;
    if (this.used + img.data.byteLength <= this.budgetBytes && !this.images.has(key)) {
      const data = img.data.slice(); // its own buffer: not a view that pins a larger one
      this.images.set(key, { ...img, data });
      this.used += data.byteLength;
    }
    return img;
  }
}

/**
 * The memory budget of a pipeline's decoded images, in bytes (`SIAMESE_PIPELINE_MEMORY_MB`, in MiB, default 256: all
 * 13,233 LFW images take 155 MiB at 64 px and 349 MiB at 96 px, where the first 256 MiB of them stay; 0 turns it off).
 * Each pipeline's producer has its own.
 */
export function pipelineMemoryBudget(value: string | undefined = process.env.SIAMESE_PIPELINE_MEMORY_MB): number {
  const v = (value ?? '').trim();
  if (v === '') return 256 * 2 ** 20;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`SIAMESE_PIPELINE_MEMORY_MB=${JSON.stringify(value)}: use a number of megabytes >= 0 (0: off)`);
  return Math.round(n * 2 ** 20);
}
