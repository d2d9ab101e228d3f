// Notebook tier: every notebook executes top to bottom on the default data, each in a fresh process, within
// the time budget its header states (a notebook that fills caches on its first run is run a second time, warm,
// against the workshop budget); then every notebook runs again through the real Jupyter protocol, with the
// kernel spec the README's `npm run lab` writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tslabRuntime, type TslabConverter } from '../../lib/util/tslab';
import {
  executeNotebookIsolated, executeWithJupyter, fillsCaches, importedPackages, jupyterUnavailableReason, listNotebooks, notebookBudget, readNotebook,
  renderNotebookHtml, startNotebookIsolated, TSLAB_METADATA, warmConverter, writeNotebook, type Notebook,
} from '../../lib/notebook';

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-nb-'));

function outputsOf(nb: Notebook): string[] {
  return nb.cells.flatMap((c) => (c.outputs ?? []).flatMap((o) => (o.output_type === 'display_data' || o.output_type === 'execute_result' ? Object.keys(o.data) : [o.output_type])));
}

for (const file of listNotebooks()) {
  const name = path.basename(file, '.ipynb');
  test(`notebook ${name} executes in a fresh kernel within its time budget`, { timeout: 20 * 60_000 }, async () => {
    const budget = notebookBudget(readNotebook(file), file);
    const r = await executeNotebookIsolated(file, path.join(outDir, `${name}.ipynb`));
    assert.equal(r.failure, null, r.failure ? `cell ${r.failure.cell}: ${r.failure.error}` : '');
    const codeCells = r.notebook.cells.filter((c) => c.cell_type === 'code');
    assert.ok(codeCells.every((c) => typeof c.execution_count === 'number'), 'every code cell ran');
    assert.ok(r.seconds <= budget.firstRunSeconds, `${name} took ${r.seconds.toFixed(1)} s, over its first-run budget of ${budget.firstRunSeconds} s`);
    assert.ok(renderNotebookHtml(r.notebook, name).includes('<html>'));
    if (fillsCaches(budget)) {
      const warm = await executeNotebookIsolated(file, path.join(outDir, `${name}-warm.ipynb`));
      assert.equal(warm.failure, null, warm.failure ? `warm run, cell ${warm.failure.cell}: ${warm.failure.error}` : '');
      assert.ok(warm.seconds <= budget.warmSeconds, `${name} took ${warm.seconds.toFixed(1)} s with its caches warm, over its workshop budget of ${budget.warmSeconds} s`);
    }
  });
}

test('a failing cell stops the run and names the cell and the error', async () => {
  const nb: Notebook = {
    cells: [
      { cell_type: 'markdown', source: '# x', metadata: {} },
      { cell_type: 'code', source: 'const a = 1;\nconsole.log("first", a);', metadata: {}, outputs: [], execution_count: null },
      { cell_type: 'code', source: 'throw new Error("boom in cell three");', metadata: {}, outputs: [], execution_count: null },
      { cell_type: 'code', source: 'console.log("never");', metadata: {}, outputs: [], execution_count: null },
    ],
    metadata: { ...TSLAB_METADATA }, nbformat: 4, nbformat_minor: 5,
  };
  const file = path.join(outDir, '98-failing.ipynb');
  writeNotebook(file, nb);
  const r = await executeNotebookIsolated(file, path.join(outDir, 'out-98.ipynb'));
  assert.ok(r.failure);
  assert.equal(r.failure.cell, 3);
  assert.match(r.failure.error, /boom in cell three/);
  assert.match(JSON.stringify(r.notebook.cells[1].outputs), /first 1/);
  assert.equal(r.notebook.cells[3].execution_count, null, 'cells after the failure do not run');
});

