/**
 * A small in-memory tar writer for the archive tests (test/data/download/archive-*.test.ts): ustar headers, GNU
 * long-name records (`L`/`K`), pax records (`x`), any entry type, declared sizes that lie, and gzip. It
 * writes hostile archives on purpose: nothing here checks names, types or sizes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';

/** One tar member as the tests describe it. */
export interface TarMember {
  /** The path stored in the header (100 bytes at most; use `gnuLongName`/`pax` for longer). */
  readonly name: string;
  /** The type flag: '0' file, '5' folder, '2' symlink, '1' hard link, '3' char device, '6' FIFO, ... */
  readonly type?: string;
  readonly data?: string | Buffer;
  readonly linkname?: string;
  readonly mode?: number;
  /** The size written in the header when it should differ from the data's length. */
  readonly declaredSize?: number;
  /** Write a GNU `L` record carrying this path before the header (and `K` for the link name). */
  readonly gnuLongName?: string;
  readonly gnuLongLink?: string;
  /** Pax records (`path`, `linkpath`, `size`, ...) in an `x` header before this member. */
  readonly pax?: Readonly<Record<string, string>>;
  /** Split the name into ustar prefix (155) and name (100) at this index. */
  readonly prefixSplit?: number;
}

const BLOCK = 512;

function pad(n: number): Buffer {
  return Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);
}

function writeSize(h: Buffer, size: number): void {
  if (size < 0o77777777777) {
    h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    return;
  }
  // GNU base-256: high bit set, big-endian in the remaining 11 bytes.
  h[124] = 0x80;
  let v = BigInt(size);
  for (let i = 135; i > 124; i--) {
    h[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** One 512-byte header. */
export function tarHeader(m: TarMember, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const nameBytes = Buffer.from(m.name, 'utf8');
  if (m.prefixSplit !== undefined) {
    h.write(m.name.slice(m.prefixSplit + 1), 0, 100, 'utf8');
    h.write(m.name.slice(0, m.prefixSplit), 345, 155, 'utf8');
  } else {
    nameBytes.copy(h, 0, 0, Math.min(100, nameBytes.length));
  }
  h.write(`${((m.mode ?? 0o644) & 0o7777777).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  writeSize(h, size);
  h.write('00000000000\0', 136, 'latin1');
  h.write((m.type ?? '0').slice(0, 1), 156, 'latin1');
  h.write(m.linkname ?? '', 157, 100, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.write('        ', 148, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/** A pax extended-header body: `<len> <key>=<value>\n` records. */
export function paxBody(records: Readonly<Record<string, string>>): Buffer {
  const out: Buffer[] = [];
  for (const [k, v] of Object.entries(records)) {
    const rest = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(rest) + 1;
    while (String(len).length + Buffer.byteLength(rest) !== len) len = String(len).length + Buffer.byteLength(rest);
    out.push(Buffer.from(`${len}${rest}`));
  }
  return Buffer.concat(out);
}

/** The raw bytes of one member (its long-name / pax records first), data padded to 512. */
export function memberBytes(m: TarMember): Buffer {
  const parts: Buffer[] = [];
  const meta = (type: string, body: Buffer): void => {
    parts.push(tarHeader({ name: type === 'x' ? 'PaxHeader/x' : '././@LongLink', type }, body.length), body, pad(body.length));
  };
  if (m.gnuLongName !== undefined) meta('L', Buffer.from(`${m.gnuLongName}\0`));
  if (m.gnuLongLink !== undefined) meta('K', Buffer.from(`${m.gnuLongLink}\0`));
  if (m.pax) meta('x', paxBody(m.pax));
  const data = typeof m.data === 'string' ? Buffer.from(m.data) : m.data ?? Buffer.alloc(0);
  parts.push(tarHeader(m, m.declaredSize ?? data.length), data, pad(data.length));
  return Buffer.concat(parts);
}

/** An uncompressed tar: the members and the two zero blocks that end an archive (unless `end` is false). */
export function tar(members: readonly TarMember[], end = true): Buffer {
  return Buffer.concat([...members.map(memberBytes), ...(end ? [Buffer.alloc(2 * BLOCK)] : [])]);
}

/** A gzip-compressed tar. */
export function tgz(members: readonly TarMember[], end = true): Buffer {
  return zlib.gzipSync(tar(members, end));
}

/** A seeded 32-bit PRNG (mulberry32), so fuzz runs are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Every path under `root` (lstat only: links are recorded with their target, never followed), as sorted
 * `kind path [-> target]` lines; `skip` names paths (relative to `root`) to leave out, with what is below them.
 */
export function snapshotTree(root: string, skip: readonly string[] = []): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (skip.includes(r)) continue;
      const st = fs.lstatSync(full);
      if (st.isSymbolicLink()) out.push(`link ${r} -> ${fs.readlinkSync(full)}`);
      else if (st.isDirectory()) { out.push(`dir ${r}`); walk(full, r); }
      else out.push(`${st.isFile() ? 'file' : 'other'} ${r} ${st.size}`);
    }
  };
  walk(root, '');
  return out;
}

/** Runs `fn` while sampling memory every few ms; returns the peak growth over the starting values. */
export async function peakMemory(fn: () => Promise<unknown>): Promise<{ rss: number; arrayBuffers: number }> {
  const start = process.memoryUsage();
  const peak = { rss: 0, arrayBuffers: 0 };
  const sample = (): void => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss - start.rss);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers - start.arrayBuffers);
  };
  const timer = setInterval(sample, 2);
  try {
    await fn();
  } finally {
    clearInterval(timer);
    sample();
  }
  return peak;
}

/**
 * Extracts `archive` into `dest` in a child process and returns its peak resident memory and how far that
 * rose above the peak reached once the extractor was loaded. Linux: VmHWM from /proc/self/status (the high-
 * water mark of the child's own memory, exact, no sampling; getrusage's maxRSS is not used because after a
 * fork it can carry the parent's peak). Elsewhere: maxRSS.
 */
export function extractionPeakRss(archive: string, dest: string): { growth: number; peak: number } {
  const tarModule = path.resolve(__dirname, '..', '..', '..', 'lib', 'data', 'download', 'tar.ts');
  const code = `const fs = require('node:fs');
const { extractTarGz } = require(${JSON.stringify(tarModule)});
const hwm = () => { try { return Number(/VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); } catch { return process.resourceUsage().maxRSS; } };
const before = hwm();
extractTarGz(${JSON.stringify(archive)}, ${JSON.stringify(dest)}).then(
  () => console.log(JSON.stringify({ before, after: hwm() })),
  (e) => { console.error(e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`extraction in a child process failed: ${r.stderr}`);
  const { before, after } = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as { before: number; after: number };
  return { growth: (after - before) * 1024, peak: after * 1024 };
}

/** Writes a .tgz holding one member of `size` zero bytes, streamed (never `size` bytes in memory). */
export async function zerosTgz(file: string, name: string, size: number): Promise<void> {
  const chunk = Buffer.alloc(1024 * 1024);
  async function* body(): AsyncGenerator<Buffer> {
    yield tarHeader({ name }, size);
    for (let left = size; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
    yield Buffer.alloc(pad(size).length + 2 * BLOCK);
  }
  await pipeline(Readable.from(body()), zlib.createGzip(), fs.createWriteStream(file));
}
