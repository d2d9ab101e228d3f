// Interrupting a training cell through the real Jupyter protocol (issue 19): the kernel gets the interrupt a
// JupyterLab user sends, training stops at the next step with a checkpoint, the run is freed (no lock left),
// and running the cell again resumes from the checkpoint. Also the same in a terminal (SIGINT to `siamese
// train`-like code in a child process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as url from 'node:url';
import { jupyterPython, jupyterUnavailableReason, writeKernelSpec } from '../../lib/notebook';
import { LOCK_FILE } from '../../lib/train';
import { tempRuns, tinyConfig, tinyFaces } from './fixtures';

const root = path.resolve(__dirname, '..', '..');

// Drives one tslab kernel: runs cells, interrupts one when its output shows a marker, prints a JSON report.
const DRIVER = `
import json, os, queue, sys, time
from jupyter_client.manager import start_new_kernel
cells = json.loads(sys.argv[1])
km, kc = start_new_kernel(kernel_name='tslab', cwd=sys.argv[2])
report = []
try:
    for cell in cells:
        msg_id = kc.execute(cell['code'])
        out, interrupted, deadline = '', False, time.time() + 300
        while time.time() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if msg['parent_header'].get('msg_id') != msg_id:
                continue
            t, c = msg['msg_type'], msg['content']
            if t == 'stream':
                out += c['text']
            elif t == 'error':
                out += 'ERROR ' + c['ename'] + ': ' + c['evalue'] + '\\n'
            elif t == 'status' and c['execution_state'] == 'idle':
                break
            if cell.get('interruptAfter') and not interrupted and cell['interruptAfter'] in out:
                km.interrupt_kernel()
                interrupted = True
        if cell.get('settle'):
            time.sleep(cell['settle'])
        report.append({'out': out, 'interrupted': interrupted})
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
print(json.dumps(report))
`;

test('interrupting a training cell in Jupyter checkpoints, frees the run, and a rerun resumes', { timeout: 10 * 60_000 }, async (t) => {
  const why = jupyterUnavailableReason();
  if (why) {
    t.skip(`Jupyter is not available: ${why}`);
    return;
  }
  const runsDir = tempRuns();
  // long enough that the interrupt lands while training: many epochs of a tiny net
  const config = tinyConfig(await tinyFaces(), { name: 'interrupt', epochs: 400 });
  const configFile = path.join(runsDir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  // the kernel runs lib/ through tsx, so the test checks this tree, not an older dist/
  const jupyterPath = writeKernelSpec(path.join(runsDir, 'jupyter'), ['--import', url.pathToFileURL(require.resolve('tsx')).href]);
  const setup = `import * as fs from 'node:fs';
declare const require: (id: string) => any; // lib/ itself (with tsx), not the built package
const { train } = require(${JSON.stringify(path.join(root, 'lib', 'index.ts'))});
const config = JSON.parse(fs.readFileSync(${JSON.stringify(configFile)}, 'utf8'));
const runsDir = ${JSON.stringify(runsDir)};`;
  const run = `await train.runExperiment(config, { runsDir: runsDir, progress: 'none' }); // (tslab: no shorthand for a previous cell's names)`;
  const inspect = `console.log(JSON.stringify({ runs: fs.readdirSync(runsDir).filter((d) => d !== 'jupyter' && d !== 'config.json')
  .map((d) => ({ dir: d, files: fs.readdirSync(runsDir + '/' + d), ckpt: fs.readdirSync(runsDir + '/' + d + '/checkpoints') })) }));`;
  const cells = [
    { code: setup },
    { code: run, interruptAfter: 'epoch 3/400', settle: 3 },
    { code: inspect },
    { code: run, interruptAfter: 'epoch 5/400', settle: 3 },
    { code: inspect },
  ];
  const r = spawnSync(jupyterPython()!, ['-c', DRIVER, JSON.stringify(cells), root], {
    encoding: 'utf8', timeout: 8 * 60_000,
    env: { ...process.env, JUPYTER_PATH: jupyterPath, JUPYTER_PLATFORM_DIRS: '1', PYDEVD_DISABLE_FILE_VALIDATION: '1' },
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as Array<{ out: string; interrupted: boolean }>;
  const [setupOut, first, afterFirst, second, afterSecond] = report;
  assert.doesNotMatch(setupOut.out, /ERROR/, setupOut.out);
  assert.ok(first.interrupted, `the first cell never showed epoch 3: ${first.out}`);
  assert.match(first.out, /interrupt: stopping after this step and saving a checkpoint/);
  const state1 = JSON.parse(afterFirst.out) as { runs: Array<{ files: string[]; ckpt: string[] }> };
  assert.equal(state1.runs.length, 1);
  assert.ok(state1.runs[0].ckpt.includes('last.ckpt'), 'a checkpoint was written');
  assert.ok(!state1.runs[0].files.includes(LOCK_FILE), `the run was freed: ${state1.runs[0].files}`);
  assert.ok(second.interrupted, `the rerun never showed epoch 5: ${second.out}`);
  assert.match(second.out, /resuming from .*last\.ckpt: epoch [3-9]/, 'the rerun resumed, not restarted');
  assert.doesNotMatch(second.out, /epoch 1\/400/, 'epochs before the checkpoint were not trained again');
  assert.ok(!(JSON.parse(afterSecond.out) as typeof state1).runs[0].files.includes(LOCK_FILE));
});
