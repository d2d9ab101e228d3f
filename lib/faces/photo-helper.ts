/**
 * A second core for `siamese verify`: a `worker_threads` helper with its own tfjs wasm backend and its own
 * copy of face-api's detectors and landmark net reads and prepares photos (decode, the detection cascade, the
 * landmarks, the face check, the chip: {@link prepareDecoded}) while this thread prepares others. A pair's two
 * photos are prepared at once, one on each core, and their crops are described here together.
 *
 * The helper runs the same code on the same backend, so a photo prepared there gives the same face, landmarks,
 * chip and crop pixels as here (test/faces/photo-helper.test.ts checks it bit for bit). A photo whose cascade
 * runs to the end (no face: every detector on the photo and on its padded copies) is what this is for: it
 * no longer waits for the other photo's cascade.
 *
 * The helper loads its networks while this thread loads its own, and is `unref`'d while idle, so a process that
 * forgets {@link PhotoHelper.close} still exits. Requests are answered in order, one at a time. When the helper
 * dies, its pending photos are rejected with its error and {@link PhotoHelper.alive} turns false (the verifier
 * then prepares everything here).
 *
 * A photo's detection cascade is shared too (detect.ts, {@link SharedCascade}): when one thread's photo is done
 * early (the tiny detector found its face), it runs the passes the other thread's photo has not started yet
 * (padded, SSD) instead of waiting, and the owner takes the first pass that found a face, wherever it ran. Each
 * side sends the other a copy of the photo and a shared claim counter as it starts a cascade, and the outcome of
 * each pass it ran for the other.
 *
 * @see notebooks/07-personal-images.ipynb
 */
import { Worker } from 'node:worker_threads';
import { stopWorker, workerEntry } from '../util/worker-entry';
import type { BackendName } from '../backend';
import type { DecodedImage } from '../data/types';
import { helpCascade, SharedCascade, type CascadeShare, type PassOutcome } from './detect';
import type { PrepareOptions, PreparedFace } from './prepare-face';

/** How the helper prepares photos: JSON data (the helper thread gets a copy). */
export interface PhotoHelperConfig {
  /** What `prepareDecoded` gets (the `load` options included). */
  readonly prepare: PrepareOptions;
  /** Photos are scaled so their longer side is at most this when read (the detect config's `maxSide`). */
  readonly maxSide: number;
  /** The helper's backend (the calling thread's, normally `wasm`). */
  readonly backend: BackendName;
  /** Run the detector and the landmark net once on blank input before answering ready (default true). */
  readonly warmUp?: boolean;
}

/** A cascade one side shares with the other: its photo and the claim counter (`SharedCascade.buffer`). */
export interface SharedPhoto {
  readonly image: DecodedImage;
  readonly buffer: SharedArrayBuffer;
}

/** Messages to the helper thread. */
export type ToPhotoHelper =
  | { kind: 'prepare'; id: number; file: string }
  /** This thread started the cascade of its photo `ref`: run the passes it has not claimed when idle. */
  | { kind: 'help'; ref: number; photo: SharedPhoto }
  /** The outcome of pass `pass` of the helper's photo `id`, run here (null: failed here). */
  | { kind: 'pass'; id: number; pass: number; outcome: PassOutcome | null }
  /** Finish the photo in hand, skip the rest, and end the thread. */
  | { kind: 'close' };

/** Messages from the helper thread. */
export type FromPhotoHelper =
  | { kind: 'ready' }
  | { kind: 'start-failed'; error: string }
  | { kind: 'prepared'; id: number; prepared: PreparedFace }
  | { kind: 'failed'; id: number; error: { name: string; message: string } }
  /** The helper started the cascade of photo `id`. */
  | { kind: 'cascade'; id: number; photo: SharedPhoto }
  /** The outcome of pass `pass` of this thread's photo `ref`, run there. */
  | { kind: 'pass'; ref: number; pass: number; outcome: PassOutcome | null };

/**
 * The outcomes of the passes the other thread ran for this thread's cascades, by photo and pass: waited for by
 * {@link CascadeShare.theirs}, delivered as messages arrive (possibly before anyone waits for them).
 */
