/**
 * Writing a run's files safely: atomic writes (a temporary file beside the target, fsync, rename) that
 * remove their temporary file on every failure (a full disk included) and say which file could not be
 * written and why in words; and run folders whose creation failure says what is wrong with the folder
 * (read-only, not a folder) instead of a bare `ENOENT … mkdir`.
 *
 * The file-system calls go through an injectable {@link FileOps} so tests can simulate a full disk or a
 * read-only folder (tests run as root, which ignores permission bits).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The file-system calls the writers use (node:fs by default; tests inject failures). */
export type FileOps = Pick<typeof fs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'unlinkSync' | 'mkdirSync' | 'accessSync' | 'statSync'>;

/** node:fs itself, looked up at call time (so a patched module, as the kill tests use, is honoured). */
export const nodeFileOps: FileOps = fs;

const MEANINGS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EIO: 'input/output error (a failing disk?)',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a path component is a file, not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
  EFBIG: 'file too large',
};

/** The errno code of a node error, if any. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** An errno in words: `no space left on device (ENOSPC)`; other errors: their message. */
export function describeFsError(err: unknown): string {
  const code = errnoOf(err);
  if (code && MEANINGS[code]) return `${MEANINGS[code]} (${code})`;
  return err instanceof Error ? err.message : String(err);
}

/** A write that failed: names the target file and the reason; `cause` keeps the original error. */
export class FileWriteError extends Error {
  readonly code: string | undefined;
  constructor(readonly file: string, cause: unknown, what = 'write') {
    const kept = what === 'write' ? '; nothing was replaced (the previous version, if any, is intact)' : '';
    super(`cannot ${what} ${file}: ${describeFsError(cause)}${kept}`, { cause });
    this.name = 'FileWriteError';
    this.code = errnoOf(cause);
  }
}

let tmpCounter = 0;

/**
 * Writes `chunks` to `file` atomically: `<file>.tmp-<pid>-<n>`, fsync, rename. On any failure the
 * temporary file is removed and a {@link FileWriteError} naming `file` is thrown; `file` is untouched.
 */
export function writeFileAtomicSafe(file: string, chunks: Iterable<Uint8Array | string>, ops: FileOps = nodeFileOps): void {
  ensureDir(path.dirname(file), ops);
  const tmp = `${file}.tmp-${process.pid}-${++tmpCounter}`;
  let fd: number | null = null;
  try {
    fd = ops.openSync(tmp, 'wx');
    for (const chunk of chunks) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      let done = 0;
      while (done < bytes.length) done += ops.writeSync(fd, bytes, done, bytes.length - done);
    }
    ops.fsyncSync(fd);
    const closing = fd;
    fd = null;
    ops.closeSync(closing);
    ops.renameSync(tmp, file);
  } catch (err) {
    if (fd !== null) {
      try { ops.closeSync(fd); } catch { /* already failing; the write error is the one to report */ }
    }
    try { ops.unlinkSync(tmp); } catch { /* never created, or already gone */ }
    throw err instanceof FileWriteError ? err : new FileWriteError(file, err);
  }
}

/** The nearest existing ancestor of `p` (itself when it exists). */
function nearestExisting(p: string, ops: FileOps): string {
  let dir = path.resolve(p);
  for (;;) {
    try {
      ops.statSync(dir);
      return dir;
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return dir;
      dir = parent;
    }
  }
}

/**
 * Creates folder `dir` (and its parents). A failure says which existing folder cannot be written and why:
 * `cannot write to /x/runs: permission denied (read-only?)` rather than node's `ENOENT … mkdir`.
 */
export function ensureDir(dir: string, ops: FileOps = nodeFileOps): void {
  try {
    ops.mkdirSync(dir, { recursive: true });
    return;
  } catch (err) {
    const code = errnoOf(err);
    const at = nearestExisting(dir, ops);
    let isDir = true;
    try { isDir = ops.statSync(at).isDirectory(); } catch { /* raced away; report what mkdir said */ }
    if (!isDir) throw new Error(`cannot create folder ${dir}: ${at} is a file, not a folder; move it away or choose another folder`, { cause: err });
    if (code === 'EROFS') throw new Error(`cannot write to ${at}: read-only file system (EROFS); choose a folder on a writable disk`, { cause: err });
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new Error(`cannot create folder ${dir}: ${describeFsError(err)}; free some space and rerun`, { cause: err });
    let writable = code !== 'EACCES' && code !== 'EPERM';
    if (writable) {
      try { ops.accessSync(at, fs.constants.W_OK); } catch { writable = false; }
    }
    if (!writable) throw new Error(`cannot write to ${at}: permission denied (read-only?); fix its permissions or choose another folder (to create ${dir})`, { cause: err });
    throw new Error(`cannot create folder ${dir}: ${describeFsError(err)}`, { cause: err });
  }
}

/**
 * The records of a JSON-lines file, each with its 1-based line number (blank lines skipped). A line that is
 * not JSON is an error naming `file:line`, except, with `partialLast`, the last line: a file another
 * process appends to (or an interrupted writer) may end half-written, and that line is skipped.
 */
export function readJsonLines<T>(file: string, options: { partialLast?: boolean } = {}): { value: T; line: number }[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: { value: T; line: number }[] = [];
  lines.forEach((text, i) => {
    if (!text.trim()) return;
    try {
      out.push({ value: JSON.parse(text) as T, line: i + 1 });
    } catch (err) {
      if (options.partialLast && i >= lines.length - 2) return;
      throw new Error(`${file}:${i + 1}: not JSON (${(err as Error).message})`);
    }
  });
  return out;
}
