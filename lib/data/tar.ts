/**
 * A small, safe extractor for `.tgz` / `.tar.gz` archives (node:zlib + a streaming tar reader written for
 * this project; ustar, GNU long names and pax `path` / `linkpath` / `size` records are understood).
 *
 * Safety rules, checked for every entry before anything is written; any violation rejects the whole
 * archive with an error naming the entry, and nothing is published:
 * - absolute paths (`/x`, `C:\x`, `\x`) and paths with a `..` component are refused;
 * - symbolic links must point inside the extraction root (relative targets only), hard links must name
 *   an earlier regular file inside it; after extraction every link's real path is checked again;
 * - character/block devices, FIFOs and unknown entry types are refused;
 * - files are written only below the root's real path, with permission bits kept to rwx (no setuid,
 *   setgid or sticky bits).
 *
 * Everything is extracted into a temporary folder next to the destination and renamed into place at
 * the end, so a failed or interrupted extraction never leaves a half-extracted dataset behind.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import * as fs from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';

/** An archive that is corrupt, truncated or unsafe; `entry` names the offending member when there is one. */
export class ArchiveError extends Error {
  constructor(readonly archive: string, message: string, readonly entry?: string) {
    super(`${archive}: ${message}`);
    this.name = 'ArchiveError';
  }
}

/** One extracted member. */
export interface TarEntryInfo {
  readonly path: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'hardlink';
  readonly size: number;
}

/** What an extraction did. */
export interface ExtractResult {
  /** Members extracted, in archive order. */
  readonly entries: readonly TarEntryInfo[];
  readonly files: number;
  readonly bytes: number;
}

const BLOCK = 512;

function cString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

