/**
 * Helper threads: the source a `worker_threads` Worker (`eval: true`) runs to load a helper module that sits beside its caller:
 * the compiled `.js` when the caller is compiled (dist/), else the `.ts` through tsx (tests, notebooks, `npx tsx`).
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';

/** Worker source loading `<dir of callerFile>/<sibling>.ts|.js`; throws naming the file if it is missing. */
export function workerEntry(callerFile: string, sibling: string): string {
  const ts = callerFile.endsWith('.ts');
  const file = require.resolve(path.join(path.dirname(callerFile), `${sibling}${ts ? '.ts' : '.js'}`));
  return ts ? `require('tsx/cjs'); require(${JSON.stringify(file)});` : `require(${JSON.stringify(file)});`;
}

/**
 * Stops a helper thread the safe way: sends it `closeMessage`, on which it finishes the job in hand (its file reads
 * included) and ends its own thread; resolves when it has exited. `terminate()` is the fallback, after `timeoutMs`
 * or when the message cannot be sent. Terminating a thread while one of its `fs` promises is in flight aborts the
 * whole process on Node 20 (`Assertion failed: (req_wrap_async) != nullptr` in `node::fs::Stat`; nodejs/node#38418
 * and kin): a notebook kernel died that way when a pipeline was closed while its thread decoded the next batch.
 */
export function stopWorker(worker: Worker, closeMessage: unknown, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (worker.threadId < 0) {
      resolve(); // already exited
      return;
    }
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve();
    };
    const terminate = (): void => { void worker.terminate().then(finish, finish); };
    const timer = setTimeout(terminate, timeoutMs);
    worker.once('exit', finish);
    worker.ref(); // this process waits for the thread to end
    try {
      worker.postMessage(closeMessage);
    } catch {
      terminate();
    }
  });
}

/**
 * A helper thread's side of {@link stopWorker}: jobs run one at a time, in the order given; after `close()` the job in
 * hand finishes, the queued ones are skipped, and the thread ends itself.
 */
export function jobQueue(): { add(job: () => Promise<void>): void; close(): void } {
  let chain: Promise<void> = Promise.resolve();
  let closing = false;
  return {
    add(job) {
      chain = chain.then(() => (closing ? undefined : job()));
    },
    close() {
      closing = true;
      chain = chain.then(() => process.exit(0));
    },
  };
}
