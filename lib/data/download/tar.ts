/**
 * A small, safe extractor for `.tgz` / `.tar.gz` archives (node:zlib + a streaming tar reader written for
 * this project; ustar, GNU long names and pax `path` / `linkpath` / `size` records are understood).
 *
 * Dataset archives hold files and folders, nothing else, so that is all this extracts. Every rule is
 * checked before anything is written; any violation rejects the whole archive with an {@link ArchiveError}
 * naming the entry, and nothing is published:
 * - symbolic links, hard links, devices, FIFOs and unknown entry types are refused (LFW has none), so no
 *   entry can ever point anywhere;
 * - absolute paths (`/x`, `C:\x`, `\x`), paths with a `..` component or a NUL byte, components over 255
 *   bytes and paths over 4095 bytes are refused;
 * - each path is resolved against the extraction folder's real path without following anything: every
 *   existing component is `lstat`ed and must be a real folder (not a link, not a file), and no folder is
 *   created before the whole path has been checked;
 * - a name extracted twice (a duplicate file, a file and a folder of the same name, a file used as a
 *   folder) is refused with what clashed, never a raw `EEXIST` / `EISDIR`;
 * - files are streamed to a temporary name (created exclusively) in chunks and renamed into place, so
 *   memory stays bounded whatever the member's size; permission bits are kept to rwx (no setuid, setgid
 *   or sticky bits); pax and long-name records over 1 MiB are refused.
 *
 * Everything is extracted into a temporary folder next to the destination and renamed into place at
 * the end, so a failed, truncated or interrupted extraction never leaves a half-extracted dataset behind.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import * as fs from 'node:fs/promises';
import { createReadStream, type Stats } from 'node:fs';
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
  readonly type: 'file' | 'directory';
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
/** Largest pax / GNU long-name record accepted (they are held in memory; real ones are a few hundred bytes). */
const META_LIMIT = 1024 * 1024;
const NAME_MAX = 255;
const PATH_MAX = 4095;
const ONLY_FILES = 'refused: dataset archives hold only files and folders';
const AGAIN = 'delete it and download it again';

function cString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

/** A numeric header field: octal text, or GNU base-256 (high bit set); NaN when neither. */
function numeric(buf: Buffer, start: number, length: number): number {
  if (buf[start] === 0xff) return NaN; // negative base-256
  if (buf[start] & 0x80) {
    let v = buf[start] & 0x7f;
    for (let i = 1; i < length; i++) v = v * 256 + buf[start + i];
    return Number.isSafeInteger(v) ? v : NaN;
  }
  const s = cString(buf, start, length).replace(/[\s\0]+$/, '').trim();
  if (s === '') return 0;
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : NaN;
}

/** An entry name for messages: quoted, and shortened (with its length) when very long. */
function shown(name: string): string {
  const bytes = Buffer.byteLength(name);
  return bytes > 200 ? `${JSON.stringify(`${name.slice(0, 100)}…${name.slice(-40)}`)} (${bytes} bytes)` : JSON.stringify(name);
}

/** The archive-relative path of an entry, normalised, or an error message saying why it is unsafe. */
export function safeEntryPath(name: string): { path: string } | { error: string } {
  if (name.includes('\0')) return { error: 'path contains a NUL byte' };
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) return { error: 'absolute path refused' };
  const parts = name.split(/[/\\]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { error: "path with a '..' component refused" };
  if (parts.some((p) => Buffer.byteLength(p) > NAME_MAX)) return { error: `a path component is longer than ${NAME_MAX} bytes` };
  const joined = parts.join('/');
  if (Buffer.byteLength(joined) > PATH_MAX) return { error: `path longer than ${PATH_MAX} bytes refused` };
  return { path: joined };
}

/** What a refused entry type is, for messages. */
function refusedType(type: string, linkname: string): string {
  switch (type) {
    case '1': return `hard link (to ${JSON.stringify(linkname)})`;
    case '2': return `symbolic link (to ${JSON.stringify(linkname)})`;
    case '3': return 'character device';
    case '4': return 'block device';
    case '6': return 'FIFO (named pipe)';
    default: return `unsupported entry type ${JSON.stringify(type)}`;
  }
}

const lstatOrNull = (p: string): Promise<Stats | null> =>
  fs.lstat(p).then((s) => s, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });

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

/** Where the data of the member being read goes. */
interface Sink {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
  abort(): Promise<void>;
}

interface Member {
  readonly name: string;
  readonly type: string;
  readonly size: number;
  readonly sink: Sink | null;
  /** Called once the member's data has all been read. */
  readonly done: (data: Buffer | null) => Promise<void> | void;
}

