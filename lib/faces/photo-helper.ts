/**
 * A second core for `siamese verify`: a `worker_threads` helper with its own tfjs wasm backend and its own
 * copy of face-api's detectors and landmark net reads and prepares photos (decode, the detection cascade, the
 * landmarks, the face check, the chip: {@link prepareDecoded}) while this thread prepares others. A pair's two
 * photos are prepared at once, one on each core, and their crops are described here in one batch.
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
 * @see notebooks/07-personal-images.ipynb
 */
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../util/worker-entry';
import type { BackendName } from '../backend';
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

/** Messages to the helper thread. */
export type ToPhotoHelper = { kind: 'prepare'; id: number; file: string };

/** Messages from the helper thread. */
export type FromPhotoHelper =
  | { kind: 'ready' }
  | { kind: 'start-failed'; error: string }
  | { kind: 'prepared'; id: number; prepared: PreparedFace }
  | { kind: 'failed'; id: number; error: { name: string; message: string } };

/** A running helper thread; see the module doc. */
export class PhotoHelper {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (p: PreparedFace) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;
  private closed = false;

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
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ kind: 'prepare', id, file } satisfies ToPhotoHelper);
    });
  }

  /** Stops the helper thread (pending photos are rejected). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectAll(new Error('photo helper closed'));
    await this.worker.terminate();
  }

  private receive(m: FromPhotoHelper): void {
    if (m.kind !== 'prepared' && m.kind !== 'failed') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
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

  private rejectAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.worker.unref();
  }
}
