// Child process for lock.test.ts: takes the run lock of folder argv[2], prints "LOCKED <pid>", then, by
// argv[3]: `wait` (until a signal), `throw` (an uncaught error), `exit` (process.exit(3)), `release` (release, exit 0).
import * as fs from 'node:fs';
import { acquireRunLock } from '../../lib/train/lock';

const [dir, mode] = process.argv.slice(2);
const lock = acquireRunLock(dir, { log: (l) => void fs.writeSync(2, `${l}\n`) });
fs.writeSync(1, `LOCKED ${process.pid}\n`);
if (mode === 'wait') setInterval(() => undefined, 1000);
else if (mode === 'throw') setTimeout(() => { throw new Error('child crashed'); }, 10);
else if (mode === 'exit') process.exit(3);
else lock.release();