export class PassMailbox {
  /** Photos whose cascade is under way: outcomes for any other photo (a pass that ran after its face was found) are dropped. */
  private readonly open = new Set<number>();
  private readonly arrived = new Map<string, PassOutcome | null>();
  private readonly waiting = new Map<string, (o: PassOutcome | null) => void>();
  private dead = false;

  /** `photo`'s cascade starts: keep the outcomes that arrive for it. */
  expect(photo: number): void {
    this.open.add(photo);
  }

  /**
   * A cascade of `photo` that this thread owns and shares: its claims, the other thread's outcomes, and `done()`,
   * which closes it (no pass starts any more) and forgets its outcomes once the photo is prepared or failed.
   */
  own(photo: number): CascadeShare & { done(): void } {
    const cascade = SharedCascade.create();
    this.expect(photo);
    return {
      cascade,
      theirs: (pass) => this.theirs(photo, pass),
      done: () => {
        cascade.close();
        this.forget(photo);
      },
    };
  }

  deliver(photo: number, pass: number, outcome: PassOutcome | null): void {
    if (!this.open.has(photo)) return;
    const key = `${photo}:${pass}`;
    const w = this.waiting.get(key);
    if (w) {
      this.waiting.delete(key);
      w(outcome);
    } else {
      this.arrived.set(key, outcome);
    }
  }

  /** The other thread's outcome of pass `pass` of `photo` (null once that thread is gone: the pass runs here). */
  theirs(photo: number, pass: number): Promise<PassOutcome | null> {
    const key = `${photo}:${pass}`;
    if (this.arrived.has(key)) {
      const o = this.arrived.get(key)!;
      this.arrived.delete(key);
      return Promise.resolve(o);
    }
    if (this.dead || !this.open.has(photo)) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.set(key, resolve));
  }

  /** `photo`'s cascade is over: its outcomes not taken are dropped, and so are those still to come. */
  forget(photo: number): void {
    this.open.delete(photo);
    for (const key of [...this.arrived.keys()]) if (key.startsWith(`${photo}:`)) this.arrived.delete(key);
  }

  /** The other thread is gone: every wait, now and later, gets null. */
  close(): void {
    this.dead = true;
    for (const w of this.waiting.values()) w(null);
    this.waiting.clear();
  }
}