function octal(buf: Buffer, start: number, length: number): number {
  // GNU base-256 for big numbers: high bit of the first byte set.
  if (buf[start] & 0x80) {
    let v = buf[start] & 0x7f;
    for (let i = 1; i < length; i++) v = v * 256 + buf[start + i];
    return v;
  }
  const s = cString(buf, start, length).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/** The archive-relative path of an entry, normalised, or an error message saying why it is unsafe. */
export function safeEntryPath(name: string): { path: string } | { error: string } {
  if (name.includes('\0')) return { error: 'path contains a NUL byte' };
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) return { error: 'absolute path refused' };
  const parts = name.split(/[/\\]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { error: "path with a '..' component refused" };
  return { path: parts.join('/') };
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Extracts a gzip-compressed tar archive into `dest`, which must not exist yet (its parent is created).
 * Entries go to a temporary sibling folder first; `dest` appears only when the whole archive was read
 * and passed every check.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
export async function extractTarGz(archive: string, dest: string): Promise<ExtractResult> {
  const target = path.resolve(dest);
  if (await fs.lstat(target).then(() => true, () => false)) throw new Error(`extractTarGz: ${target} already exists; remove it or extract elsewhere`);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.partial-${process.pid}-${Math.floor(performance.now())}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp);
  try {
    const result = await extractInto(archive, tmp);
    await fs.rename(tmp, target);
    return result;
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function extractInto(archive: string, root: string): Promise<ExtractResult> {
  const realRoot = await fs.realpath(root);
  const entries: TarEntryInfo[] = [];
  const regular = new Set<string>();
  const links: string[] = [];
  let files = 0, bytes = 0;

  const header = Buffer.alloc(BLOCK);
  let headerFill = 0;
  let state: 'header' | 'data' | 'pad' | 'end' = 'header';
  let remaining = 0, padding = 0, offset = 0, zeroBlocks = 0;
  let parts: Buffer[] = [];
  let current: { name: string; type: string; size: number; mode: number; linkname: string } | null = null;
  // Overrides for the next entry from GNU long-name records and pax headers.
  let nextName: string | null = null, nextLink: string | null = null, nextSize: number | null = null;

  const fail = (message: string, entry?: string): never => {
    throw new ArchiveError(archive, entry ? `${message}: ${JSON.stringify(entry)}` : message, entry);
  };

  const parsePax = (data: Buffer): Record<string, string> => {
    const out: Record<string, string> = {};
    let i = 0;
    while (i < data.length) {
      const sp = data.indexOf(0x20, i);
      if (sp === -1) break;
      const len = parseInt(data.toString('utf8', i, sp), 10);
      if (!Number.isFinite(len) || len <= 0) fail(`corrupt pax header at byte ${offset}`);
      const rec = data.toString('utf8', sp + 1, i + len - 1);
      const eq = rec.indexOf('=');
      if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
      i += len;
    }
    return out;
  };

  const writableParent = async (rel: string): Promise<string> => {
    const full = path.join(root, rel);
    await fs.mkdir(path.dirname(full), { recursive: true });
    const realParent = await fs.realpath(path.dirname(full));
    if (!isInside(realRoot, realParent)) fail('entry would be written outside the extraction folder (through a link)', rel);
    return full;
  };

  const finishEntry = async (): Promise<void> => {
    const e = current as NonNullable<typeof current>;
    current = null;
    const data = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    parts = [];
    if (e.type === 'x') {
      const pax = parsePax(data);
      if (pax.path !== undefined) nextName = pax.path;
      if (pax.linkpath !== undefined) nextLink = pax.linkpath;
      if (pax.size !== undefined) nextSize = Number(pax.size);
      return;
    }
    if (e.type === 'g') return; // global pax header: nothing we use
    if (e.type === 'L') { nextName = cString(data, 0, data.length); return; }
    if (e.type === 'K') { nextLink = cString(data, 0, data.length); return; }
    const safe = safeEntryPath(e.name);
    if ('error' in safe) return fail(safe.error, e.name);
    const rel = safe.path;
    if (rel === '') {
      if (e.type === '5') return; // "./" itself
      return fail('entry with an empty path', e.name);
    }
    const mode = (e.mode & 0o777) | 0o600;
    if (e.type === '0' || e.type === '\0' || e.type === '7' || e.type === '') {
      const full = await writableParent(rel);
      await fs.rm(full, { force: true, recursive: false }).catch(() => undefined);
      await fs.writeFile(full, data, { mode });
      regular.add(rel);
      files++;
      bytes += data.length;
      entries.push({ path: rel, type: 'file', size: data.length });
    } else if (e.type === '5') {
      const full = await writableParent(rel);
      await fs.mkdir(full, { recursive: true, mode: mode | 0o700 });
      entries.push({ path: rel, type: 'directory', size: 0 });
    } else if (e.type === '2') {
      const link = e.linkname;
      if (link === '' || path.isAbsolute(link) || link.startsWith('\\') || /^[A-Za-z]:/.test(link)) return fail(`symbolic link to an absolute path (${JSON.stringify(link)}) refused`, e.name);
      const resolved = path.resolve(path.dirname(path.join(realRoot, rel)), link);
      if (!isInside(realRoot, resolved)) return fail(`symbolic link pointing outside the archive (${JSON.stringify(link)}) refused`, e.name);
      const full = await writableParent(rel);
      await fs.symlink(link, full);
      links.push(rel);
      entries.push({ path: rel, type: 'symlink', size: 0 });
    } else if (e.type === '1') {
      const t = safeEntryPath(e.linkname);
      if ('error' in t) return fail(`hard link target ${JSON.stringify(e.linkname)}: ${t.error}`, e.name);
      if (!regular.has(t.path)) return fail(`hard link to ${JSON.stringify(e.linkname)}, which is not an earlier regular file of the archive, refused`, e.name);
      const full = await writableParent(rel);
      await fs.link(path.join(root, t.path), full);
      regular.add(rel);
      files++;
      entries.push({ path: rel, type: 'hardlink', size: 0 });
    } else if (e.type === '3' || e.type === '4') {
      return fail(`${e.type === '3' ? 'character' : 'block'} device entry refused`, e.name);
    } else if (e.type === '6') {
      return fail('FIFO (named pipe) entry refused', e.name);
    } else {
      return fail(`unsupported tar entry type ${JSON.stringify(e.type)} refused`, e.name);
    }
  };

  const onHeader = async (): Promise<void> => {
    if (header.every((b) => b === 0)) {
      if (++zeroBlocks >= 2) state = 'end';
      return;
    }
    if (zeroBlocks > 0) fail(`corrupt tar: data after an empty block at byte ${offset}`);
    const stored = octal(header, 148, 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
    if (stored !== sum) fail(`not a tar archive or corrupt tar header at byte ${offset - BLOCK} (checksum ${stored} != ${sum})`);
    const magic = header.toString('latin1', 257, 262);
    let name = cString(header, 0, 100);
    if (magic === 'ustar') {
      const prefix = cString(header, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const type = String.fromCharCode(header[156] || 0x30);
    const size = nextSize ?? octal(header, 124, 12);
    current = {
      name: nextName ?? name,
      type: header[156] === 0 ? '0' : type,
      size,
      mode: octal(header, 100, 8),
      linkname: nextLink ?? cString(header, 157, 100),
    };
    if (!['x', 'g', 'L', 'K'].includes(current.type)) { nextName = null; nextLink = null; nextSize = null; }
    if (!Number.isFinite(size) || size < 0) fail(`bad size in tar header at byte ${offset - BLOCK}`, current.name);
    // Links, directories and devices carry no data even if a size is set (except for hard links in some writers).
    const hasData = !['1', '2', '3', '4', '5', '6'].includes(current.type);
    remaining = hasData ? size : 0;
    padding = hasData ? (BLOCK - (size % BLOCK)) % BLOCK : 0;
    if (remaining === 0) {
      await finishEntry();
      state = padding > 0 ? 'pad' : 'header';
    } else {
      state = 'data';
    }
  };

  async function consume(source: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of source) {
      let i = 0;
      while (i < chunk.length) {
        if (state === 'end') break; // trailing zero padding after the end-of-archive blocks: drain it
        if (state === 'header') {
          const n = Math.min(BLOCK - headerFill, chunk.length - i);
          chunk.copy(header, headerFill, i, i + n);
          headerFill += n;
          i += n;
          offset += n;
          if (headerFill === BLOCK) {
            headerFill = 0;
            await onHeader();
          }
        } else if (state === 'data') {
          const n = Math.min(remaining, chunk.length - i);
          parts.push(Buffer.from(chunk.subarray(i, i + n)));
          remaining -= n;
          i += n;
          offset += n;
          if (remaining === 0) {
            await finishEntry();
            state = padding > 0 ? 'pad' : 'header';
          }
        } else {
          const n = Math.min(padding, chunk.length - i);
          padding -= n;
          i += n;
          offset += n;
          if (padding === 0) state = 'header';
        }
      }
    }
  }

  let inner: unknown = null;
  try {
    await pipeline(createReadStream(archive), zlib.createGunzip(), async (source: AsyncIterable<Buffer>) => {
      try {
        await consume(source);
      } catch (err) {
        inner = err; // pipeline may report its own AbortError instead; keep ours
        throw err;
      }
    });
  } catch (caught) {
    const err = inner ?? caught;
    if (err instanceof ArchiveError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR' || /unexpected end of file|incorrect header check|invalid/i.test(e.message)) {
      throw new ArchiveError(archive, `not a valid .tgz (gzip: ${e.message}); the file is truncated or corrupt: delete it and download it again`);
    }
    throw err;
  }

  const finalState = state as string; // assigned inside the pipeline callback
  if (finalState === 'data' || finalState === 'pad' || headerFill !== 0 || current !== null) {
    throw new ArchiveError(archive, `truncated tar: the archive ends inside ${current ? JSON.stringify((current as { name: string }).name) : 'a header'} (byte ${offset}); delete it and download it again`);
  }
  if (entries.length === 0) throw new ArchiveError(archive, 'the archive is empty');
  // Belt and braces: no link may resolve outside the root, even through other links.
  for (const rel of links) {
    const real = await fs.realpath(path.join(root, rel)).catch(() => null);
    if (real !== null && !isInside(realRoot, real)) fail('symbolic link resolves outside the archive (through another link) refused', rel);
  }
  return { entries, files, bytes };
}
