/**
 * The helper thread of {@link PhotoHelper} (started by it; not for direct use): initialises its own backend,
 * warms the detector and the landmark net up, answers ready, then reads and prepares each photo it is sent, one
 * at a time, in the order sent.
 *
 * @see notebooks/07-personal-images.ipynb
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend/select';
import { readPhoto, warmUpDetection } from './detect';
import { prepareDecoded, type PreparedFace } from './prepare-face';
import type { FromPhotoHelper, PhotoHelperConfig, ToPhotoHelper } from './photo-helper';

const port = parentPort!;
const post = (m: FromPhotoHelper): void => port.postMessage(m);

async function prepare(config: PhotoHelperConfig, file: string): Promise<PreparedFace> {
  return prepareDecoded(file, await readPhoto(file, config.maxSide), config.prepare);
}

async function main(): Promise<void> {
  const config = workerData as PhotoHelperConfig;
  try {
    await initBackend({ backend: config.backend, quiet: true });
    if ((config.warmUp ?? true) && !(config.prepare.aligned && config.prepare.check === undefined)) {
      await warmUpDetection(config.prepare.detect, config.prepare.load);
    }
  } catch (err) {
    post({ kind: 'start-failed', error: (err as Error).stack ?? String(err) });
    return;
  }
  // one photo at a time, in order: the networks are not shared between interleaved cascades
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (msg: ToPhotoHelper) => {
    queue = queue.then(async () => {
      try {
        post({ kind: 'prepared', id: msg.id, prepared: await prepare(config, msg.file) });
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        post({ kind: 'failed', id: msg.id, error: { name: e.name, message: e.message } });
      }
    });
  });
  post({ kind: 'ready' });
}

void main();
