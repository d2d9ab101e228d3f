/**
 * The helper thread of {@link PhotoHelper} (started by it; not for direct use): initialises its own backend,
 * warms the detector and the landmark net up, answers ready, then reads and prepares each photo it is sent, one
 * at a time, in the order sent, sharing each photo's detection cascade with the calling thread; between photos it
 * runs the passes of the calling thread's cascades that are still unclaimed.
 *
 * @see notebooks/07-personal-images.ipynb
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend/select';
import { helpCascade, readPhoto, SharedCascade, warmUpDetection } from './detect';
import { prepareDecoded, runsDetection, type PreparedFace } from './prepare-face';
import { PassMailbox, type FromPhotoHelper, type PhotoHelperConfig, type ToPhotoHelper } from './photo-helper';
import { jobQueue } from '../util/worker-entry';

const port = parentPort!;
const post = (m: FromPhotoHelper): void => port.postMessage(m);
/** Outcomes of the passes the calling thread ran for this thread's photos. */
const mailbox = new PassMailbox();

async function prepare(config: PhotoHelperConfig, id: number, file: string): Promise<PreparedFace> {
  const photo = await readPhoto(file, config.maxSide);
  if (!runsDetection(config.prepare)) return prepareDecoded(file, photo, config.prepare);
  const share = mailbox.own(id);
  post({ kind: 'cascade', id, photo: { image: photo.image, buffer: share.cascade.buffer } });
  try {
    return await prepareDecoded(file, photo, config.prepare, share);
  } finally {
    share.done();
  }
}

async function main(): Promise<void> {
  const config = workerData as PhotoHelperConfig;
  try {
    await initBackend({ backend: config.backend, quiet: true });
    if ((config.warmUp ?? true) && runsDetection(config.prepare)) {
      await warmUpDetection(config.prepare.detect, config.prepare.load);
    }
  } catch (err) {
    post({ kind: 'start-failed', error: (err as Error).stack ?? String(err) });
    return;
  }
  // one photo (or one photo's passes) at a time, in order: the networks are not shared between interleaved cascades;
  // on close the thread ends itself once the photo in hand is done, so no file read is cut off (see stopWorker)
  const jobs = jobQueue();
  port.on('message', (msg: ToPhotoHelper) => {
    if (msg.kind === 'close') {
      jobs.close();
      return;
    }
    if (msg.kind === 'pass') {
      // answered at once: this thread's own cascade may be waiting for it
      mailbox.deliver(msg.id, msg.pass, msg.outcome);
      return;
    }
    jobs.add(async () => {
      if (msg.kind === 'help') {
        await helpCascade(msg.photo.image, config.prepare.detect ?? {}, config.prepare.load ?? {}, new SharedCascade(msg.photo.buffer),
          (pass, outcome) => post({ kind: 'pass', ref: msg.ref, pass, outcome }));
        return;
      }
      try {
        post({ kind: 'prepared', id: msg.id, prepared: await prepare(config, msg.id, msg.file) });
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        post({ kind: 'failed', id: msg.id, error: { name: e.name, message: e.message } });
      }
    });
  });
  post({ kind: 'ready' });
}

void main();