test('a type error is reported with its cell, before anything runs', async () => {
  const nb: Notebook = {
    cells: [{ cell_type: 'code', source: 'const n: number = "text";', metadata: {}, outputs: [], execution_count: null }],
    metadata: { ...TSLAB_METADATA }, nbformat: 4, nbformat_minor: 5,
  };
  const file = path.join(outDir, '97-type-error.ipynb');
  writeNotebook(file, nb);
  const r = await executeNotebookIsolated(file, path.join(outDir, 'out-97.ipynb'));
  assert.equal(r.failure?.cell, 1);
  assert.match(r.failure?.error ?? '', /not assignable to type 'number'/);
});

test('importedPackages: the packages a cell imports from, not its local files', () => {
  const cell = "import * as tf from '@tensorflow/tfjs';\nimport { apps, data } from \"siamese-lfw\";\nimport { helper } from './helper';\n" +
    "import * as fs from 'node:fs';\nimport x from '/abs/x';\nimport { data as d2 } from 'siamese-lfw';";
  assert.deepEqual(importedPackages(cell), ['@tensorflow/tfjs', 'siamese-lfw', 'node:fs']);
  assert.deepEqual(importedPackages('const a = 1;'), []);
});

test('warmConverter: package types warm the converter; a local file would be used up, so it says to start a new one', () => {
  const dir = fs.mkdtempSync(path.join(outDir, 'warm-'));
  fs.writeFileSync(path.join(dir, 'helper.ts'), 'export function twice(n: number): number { return 2 * n; }\n');
  const cwd = process.cwd();
  process.chdir(dir); // tslab's converter works in the directory it was created in
  const converters: Array<{ close(): void }> = [];
  try {
    const fresh = () => {
      const c = tslabRuntime().createConverter({ isJS: false, isBrowser: false });
      converters.push(c);
      return c;
    };
    const cell = "import { twice } from './helper';\nconsole.log(twice(2));";
    const warm = fresh();
    assert.equal(warmConverter(warm, ['node:fs', 'node:path']), true);
    assert.ok(warm.convert('', cell).sideOutputs, 'the local file is still handed over after a warm-up on packages');
    const used = fresh();
    assert.equal(warmConverter(used, ['./helper']), false);
    assert.equal(used.convert('', cell).sideOutputs, undefined, 'this converter no longer hands the file over: hence a new one');
  } finally {
    process.chdir(cwd);
    for (const c of converters) c.close();
  }
});

const codeCell = (source: string): Notebook['cells'][number] => ({ cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null });

test('a started kernel gets ready, waits for run(), and counts its getting ready in the notebook\'s time', { timeout: 120_000 }, async () => {
  const marker = path.join(outDir, 'started-marker.txt');
  const file = path.join(outDir, '96-started.ipynb');
  writeNotebook(file, {
    cells: [codeCell(`import * as fs from 'node:fs';\nimport * as path from 'node:path';\nfs.writeFileSync(${JSON.stringify(marker)}, String(Date.now()));`), codeCell('console.log("second", 1 + 1);')],
    metadata: { ...TSLAB_METADATA }, nbformat: 4, nbformat_minor: 5,
  });
  const started = startNotebookIsolated(file, path.join(outDir, 'out-96.ipynb'));
  await new Promise((r) => setTimeout(r, 4000));
  assert.equal(fs.existsSync(marker), false, 'no cell runs before run()');
  const told = Date.now();
  const r = await started.run();
  assert.equal(r.failure, null, r.failure?.error);
  assert.ok(Number(fs.readFileSync(marker, 'utf8')) >= told, 'the first cell ran after run()');
  assert.match(JSON.stringify(r.notebook.cells[1].outputs), /second 2/);
  assert.ok(r.kernelSeconds > 0 && r.seconds > r.kernelSeconds, `kernel ${r.kernelSeconds} s within the notebook's ${r.seconds} s`);
});

