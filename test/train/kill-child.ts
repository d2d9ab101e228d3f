// Child process for resume-kill.slow.test.ts: trains the tiny experiment with a checkpoint after every step,
// printing "step N". With HANG_IN_CHECKPOINT_WRITE=k it freezes in the middle of writing its k-th checkpoint
// (after the header, before the tensors) and prints IN_WRITE, so the parent can kill -9 it right there.
import * as fs from 'node:fs';
import { runExperiment } from '../../lib/train';
import { tinyConfig } from './fixtures';

const [dataDir, runsDir] = process.argv.slice(2);
const hangAt = Number(process.env.HANG_IN_CHECKPOINT_WRITE ?? 0);
if (hangAt > 0) {
  // Patch the module object itself (an `import * as` namespace is a copy under CommonJS interop).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const realFs = require('node:fs') as typeof fs;
  const tmpFds = new Set<number>();
  let opened = 0;
  const openSync = realFs.openSync;
  const writeSync = realFs.writeSync as (fd: number, ...rest: unknown[]) => number;
  (realFs as { openSync: unknown }).openSync = (file: fs.PathLike, ...rest: unknown[]) => {
    const fd = (openSync as (f: fs.PathLike, ...r: unknown[]) => number)(file, ...rest);
    if (String(file).includes('.ckpt.tmp-') && ++opened === hangAt) tmpFds.add(fd);
    return fd;
  };
  let writes = 0;
  (realFs as { writeSync: unknown }).writeSync = (fd: number, ...rest: unknown[]) => {
    const n = writeSync(fd, ...rest);
    if (tmpFds.has(fd) && ++writes === 2) {
      writeSync(1, 'IN_WRITE\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // freeze here until killed
    }
    return n;
  };
}
runExperiment(tinyConfig(dataDir), {
  runsDir, checkpointEvery: 1, progress: 'none', log: () => undefined,
  onStep: (s) => void fs.writeSync(1, `step ${s}\n`),
}).then((r) => {
  fs.writeSync(1, `done ${r.dir}\n`);
  process.exit(0);
}, (err: unknown) => {
  fs.writeSync(2, `${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
