// The run lock (issue 14, "runs are safe to run twice"): atomic creation, who holds it, stale locks taken
// over, released on every exit path (return, error, exit, SIGINT/SIGTERM) and never someone else's.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostile } from '../hostile';
import { acquireRunLock, LOCK_FILE, RunLockedError, type LockHolder } from '../../lib/train/lock';
import { tempRuns, tinyFaces } from './fixtures';

const CHILD = path.join(__dirname, 'lock-child.ts');
const runFolder = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-lock-')), 'tiny-abc123');
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const quiet = { log: () => undefined };

/** Starts a lock child; resolves once it holds the lock. */
function lockChild(dir: string, mode: string): Promise<{ proc: ChildProcess; out: () => string; done: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('LOCKED')) resolve({ proc, out: () => out, done }); });
    proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    void done.then(() => { if (!out.includes('LOCKED')) reject(new Error(`the child never locked:\n${out}`)); });
  });
}

/** A pid that certainly does not run now: a child that has exited. */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => p.on('close', r));
  return p.pid!;
}

function writeHolder(dir: string, h: Partial<LockHolder>): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  fs.writeFileSync(file, JSON.stringify({ pid: 1, host: os.hostname(), startedAt: '2024-01-02T03:04:05.000Z', command: 'node siamese train --preset default', token: 'x', ...h }));
  return file;
}

hostile('concurrency', 'the lock file says who holds it: pid, host, start time, command', () => {
  const dir = runFolder();
  const lock = acquireRunLock(dir, quiet);
  const h = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockHolder;
  assert.equal(h.pid, process.pid);
  assert.equal(h.host, os.hostname());
  assert.ok(Math.abs(Date.parse(h.startedAt) - Date.now()) < 60_000);
  assert.match(h.command, /node/);
  lock.release();
  assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false, 'released');
  lock.release(); // idempotent
});

hostile('concurrency', 'a second lock in the same process is refused (two calls training one run)', () => {
  const dir = runFolder();
  const lock = acquireRunLock(dir, quiet);
  try {
    assert.throws(() => acquireRunLock(dir, quiet), new RegExp(`^RunLockedError: ${esc(dir)} is being trained by another process: this process \\(pid ${process.pid}: another call is training it\\) on host ${esc(os.hostname())}, started \\S+, command: .*node.*\\. Wait for it to finish`));
  } finally {
    lock.release();
  }
  acquireRunLock(dir, quiet).release();
});

hostile('concurrency', 'a lock held by another live process: refused with its pid, host, start time and command', async () => {
  const dir = runFolder();
  const child = await lockChild(dir, 'wait');
  try {
    const pid = child.proc.pid!;
    const err = (() => { try { acquireRunLock(dir, quiet); return null; } catch (e) { return e; } })();
    assert.ok(err instanceof RunLockedError, String(err));
    assert.equal(err.holder!.pid, pid);
    assert.match(err.message, new RegExp(`^${esc(dir)} is being trained by another process: pid ${pid} on host ${esc(os.hostname())}, started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, command: \\S*node.*lock-child\\.ts.*wait\\. Wait for it to finish \\(the finished run is then reused\\) or stop it; if that process is gone, delete ${esc(path.join(dir, LOCK_FILE))}$`));
  } finally {
    child.proc.kill('SIGTERM');
    await child.done;
  }
});

hostile('concurrency', 'SIGTERM: the holder removes its lock and still dies by the signal', async () => {
  const dir = runFolder();
  const child = await lockChild(dir, 'wait');
  child.proc.kill('SIGTERM');
  assert.deepEqual(await child.done, { code: null, signal: 'SIGTERM' });
  assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false);
});

hostile('concurrency', 'SIGINT (Ctrl-C): the holder removes its lock and still dies by the signal', async () => {
  const dir = runFolder();
  const child = await lockChild(dir, 'wait');
  child.proc.kill('SIGINT');
  assert.deepEqual(await child.done, { code: null, signal: 'SIGINT' });
  assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false);
});

hostile('concurrency', 'an uncaught error in the holder releases the lock', async () => {
  const dir = runFolder();
  const child = await lockChild(dir, 'throw');
  const { code } = await child.done;
  assert.equal(code, 1);
  assert.match(child.out(), /child crashed/);
  assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false);
});

hostile('concurrency', 'process.exit in the holder releases the lock', async () => {
  const dir = runFolder();
  const child = await lockChild(dir, 'exit');
  assert.equal((await child.done).code, 3);
  assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false);
});

hostile('concurrency', 'kill -9 leaves a stale lock; the next trainer takes it over with a note', async () => {
  const dir = runFolder();
  const child = await lockChild(dir, 'wait');
  const pid = child.proc.pid!;
  child.proc.kill('SIGKILL');
  await child.done;
  assert.ok(fs.existsSync(path.join(dir, LOCK_FILE)), 'SIGKILL cannot clean up');
  const notes: string[] = [];
  const lock = acquireRunLock(dir, { log: (l) => notes.push(l) });
  assert.equal(lock.holder.pid, process.pid);
  assert.match(notes.join('\n'), new RegExp(`^note: taking over the stale lock ${esc(path.join(dir, LOCK_FILE))}: pid ${pid} \\(started \\S+, command: .*lock-child\\.ts.*\\) no longer runs on ${esc(os.hostname())}$`));
  lock.release();
  assert.deepEqual(fs.readdirSync(dir), [], 'no lock and no set-aside copy left');
});