/** A running helper thread; see the module doc. */
export class PhotoHelper {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (p: PreparedFace) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;
  private closed = false;
  private nextRef = 0;
  /** Outcomes of the passes the helper ran for this thread's photos. */
  private readonly mailbox = new PassMailbox();
  /** The helper's cascades under way, which this thread may help with. */
  private readonly open = new Map<number, { readonly image: DecodedImage; readonly cascade: SharedCascade }>();
  /** Wake {@link helpUntil} calls when a cascade opens or a photo comes back. */
  private readonly wakers = new Set<() => void>();
  /** This thread's shared cascades not yet done: the helper may still send their passes' outcomes. */
  private sharing = 0;
  private passesHere = 0;
  private passesThere = 0;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: FromPhotoHelper) => this.receive(m));
    worker.on('error', (err) => this.fail(new Error(`photo helper thread failed: ${err.message}`)));
    worker.on('exit', (code) => { if (!this.closed) this.fail(new Error(`photo helper thread exited (code ${code})`)); });
    worker.unref();
  }

  /** Starts the helper and loads its networks; resolves once it is ready (rejects with its error). */
  static async start(config: PhotoHelperConfig): Promise<PhotoHelper> {
    const entry = workerEntry(__filename, 'photo-helper-thread');
    const worker = new Worker(entry, { eval: true, workerData: config });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: FromPhotoHelper) => {
        if (m.kind === 'ready') resolve();
        else {
          void worker.terminate();
          reject(new Error(`photo helper thread failed to start: ${m.kind === 'start-failed' ? m.error : JSON.stringify(m)}`));
        }
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`photo helper thread exited (code ${code}) before it was ready`)));
    });
    worker.removeAllListeners('message');
    worker.removeAllListeners('error');
    worker.removeAllListeners('exit');
    return new PhotoHelper(worker);
  }

  /** Cascade passes run for the other thread so far: here for the helper's photos, there for this thread's. */
  get sharedPasses(): { readonly here: number; readonly there: number } {
    return { here: this.passesHere, there: this.passesThere };
  }

  /** False once the helper has failed or been closed. */
  get alive(): boolean {
    return !this.closed && this.failure === undefined;
  }

  /** Reads and prepares one photo on the helper thread (`readPhoto` + `prepareDecoded`); errors keep their message. */
  prepare(file: string): Promise<PreparedFace> {
    if (this.closed) return Promise.reject(new Error('photo helper: prepare after close()'));
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<PreparedFace>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.keepAlive();
      this.worker.postMessage({ kind: 'prepare', id, file } satisfies ToPhotoHelper);
    });
  }

  /**
   * Shares this thread's cascade on `image` with the helper, which runs the passes not yet claimed here once its
   * own photos are done. Call the result's `done()` once the photo is prepared (or failed).
   */
  share(image: DecodedImage): CascadeShare & { done(): void } {
    const ref = this.nextRef++;
    const owned = this.mailbox.own(ref);
    if (this.alive) this.worker.postMessage({ kind: 'help', ref, photo: { image, buffer: owned.cascade.buffer } } satisfies ToPhotoHelper);
    else owned.cascade.close();
    this.sharing++;
    this.keepAlive();
    let open = true;
    return {
      ...owned,
      done: () => {
        owned.done();
        if (open) this.sharing--;
        open = false;
        this.keepAlive();
      },
    };
  }

  /**
   * Runs passes of the helper's cascades here (the ones it has not started) until `until` settles: what this
   * thread does once its own photos are prepared, instead of waiting. Resolves with the passes run here.
   */
  async helpUntil(until: Promise<unknown>, detect: PrepareOptions['detect'], load: PrepareOptions['load']): Promise<number> {
    let settled = false;
    let wake = (): void => undefined;
    const mark = (): void => {
      settled = true;
      wake();
    };
    until.then(mark, mark);
    let ran = 0;
    while (!settled && this.alive) {
      const next = this.open.entries().next();
      if (next.done) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          this.wakers.add(resolve);
        });
        this.wakers.delete(wake);
        continue;
      }
      const [id, { image, cascade }] = next.value;
      ran += await helpCascade(image, detect ?? {}, load ?? {}, cascade, (pass, outcome) => {
        if (this.alive) this.worker.postMessage({ kind: 'pass', id, pass, outcome } satisfies ToPhotoHelper);
      });
      this.open.delete(id);
    }
    this.passesHere += ran;
    return ran;
  }

  /** Stops the helper thread (pending photos are rejected). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectAll(new Error('photo helper closed'));
    await stopWorker(this.worker, { kind: 'close' } satisfies ToPhotoHelper);
  }

  private receive(m: FromPhotoHelper): void {
    if (m.kind === 'pass') {
      this.passesThere++;
      this.mailbox.deliver(m.ref, m.pass, m.outcome);
      return;
    }
    if (m.kind === 'cascade') {
      this.open.set(m.id, { image: m.photo.image, cascade: new SharedCascade(m.photo.buffer) });
      this.wakeAll();
      return;
    }
    if (m.kind !== 'prepared' && m.kind !== 'failed') return;
    this.open.delete(m.id);
    this.wakeAll();
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    this.keepAlive();
    if (m.kind === 'prepared') p.resolve(m.prepared);
    else {
      // the error's class stays in the helper; its name and message (which name the file) come back
      const err = new Error(m.error.message);
      err.name = m.error.name;
      p.reject(err);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.rejectAll(err);
  }

  private wakeAll(): void {
    for (const w of [...this.wakers]) w();
  }

  /** The helper keeps the process alive while this thread waits for it (photos pending, shared cascades open), not while idle. */
  private keepAlive(): void {
    if (this.alive && (this.pending.size > 0 || this.sharing > 0)) this.worker.ref();
    else this.worker.unref();
  }

  private rejectAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    // a dead helper's cascades: no pass of them starts here any more (its photos are prepared again on this thread)
    for (const { cascade } of this.open.values()) cascade.close();
    this.open.clear();
    this.mailbox.close();
    this.wakeAll();
    this.worker.unref();
  }
}
