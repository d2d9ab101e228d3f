/**
 * The source a `worker_threads` Worker (`eval: true`) runs to load a helper module that sits beside its caller:
 * the compiled `.js` when the caller is compiled (dist/), else the `.ts` through tsx (tests, notebooks, `npx tsx`).
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as path from 'node:path';

/** Worker source loading `<dir of callerFile>/<sibling>.ts|.js`; throws naming the file if it is missing. */
export function workerEntry(callerFile: string, sibling: string): string {
  const ts = callerFile.endsWith('.ts');
  const file = require.resolve(path.join(path.dirname(callerFile), `${sibling}${ts ? '.ts' : '.js'}`));
  return ts ? `require('tsx/cjs'); require(${JSON.stringify(file)});` : `require(${JSON.stringify(file)});`;
}