hostile('concurrency', 'a stale lock whose pid now belongs to another process (pid reuse) is taken over', () => {
  const dir = runFolder();
  writeHolder(dir, { pid: process.pid, procStart: '1' }); // our pid, but a process started at another time
  const notes: string[] = [];
  const lock = acquireRunLock(dir, { log: (l) => notes.push(l) });
  assert.match(notes[0], new RegExp(`^note: taking over the stale lock .*: pid ${process.pid} \\(started 2024-01-02T03:04:05\\.000Z, command: node siamese train --preset default\\)`));
  lock.release();
});

hostile('concurrency', 'a lock from another host is never taken over: refused, saying to check there', () => {
  const dir = runFolder();
  const file = writeHolder(dir, { pid: 999_999, host: 'gpu-box-7' });
  assert.throws(() => acquireRunLock(dir, quiet), new RegExp(`pid \\d+ on host gpu-box-7, started 2024-01-02T03:04:05\\.000Z, command: node siamese train --preset default\\. .*if that process is gone \\(that machine is not this one, ${esc(os.hostname())}: check there\\), delete ${esc(file)}$`));
  assert.ok(fs.existsSync(file), 'the other host\'s lock stands');
});

hostile('concurrency', 'a dead pid from a lock of this host is stale', async () => {
  const dir = runFolder();
  const pid = await deadPid();
  writeHolder(dir, { pid });
  const notes: string[] = [];
  acquireRunLock(dir, { log: (l) => notes.push(l) }).release();
  assert.match(notes.join('\n'), new RegExp(`pid ${pid} .*no longer runs`));
});

hostile('concurrency', 'an old unreadable lock (garbage) is taken over with a note', () => {
  const dir = runFolder();
  const file = writeHolder(dir, {});
  fs.writeFileSync(file, '\0\0{garbage');
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(file, old, old);
  const notes: string[] = [];
  acquireRunLock(dir, { log: (l) => notes.push(l) }).release();
  assert.match(notes[0], new RegExp(`^note: ${esc(file)} was unreadable \\(10 bytes, \\d+ s old\\): a trainer died while creating it; taking it over$`));
});

hostile('concurrency', 'a fresh empty lock (another trainer is creating it) is not stolen', () => {
  const dir = runFolder();
  const file = writeHolder(dir, {});
  fs.writeFileSync(file, '');
  assert.throws(() => acquireRunLock(dir, quiet), new RegExp(`^RunLockedError: ${esc(dir)} is locked by another trainer \\(${esc(file)} is being written or unreadable\\); wait a moment and retry, or delete ${esc(file)} if no trainer is running$`));
  assert.equal(fs.readFileSync(file, 'utf8'), '');
});

hostile('concurrency', 'release never removes a lock another process has since taken', () => {
  const dir = runFolder();
  const lock = acquireRunLock(dir, quiet);
  const file = writeHolder(dir, { pid: 4242, token: 'someone-else' }); // e.g. after our lock was wrongly judged stale
  lock.release();
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).token, 'someone-else');
});

hostile('concurrency', 'a folder named run.lock is named as the problem', () => {
  const dir = runFolder();
  fs.mkdirSync(path.join(dir, LOCK_FILE), { recursive: true });
  assert.throws(() => acquireRunLock(dir, quiet), new RegExp(`^Error: ${esc(path.join(dir, LOCK_FILE))} is a folder, not a lock file; remove it and retry$`));
});

hostile('concurrency', 'ten processes race for one lock: exactly one wins', async () => {
  const dir = runFolder();
  fs.mkdirSync(dir, { recursive: true });
  const script = `const {acquireRunLock}=require(${JSON.stringify(path.join(__dirname, '../../lib/train/lock.ts'))});` +
    `try{acquireRunLock(process.argv[1],{log(){}});console.log('WON');setTimeout(()=>{},1500)}catch(e){console.log(e.name)}`;
  const outs = await Promise.all(Array.from({ length: 10 }, () => new Promise<string>((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('close', () => resolve(out.trim()));
  })));
  assert.equal(outs.filter((o) => o === 'WON').length, 1, outs.join(', '));
  assert.equal(outs.filter((o) => o === 'RunLockedError').length, 9, outs.join(', '));
  assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false, 'the winner released it on exit');
});

hostile('concurrency', 'two trainer processes of one run at once (issue item 7): one trains, the other exits saying who holds it; each epoch once', async () => {
  const data = await tinyFaces();
  const runs = tempRuns();
  const start = () => new Promise<{ code: number | null; out: string; pid: number }>((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'kill-child.ts'), data, runs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('close', (code) => resolve({ code, out, pid: p.pid! }));
  });
  const [a, b] = await Promise.all([start(), start()]);
  const [winner, loser] = a.code === 0 ? [a, b] : [b, a];
  assert.equal(winner.code, 0, winner.out);
  assert.equal(loser.code, 1, loser.out);
  const dir = path.join(runs, fs.readdirSync(runs)[0]);
  assert.match(loser.out, new RegExp(`RunLockedError: ${esc(dir)} is being trained by another process: pid ${winner.pid} on host ${esc(os.hostname())}, started \\S+, command: \\S*node .*kill-child\\.ts`));
  const epochs = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).epoch);
  assert.deepEqual(epochs, [1, 2], 'each epoch once');
  assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false);
});