test('a started kernel that is cancelled exits without running a cell', { timeout: 120_000 }, async () => {
  const marker = path.join(outDir, 'cancelled-marker.txt');
  const file = path.join(outDir, '95-cancelled.ipynb');
  writeNotebook(file, {
    cells: [codeCell(`import * as fs from 'node:fs';\nfs.writeFileSync(${JSON.stringify(marker)}, 'ran');`)],
    metadata: { ...TSLAB_METADATA }, nbformat: 4, nbformat_minor: 5,
  });
  const started = startNotebookIsolated(file, path.join(outDir, 'out-95.ipynb'));
  await started.cancel();
  assert.equal(fs.existsSync(marker), false);
  assert.equal(fs.existsSync(path.join(outDir, 'out-95.ipynb')), false, 'nothing was written');
});

test('a notebook whose first cell imports a local TypeScript file runs in a started kernel', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(outDir, 'local-'));
  fs.writeFileSync(path.join(dir, 'helper.ts'), 'export function twice(n: number): number { return 2 * n; }\n');
  const file = path.join(dir, '94-local.ipynb');
  writeNotebook(file, {
    cells: [codeCell("import { twice } from './helper';\nimport * as path from 'node:path';\nconsole.log('twice', twice(21), path.basename('a/b'));")],
    metadata: { ...TSLAB_METADATA }, nbformat: 4, nbformat_minor: 5,
  });
  const r = await startNotebookIsolated(file, path.join(dir, 'out-94.ipynb')).run();
  assert.equal(r.failure, null, r.failure?.error);
  assert.match(JSON.stringify(r.notebook.cells[0].outputs), /twice 42 b/);
});

// The README's route, as written: `npm run lab` registers the kernel (here with --no-start, which stops
// before starting the server), then every notebook runs through the real Jupyter protocol (nbclient talks
// to the kernel over ZeroMQ exactly as JupyterLab does) with that kernel spec. The caches are warm by now.
test('README route: every notebook executes through Jupyter with the kernel spec `npm run lab` writes', { timeout: 30 * 60_000 }, async (t) => {
  const why = jupyterUnavailableReason();
  if (why) {
    t.skip(`Jupyter is not available: ${why}`);
    return;
  }
  const root = path.resolve(__dirname, '..', '..');
  const jupyterPath = path.join(root, 'artifacts', 'jupyter');
  fs.rmSync(path.join(jupyterPath, 'kernels', 'tslab'), { recursive: true, force: true });
  const lab = spawnSync('npm', ['run', '--silent', 'lab', '--', '--no-start'], { cwd: root, encoding: 'utf8' });
  assert.ok([0, 2].includes(lab.status ?? -1), `npm run lab failed: ${lab.stdout}${lab.stderr}`);
  assert.match(lab.stdout, /registered in artifacts\/jupyter\/kernels\/tslab\/kernel\.json/);
  const spec = JSON.parse(fs.readFileSync(path.join(jupyterPath, 'kernels', 'tslab', 'kernel.json'), 'utf8')) as { argv: string[] };
  assert.ok(path.isAbsolute(spec.argv[0]) && path.isAbsolute(spec.argv[1]), 'the kernel spec needs no PATH');
  for (const file of listNotebooks()) {
    const name = path.basename(file, '.ipynb');
    await t.test(name, () => {
      const out = path.join(outDir, `${name}-jupyter.ipynb`);
      const r = executeWithJupyter(file, out, 600, jupyterPath);
      assert.ok(r.ok, r.log);
      const nb = readNotebook(out);
      const kinds = outputsOf(nb);
      assert.ok(!kinds.includes('error'), 'no cell errored');
      assert.ok(nb.cells.filter((c) => c.cell_type === 'code').every((c) => typeof c.execution_count === 'number'), 'every code cell ran');
      if (name.startsWith('00')) {
        assert.ok(kinds.includes('image/png'), 'the sharp image was displayed');
        assert.ok(kinds.includes('application/vnd.plotly.v1+json') && kinds.includes('text/html'), 'the Plotly chart was displayed');
        assert.match(JSON.stringify(nb.cells), /backend: (wasm|cpu|tfjs-node|tfjs-node-gpu)/);
      }
    });
  }
});
