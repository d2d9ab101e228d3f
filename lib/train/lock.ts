/**
 * One trainer per run folder: `acquireRunLock(dir)` creates `dir/run.lock` atomically (O_EXCL) holding who
 * took it (pid, host, start time, command). A second trainer of the same run gets a {@link RunLockedError}
 * saying who holds it; a lock left by a process that no longer exists on this host (killed with -9, a
 * power cut) is taken over with a note. The lock is released on every exit path: `release()` (callers use
 * try/finally), process exit (an uncaught error included), and SIGINT/SIGTERM/SIGHUP when nothing else
 * handles them (the lock is removed, then the signal is re-raised so the process still dies by it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureDir } from '../util/files';

export const LOCK_FILE = 'run.lock';

/** Who holds a lock, as stored in the lock file. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly command: string;
  /** Linux: the process's start time in clock ticks since boot (tells a reused pid from the holder). */
  readonly procStart?: string;
  /** Unique per acquisition: release removes the file only while it is still this lock. */
  readonly token: string;
}

export interface RunLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock (idempotent; never removes a lock another process has since taken). */
  release(): void;
}

/** The run folder is locked by a live process (or one on another host, which cannot be checked). */
export class RunLockedError extends Error {
  constructor(readonly dir: string, readonly file: string, readonly holder: LockHolder | null) {
    super(lockedMessage(dir, file, holder));
    this.name = 'RunLockedError';
  }
}

function lockedMessage(dir: string, file: string, h: LockHolder | null): string {
  if (!h) return `${dir} is locked by another trainer (${file} is being written or unreadable); wait a moment and retry, or delete ${file} if no trainer is running`;
  const who = h.pid === process.pid && h.host === os.hostname() ? `this process (pid ${h.pid}: another call is training it)` : `pid ${h.pid}`;
  const remote = h.host !== os.hostname() ? ` (that machine is not this one, ${os.hostname()}: check there)` : '';
  return `${dir} is being trained by another process: ${who} on host ${h.host}, started ${h.startedAt}, command: ${h.command}. ` +
    `Wait for it to finish (the finished run is then reused) or stop it; if that process is gone${remote}, delete ${file}`;
}

/** This process's start time in clock ticks since boot (Linux), or undefined. */
function procStartOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the holder is certainly gone: same host, and its pid is dead or now belongs to another process. */
function isStale(h: LockHolder): boolean {
  if (h.host !== os.hostname()) return false;
  if (h.pid === process.pid) return h.procStart !== undefined && h.procStart !== procStartOf(process.pid);
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const now = h.procStart === undefined ? undefined : procStartOf(h.pid);
  return now !== undefined && now !== h.procStart;
}

function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text) as LockHolder;
    return h && Number.isInteger(h.pid) && typeof h.host === 'string' && typeof h.token === 'string' ? h : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The lock file's text, or null when it does not exist. */
function readLockText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR') throw new Error(`${file} is a folder, not a lock file; remove it and retry`, { cause: err });
    throw new Error(`cannot read the run lock ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Tries to create the lock file exclusively; false when it already exists. */
function tryCreate(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied (read-only?)' : code === 'EROFS' ? 'read-only file system' : (err as Error).message;
    throw new Error(`cannot write to ${path.dirname(file)}: ${why} (creating the run lock ${path.basename(file)})`, { cause: err });
  }
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw new Error(`cannot write the run lock ${file}: ${(err as Error).message}`, { cause: err });
  }
  fs.closeSync(fd);
  return true;
}

/**
 * Removes the stale lock whose text is `staleText`, unless another process replaced it in between: the
 * file is first renamed to a private name (atomic), then checked to be the stale one; a fresh lock moved
 * by mistake is put back.
 */
function removeStale(file: string, staleText: string): void {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else removed it first
    throw err;
  }
  if (fs.readFileSync(aside, 'utf8') !== staleText) {
    try { fs.linkSync(aside, file); } catch { /* a newer lock exists: it stands */ }
  }
  fs.rmSync(aside, { force: true });
}

const held = new Map<string, RunLock>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let exitHooked = false;

function releaseAll(): void {
  for (const lock of [...held.values()]) lock.release();
}

function onSignal(signal: NodeJS.Signals): void {
  // another handler owns this signal (a notebook kernel interrupting a cell): leave the decision to it
  if (process.listenerCount(signal) > 1) return;
  releaseAll();
  unhookSignals();
  process.kill(process.pid, signal);
}

function hookSignals(): void {
  if (!exitHooked) {
    process.on('exit', releaseAll);
    exitHooked = true;
  }
  for (const s of SIGNALS) if (!process.listeners(s).includes(onSignal)) process.on(s, onSignal);
}

function unhookSignals(): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

export interface LockOptions {
  /** Where notes go (a stale lock taken over). */
  readonly log?: (line: string) => void;
}

/** Locks run folder `dir` (created if needed) for this process; see the module comment. */
export function acquireRunLock(dir: string, options: LockOptions = {}): RunLock {
  const log = options.log ?? ((l: string) => console.log(l));
  ensureDir(dir);
  const file = path.join(dir, LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(),
    command: process.argv.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ').slice(0, 500),
    procStart: procStartOf(process.pid), token: randomBytes(8).toString('hex'),
  };
  const text = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < 20; attempt++) {
    if (tryCreate(file, text)) {
      const lock: RunLock = {
        file, holder,
        release: () => {
          if (held.get(file) !== lock) return;
          held.delete(file);
          if (held.size === 0) unhookSignals();
          if (parseHolder(readLockText(file) ?? '')?.token === holder.token) fs.rmSync(file, { force: true });
        },
      };
      held.set(file, lock);
      hookSignals();
      return lock;
    }
    const current = readLockText(file);
    if (current === null) continue; // released in between: try again
    const other = parseHolder(current);
    if (other === null) {
      // being written right now (a few microseconds), or debris: give a writer time, then judge by age
      const age = Date.now() - fs.statSync(file).mtimeMs;
      if (age < 2000) {
        sleep(100);
        continue;
      }
      log(`note: ${file} was unreadable (${current.length} bytes, ${(age / 1000).toFixed(0)} s old): a trainer died while creating it; taking it over`);
      removeStale(file, current);
      continue;
    }
    if (!isStale(other)) throw new RunLockedError(dir, file, other);
    log(`note: taking over the stale lock ${file}: pid ${other.pid} (started ${other.startedAt}, command: ${other.command}) no longer runs on ${other.host}`);
    removeStale(file, current);
  }
  throw new RunLockedError(dir, file, parseHolder(readLockText(file) ?? ''));
}
