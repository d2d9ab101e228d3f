// `siamese lab` / `npm run lab`: the kernel spec it writes needs no PATH and no global install, and when no
// Jupyter front end is found it says what to install for the user's OS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatLabPlan, installHelp, planLab } from '../../lib/notebook';

test('the kernel spec is project-local, with absolute paths to this node and this project\'s tslab', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-lab-'));
  const plan = planLab({ jupyterPath: dir, args: ['--no-browser'] });
  assert.equal(plan.kernelSpec, path.join(dir, 'kernels', 'tslab', 'kernel.json'));
  const spec = JSON.parse(fs.readFileSync(plan.kernelSpec, 'utf8')) as { argv: string[]; display_name: string };
  assert.equal(spec.argv[0], process.execPath);
  assert.ok(fs.existsSync(spec.argv[1]) && spec.argv[1].endsWith(path.join('node_modules', 'tslab', 'bin', 'tslab')));
  assert.deepEqual(spec.argv.slice(2), ['kernel', '--config-path', '{connection_file}']);
  assert.equal(spec.display_name, 'TypeScript (siamese-lfw)');
  assert.ok(plan.env.JUPYTER_PATH?.split(path.delimiter).includes(dir), 'the front end sees the project-local Jupyter path');
  if (plan.frontEnd) {
    assert.deepEqual(plan.argv.slice(0, plan.frontEnd.command.length), plan.frontEnd.command);
    assert.ok(plan.argv.includes(`--notebook-dir=${plan.notebooksDir}`) && plan.argv.at(-1) === '--no-browser');
    assert.match(formatLabPlan(plan), /^kernel: "TypeScript \(siamese-lfw\)" registered in .*\nfront end: (JupyterLab|Jupyter Notebook) /);
  } else {
    assert.deepEqual(plan.argv, []);
    assert.match(plan.install, /^No Jupyter front end found/);
  }
});

test('with no front end, the install advice fits the OS', () => {
  const debian = installHelp('linux', true);
  assert.match(debian, /apt-get install --no-install-recommends jupyter-notebook/);
  assert.match(debian, /python3 -m pip install --user jupyterlab/);
  assert.match(debian, /conda install -c conda-forge jupyterlab/);
  assert.doesNotMatch(installHelp('linux', false), /apt-get/);
  assert.match(installHelp('darwin', false), /brew install jupyterlab/);
  const windows = installHelp('win32', false);
  assert.match(windows, /py -m pip install jupyterlab/);
  assert.doesNotMatch(windows, /python3 -m pip|apt-get|brew/);
  for (const text of [debian, windows]) assert.match(text, /npm run lab/);
});