async function extractInto(archive: string, root: string): Promise<ExtractResult> {
  const realRoot = await fs.realpath(root);
  const entries: TarEntryInfo[] = [];
  let files = 0, bytes = 0, tmpSeq = 0;

  const header = Buffer.alloc(BLOCK);
  let headerFill = 0;
  let state: 'header' | 'data' | 'pad' | 'end' = 'header';
  let remaining = 0, padding = 0, offset = 0, zeroBlocks = 0, headers = 0;
  let current: Member | null = null;
  // Overrides for the next entry from GNU long-name records and pax headers.
  let nextName: string | null = null, nextLink: string | null = null, nextSize: number | null = null;

  const fail = (message: string, entry?: string): never => {
    throw new ArchiveError(archive, entry !== undefined ? `entry ${shown(entry)}: ${message}` : message, entry);
  };

  const parsePax = (data: Buffer, paxName: string): void => {
    let i = 0;
    while (i < data.length) {
      if (data[i] === 0) break; // NUL padding after the last record
      const sp = data.indexOf(0x20, i);
      const lenText = sp === -1 ? '' : data.toString('latin1', i, sp);
      const len = /^\d{1,7}$/.test(lenText) ? Number(lenText) : NaN;
      if (!(len > sp - i + 1) || i + len > data.length || data[i + len - 1] !== 0x0a) fail(`corrupt pax record at byte ${i} of the extended header`, paxName);
      const rec = data.toString('utf8', sp + 1, i + len - 1);
      const eq = rec.indexOf('=');
      if (eq <= 0) fail(`corrupt pax record at byte ${i} of the extended header`, paxName);
      const key = rec.slice(0, eq), value = rec.slice(eq + 1);
      if (key === 'path') nextName = value;
      else if (key === 'linkpath') nextLink = value;
      else if (key === 'size') {
        if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) fail(`bad pax size ${JSON.stringify(value)}`, paxName);
        nextSize = Number(value);
      } else if (key.startsWith('GNU.sparse.')) fail(`GNU sparse file ${ONLY_FILES}`, paxName);
      i += len;
    }
  };

  /** A record held in memory (pax, long names): bounded by META_LIMIT before it is read. */
  const memorySink = (): Sink & { data(): Buffer } => {
    const parts: Buffer[] = [];
    return {
      async write(chunk) { parts.push(Buffer.from(chunk)); },
      async end() { /* nothing */ },
      async abort() { /* nothing */ },
      data: () => Buffer.concat(parts),
    };
  };

  /**
   * Checks `parts` against the extraction root without following anything: every existing parent must be
   * a real folder. Returns the index of the first missing parent (parts.length - 1 when all exist) and the
   * final component's lstat (null when missing). Creates nothing.
   */
  const checkPath = async (parts: readonly string[], entry: string): Promise<{ missingFrom: number; final: Stats | null }> => {
    for (let i = 0; i < parts.length - 1; i++) {
      const rel = parts.slice(0, i + 1).join('/');
      const st = await lstatOrNull(path.join(realRoot, rel));
      if (st === null) return { missingFrom: i, final: null };
      if (st.isSymbolicLink()) fail(`${JSON.stringify(rel)} is a symbolic link on disk; refusing to extract through it`, entry);
      if (!st.isDirectory()) fail(`${JSON.stringify(rel)} was extracted as a file earlier, so it cannot be a folder`, entry);
    }
    return { missingFrom: parts.length - 1, final: await lstatOrNull(path.join(realRoot, ...parts)) };
  };

  /** Creates one folder, which must not be or become anything but a real folder. */
  const makeFolder = async (rel: string, mode: number, entry: string): Promise<void> => {
    try {
      await fs.mkdir(path.join(realRoot, rel), { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = await lstatOrNull(path.join(realRoot, rel));
      if (!st || st.isSymbolicLink() || !st.isDirectory()) fail(`${JSON.stringify(rel)} appeared on disk during extraction and is not a folder`, entry);
    }
  };

  const createParents = async (parts: readonly string[], from: number, entry: string): Promise<void> => {
    for (let i = from; i < parts.length - 1; i++) await makeFolder(parts.slice(0, i + 1).join('/'), 0o755, entry);
  };

  const clash = (final: Stats, wanted: 'file' | 'folder', rel: string): string => {
    if (final.isSymbolicLink()) return `${JSON.stringify(rel)} is a symbolic link on disk; refusing to extract through it`;
    if (final.isDirectory()) return wanted === 'file' ? 'a folder of this name was extracted earlier; it cannot also be a file' : '';
    if (final.isFile()) return wanted === 'file' ? 'duplicate entry: a file of this name was extracted earlier' : 'a file of this name was extracted earlier; it cannot also be a folder';
    return `${JSON.stringify(rel)} exists on disk and is not a file or folder`;
  };

  const addFolder = async (rel: string, mode: number, entry: string): Promise<void> => {
    const parts = rel.split('/');
    const { missingFrom, final } = await checkPath(parts, entry);
    if (final) {
      const why = clash(final, 'folder', rel);
      if (why) fail(why, entry);
      return; // the same folder again (or one already made for an earlier file): nothing to do
    }
    await createParents(parts, missingFrom, entry);
    await makeFolder(rel, (mode & 0o777) | 0o700, entry);
  };

  /** Opens a temporary file next to `rel` (created exclusively); the sink renames it into place at the end. */
  const fileSink = async (rel: string, mode: number, entry: string): Promise<Sink> => {
    const parts = rel.split('/');
    const { missingFrom, final } = await checkPath(parts, entry);
    if (final) fail(clash(final, 'file', rel), entry);
    await createParents(parts, missingFrom, entry);
    const full = path.join(realRoot, ...parts);
    let tmp = '';
    let handle: fs.FileHandle | null = null;
    while (handle === null) {
      tmp = path.join(path.dirname(full), `.siamese-tar-${process.pid}-${++tmpSeq}.tmp`);
      handle = await fs.open(tmp, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') return null;
        throw err;
      });
    }
    const h = handle;
    let closed = false;
    return {
      async write(chunk) {
        let done = 0;
        while (done < chunk.length) done += (await h.write(chunk, done, chunk.length - done)).bytesWritten;
      },
      async end() {
        closed = true;
        await h.close();
        await fs.chmod(tmp, mode);
        // Re-checked just before the rename: never replace anything that appeared meanwhile.
        const now = await lstatOrNull(full);
        if (now) fail(clash(now, 'file', rel) || 'duplicate entry', entry);
        await fs.rename(tmp, full);
      },
      async abort() {
        if (!closed) {
          closed = true;
          await h.close().catch(() => undefined);
        }
        await fs.rm(tmp, { force: true }).catch(() => undefined);
      },
    };
  };

  /** Starts a member whose header was just read. */
  const startMember = async (name: string, type: string, size: number, mode: number, linkname: string, headerAt: number): Promise<Member> => {
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      if (size > META_LIMIT) fail(`extended header of ${size} bytes refused (at most ${META_LIMIT})`, name);
      const sink = memorySink();
      return {
        name, type, size, sink,
        done: () => {
          const data = sink.data();
          if (type === 'x') parsePax(data, name);
          else if (type === 'L') nextName = cString(data, 0, data.length);
          else if (type === 'K') nextLink = cString(data, 0, data.length);
          // 'g' (global pax header): nothing in it changes what is extracted, and it names no entry.
        },
      };
    }
    const entryName = nextName ?? name;
    const link = nextLink ?? linkname;
    const entrySize = nextSize ?? size;
    nextName = null; nextLink = null; nextSize = null;
    if (!Number.isSafeInteger(entrySize) || entrySize < 0) fail(`bad size in tar header at byte ${headerAt}`, entryName);
    const safe = safeEntryPath(entryName);
    if ('error' in safe) return fail(safe.error, entryName);
    const rel = safe.path;
    // Old (v7) archives mark folders with a trailing slash on a regular-file entry.
    const kind = type === '5' || (type === '0' && entrySize === 0 && entryName.endsWith('/')) ? 'folder'
      : type === '0' || type === '7' ? 'file' : null;
    if (kind === null) return fail(`${refusedType(type, link)} ${ONLY_FILES}`, entryName);
    if (rel === '') {
      if (kind === 'folder') return { name: entryName, type, size: 0, sink: null, done: () => undefined }; // "./" itself
      return fail('empty path refused', entryName);
    }
    if (kind === 'folder') {
      await addFolder(rel, mode, entryName);
      entries.push({ path: rel, type: 'directory', size: 0 });
      // Folders carry no data, whatever their size field says (POSIX: "no data records are stored for type 5").
      return { name: entryName, type, size: 0, sink: null, done: () => undefined };
    }
    const sink = await fileSink(rel, (mode & 0o777) | 0o600, entryName);
    return {
      name: entryName, type, size: entrySize, sink,
      done: () => {
        files++;
        bytes += entrySize;
        entries.push({ path: rel, type: 'file', size: entrySize });
      },
    };
  };

  /** Runs a step of member `entry`; file-system failures (ENOSPC, EACCES, ...) become errors naming it. */
  const step = async <T>(entry: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ArchiveError) throw err;
      return fail(`cannot extract it (${(err as Error).message})`, entry);
    }
  };

  const finishMember = async (): Promise<void> => {
    const m = current as Member;
    await step(m.name, async () => m.sink?.end());
    current = null;
    await m.done(null);
  };

  const onHeader = async (): Promise<void> => {
    const at = offset - BLOCK;
    if (header.every((b) => b === 0)) {
      if (++zeroBlocks >= 2) state = 'end';
      return;
    }
    if (zeroBlocks > 0) fail(`corrupt tar: data after an empty block at byte ${at}; ${AGAIN}`);
    const stored = numeric(header, 148, 8);
    let sum = 0, signed = 0;
    for (let i = 0; i < BLOCK; i++) {
      const b = i >= 148 && i < 156 ? 0x20 : header[i];
      sum += b;
      signed += b > 127 ? b - 256 : b;
    }
    if (stored !== sum && stored !== signed) fail(`not a tar archive or corrupt tar header at byte ${at} (checksum ${Number.isNaN(stored) ? 'unreadable' : stored} != ${sum}); ${AGAIN}`);
    headers++;
    let name = cString(header, 0, 100);
    if (header.toString('latin1', 257, 262) === 'ustar') {
      const prefix = cString(header, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const type = header[156] === 0 ? '0' : String.fromCharCode(header[156]);
    const size = numeric(header, 124, 12);
    const isMeta = type === 'x' || type === 'g' || type === 'L' || type === 'K';
    if (isMeta && (!Number.isSafeInteger(size) || size < 0)) fail(`bad size in tar header at byte ${at}`, name);
    const mode = numeric(header, 100, 8);
    current = await step(nextName ?? name, () => startMember(name, type, size, Number.isFinite(mode) ? mode : 0o644, cString(header, 157, 100), at));
    remaining = current.size;
    padding = (BLOCK - (remaining % BLOCK)) % BLOCK;
    if (remaining === 0) {
      await finishMember();
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
          const m = current as Member;
          await step(m.name, async () => m.sink?.write(chunk.subarray(i, i + n)));
          remaining -= n;
          i += n;
          offset += n;
          if (remaining === 0) {
            await finishMember();
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
  let consuming: Promise<void> | null = null;
  try {
    await pipeline(createReadStream(archive), zlib.createGunzip({ chunkSize: 64 * 1024 }), async (source: AsyncIterable<Buffer>) => {
      try {
        consuming = consume(source);
        await consuming;
      } catch (err) {
        inner = err; // pipeline may report its own AbortError instead; keep ours
        throw err;
      }
    });
  } catch (caught) {
    // A gzip error rejects the pipeline while the reader may still be creating a folder or file: let it
    // stop first, so the cleanup that follows removes everything.
    await (consuming as Promise<void> | null)?.catch(() => undefined);
    await (current as Member | null)?.sink?.abort();
    const err = inner ?? caught;
    if (err instanceof ArchiveError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EISDIR') throw new ArchiveError(archive, 'is a folder, not a .tgz file');
    if (e.syscall === 'open' || e.syscall === 'read') throw new ArchiveError(archive, `cannot read it (${e.message})`);
    if (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR' || /unexpected end of file|incorrect header check|invalid/i.test(e.message)) {
      throw new ArchiveError(archive, `not a valid .tgz (gzip: ${e.message}); the file is truncated or corrupt: ${AGAIN}`);
    }
    throw new ArchiveError(archive, `cannot extract it (${e.message})`);
  }

  const finalState = state as string; // assigned inside the pipeline callback
  const open = current as Member | null;
  if (finalState === 'data' || finalState === 'pad' || headerFill !== 0 || open !== null) {
    await open?.sink?.abort();
    throw new ArchiveError(archive, `truncated tar: the archive ends inside ${open ? shown(open.name) : 'a header'} (byte ${offset}); ${AGAIN}`);
  }
  if (headers === 0) throw new ArchiveError(archive, 'the archive is empty');
  if (zeroBlocks === 0) throw new ArchiveError(archive, `truncated tar: the archive ends without its end-of-archive blocks (byte ${offset}); ${AGAIN}`);
  if (entries.length === 0) throw new ArchiveError(archive, 'the archive is empty');
  return { entries, files, bytes };
}
