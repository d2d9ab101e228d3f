// Rich output that survives. A chart cell is run, then run again, in one tslab kernel through the real Jupyter
// protocol (nbclient), and the notebook is saved and signed (trusted), as Jupyter does when a user runs cells
// and saves. Then the charts must be drawn, in headless Chromium, on every page that shows the saved notebook:
// the rerun's output alone, nbconvert's HTML export beside the notebook and moved elsewhere, the project's own
// HTML (renderNotebookHtml), and the notebook reopened in a Jupyter Notebook server. The saved notebook holds no
// copy of plotly.js, and the in-process executor gives the same outputs as Jupyter.
//
// The kernel runs with tsx, so its cells use lib/ as it is now (not a possibly stale dist/). Skipped, with the
// reason, when Jupyter (nbclient), Chromium, nbconvert or the Notebook server is missing. The work folder (the
// notebooks, the pages, the screenshots) is removed after a pass and kept after a failure or with
// SIAMESE_KEEP_TEST_OUTPUT=1.
import { test, type TestContext } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as url from 'node:url';
import sharp from 'sharp';
import {
  executeNotebook, jupyterPython, jupyterUnavailableReason, readNotebook, renderNotebookHtml, TSLAB_METADATA, writeKernelSpec, writeNotebook,
  type Notebook, type Output,
} from '../../lib/notebook';
import { PLOTLY_CHART_ATTRIBUTE, PLOTLY_VERSION, SHARED_PLOTLY_PATH } from '../../lib/viz/plotly-html';

const root = path.resolve(__dirname, '..', '..');
const CRIMSON = [220, 20, 60] as const;

/** The test notebook: a chart cell (run twice) and a live chart updated once. */
function chartNotebook(): Notebook {
  const display = path.join(root, 'lib', 'viz', 'display');
  const code = (source: string) => ({ cell_type: 'code' as const, source, metadata: {}, outputs: [], execution_count: null });
  return {
    cells: [
      code('declare const require: (id: string) => any; // lib/ itself (with tsx), not the built package\n' +
        `const display = require(${JSON.stringify(display)});\n` +
        `const spec = { data: [{ type: 'bar', x: ['a', 'b', 'c'], y: [3, 1, 2], marker: { color: 'rgb(${CRIMSON.join(',')})' } }], ` +
        "layout: { title: { text: 'rerun me' }, height: 320, width: 640 } };"),
      code('display.plotly(spec);'),
      code("const live = display.plotlyLive();\nlive.update(spec);\nlive.update({ ...spec, layout: { ...spec.layout, title: { text: 'live, updated' } } });"),
    ].map((c, i) => ({ ...c, id: `cell-${i}` })),
    metadata: { ...TSLAB_METADATA }, nbformat: 4, nbformat_minor: 5,
  };
}

// Executes the code cells in order in one kernel, running cell `rerun` a second time right after its first
// run (keeping the first run's outputs in <out>.first.json), then saves and signs the notebook.
const RUNNER = `
import sys, json, copy, nbformat
from nbclient import NotebookClient
from nbformat.sign import NotebookNotary
src, out, rerun = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, timeout=300, kernel_name='tslab', resources={'metadata': {'path': sys.argv[4]}})
first, count = None, 0
with client.setup_kernel():
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != 'code':
            continue
        runs = 2 if i == rerun else 1
        for r in range(runs):
            count += 1
            client.execute_cell(cell, i, execution_count=count)
            if i == rerun and r == 0:
                first = copy.deepcopy(cell.outputs)
NotebookNotary().sign(nb)
nbformat.write(nb, out)
with open(out + '.first.json', 'w') as f:
    json.dump(first, f)
`;

function chromium(): string | null {
  const names = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'].filter((n): n is string => Boolean(n));
  return names.find((n) => spawnSync(n, ['--version'], { stdio: 'ignore', timeout: 30_000 }).status === 0) ?? null;
}

function pythonHas(module: string): boolean {
  const py = jupyterPython();
  return py !== null && spawnSync(py, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

const html = (o: Output | undefined): string => {
  const v = o && o.output_type !== 'stream' && o.output_type !== 'error' ? o.data['text/html'] : undefined;
  return v === undefined ? '' : Array.isArray(v) ? v.join('') : v;
};
const sameIds = (s: string): string => s.replace(/siamese-plot-[0-9a-f]+/g, 'siamese-plot-ID');

interface Browser { dom(page: string): string; screenshot(page: string, png: string): void }

function browser(exe: string, profile: string): Browser {
  const run = (args: string[]): string => {
    const r = spawnSync(exe, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', `--user-data-dir=${profile}`,
      '--window-size=1000,1500', '--virtual-time-budget=20000', ...args], { encoding: 'utf8', timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `chromium failed: ${r.error?.message ?? ''}${r.stderr}`);
    return r.stdout;
  };
  return {
    dom: (page) => run(['--dump-dom', page]),
    screenshot: (page, png) => { run([`--screenshot=${png}`, page]); },
  };
}

/** Asserts that the page drew `charts` Plotly charts: each chart div holds plotly's SVG, none says it failed. */
function assertChartsDrawn(dom: string, charts: number, where: string): void {
  const divs = dom.split(`${PLOTLY_CHART_ATTRIBUTE}="${PLOTLY_VERSION}"`).slice(1).map((s) => s.slice(0, s.indexOf('<script')));
  assert.equal(divs.length, charts, `${where}: ${charts} chart div(s) on the page`);
  divs.forEach((d, i) => {
    const failed = /Chart not drawn[^<]*/.exec(d);
    assert.ok(!failed, `${where}, chart ${i + 1}: ${failed?.[0]}`);
    assert.match(d, /class="main-svg"/, `${where}, chart ${i + 1}: no plot drawn`);
  });
}

/** The plotly.js scripts the page loaded (src attributes), if any. */
const loaded = (dom: string): string[] => [...dom.matchAll(/<script[^>]*\ssrc="([^"]*plotly[^"]*)"/g)].map((m) => m[1]);

/** Pixels of the bars' colour in a screenshot. */
async function crimsonPixels(png: string): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < info.width * info.height * 3; i += 3) {
    if (Math.abs(data[i] - CRIMSON[0]) < 12 && Math.abs(data[i + 1] - CRIMSON[1]) < 12 && Math.abs(data[i + 2] - CRIMSON[2]) < 12) n++;
  }
  return n;
}

/** One bar chart of 320 px covers well over this many pixels (three bars, ~100 px wide, 40-130 px tall). */
const BARS = 10_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(urlToPoll: string, seconds: number, log: () => string): Promise<void> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    try {
      if ((await fetch(urlToPoll)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${urlToPoll} did not answer in ${seconds} s:\n${log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('a chart cell rerun, saved, exported and reopened draws its chart everywhere; the notebook stays small', { timeout: 15 * 60_000 }, async (t: TestContext) => {
  const why = jupyterUnavailableReason();
  if (why) {
    t.skip(`Jupyter is not available: ${why}`);
    return;
  }
  const py = jupyterPython() as string;
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-rich-')));
  let passed = false;
  try {
    const nbDir = path.join(dir, 'nb');
    fs.mkdirSync(nbDir);
    const source = path.join(nbDir, 'charts.ipynb');
    const saved = path.join(nbDir, 'saved.ipynb');
    writeNotebook(source, chartNotebook());
    const tsx = url.pathToFileURL(require.resolve('tsx')).href;
    const env = {
      ...process.env, JUPYTER_PATH: writeKernelSpec(path.join(dir, 'jupyter'), ['--import', tsx]), JUPYTER_PLATFORM_DIRS: '1',
      JUPYTER_DATA_DIR: path.join(dir, 'data'), JUPYTER_CONFIG_DIR: path.join(dir, 'config'), JUPYTER_RUNTIME_DIR: path.join(dir, 'runtime'),
      PYDEVD_DISABLE_FILE_VALIDATION: '1',
    };
    const r = spawnSync(py, ['-c', RUNNER, source, saved, '1', nbDir], { encoding: 'utf8', env, timeout: 600_000 });
    assert.equal(r.status, 0, `nbclient failed:\n${r.stdout}${r.stderr}`);

    // What was saved: the rerun's output alone, self-sufficient, identical to the first run's but for its id.
    const nb = readNotebook(saved);
    const [, chart, live] = nb.cells;
    assert.deepEqual(nb.cells.map((c) => c.execution_count), [1, 3, 4], 'the chart cell ran twice (counts 2 and 3)');
    assert.equal(chart.outputs?.length, 1, 'the rerun replaced the first run\'s output');
    const rerunHtml = html(chart.outputs?.[0]);
    assert.match(rerunHtml, new RegExp(PLOTLY_CHART_ATTRIBUTE));
    const first = JSON.parse(fs.readFileSync(`${saved}.first.json`, 'utf8')) as Output[];
    assert.equal(first.length, 1);
    assert.notEqual(html(first[0]), rerunHtml);
    assert.equal(sameIds(rerunHtml), sameIds(html(first[0])), 'the rerun sends what the first run sent');
    assert.equal(live.outputs?.length, 1, 'the live chart was replaced in place');
    const liveOut = live.outputs?.[0];
    assert.ok(liveOut && liveOut.output_type === 'display_data');
    assert.match(JSON.stringify(liveOut.data['application/vnd.plotly.v1+json']), /live, updated/);
    assert.equal(typeof liveOut.data['application/vnd.plotly.v1+json'], 'object', 'the figure is saved as JSON, not as a string');
    const bytes = fs.statSync(saved).size;
    t.diagnostic(`saved notebook: ${bytes} bytes`);
    assert.ok(bytes < 30_000, `the saved notebook holds no plotly.js (${bytes} bytes)`);
    assert.ok(fs.statSync(path.join(nbDir, SHARED_PLOTLY_PATH)).size > 1_000_000, 'the kernel left the shared plotly.js beside the notebook');

    await t.test('the in-process executor gives the same outputs', async () => {
      const inProcess = await executeNotebook(source);
      assert.equal(inProcess.failure, null, inProcess.failure?.error);
      // Compared as nbformat means them: text as one string (a file may split it into lines), chart ids aside.
      const text = (k: string, v: unknown) => (/json$/.test(k) ? v : sameIds(Array.isArray(v) ? v.join('') : String(v)));
      const outputs = (n: Notebook) => n.cells.map((c) => (c.outputs ?? []).map((o) => (o.output_type === 'display_data'
        ? { ...o, data: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, text(k, v)])) } : o)));
      assert.deepEqual(outputs(inProcess.notebook), outputs(nb));
    });

    const exe = chromium();
    if (exe === null) {
      t.diagnostic('skipping the browser checks: no Chromium (tried $CHROMIUM, chromium, chromium-browser, google-chrome, google-chrome-stable)');
      await t.test('charts drawn in a browser', (s) => { s.skip('no Chromium on PATH (set CHROMIUM to its executable)'); });
      passed = true;
      return;
    }
    const chrome = browser(exe, path.join(dir, 'chrome-profile'));
    const shots = path.join(dir, 'screenshots');
    fs.mkdirSync(shots);
    t.diagnostic(`screenshots in ${shots} (kept after a failure or with SIAMESE_KEEP_TEST_OUTPUT=1)`);

    await t.test('the rerun output alone, with no plotly.js on the page', async () => {
      const page = path.join(nbDir, 'rerun-output-only.html');
      fs.writeFileSync(page, `<!doctype html><html><head><meta charset="utf-8"></head><body>${rerunHtml}</body></html>`);
      const dom = chrome.dom(url.pathToFileURL(page).href);
      assertChartsDrawn(dom, 1, 'rerun output');
      assert.deepEqual(loaded(dom), [`${SHARED_PLOTLY_PATH}?v=${PLOTLY_VERSION}`], 'plotly.js came from the shared file beside it');
      chrome.screenshot(url.pathToFileURL(page).href, path.join(shots, 'rerun-output-only.png'));
      assert.ok(await crimsonPixels(path.join(shots, 'rerun-output-only.png')) > BARS, 'the bars are on screen');
    });

    await t.test('nbconvert\'s HTML export, beside the notebook and moved elsewhere', async (s) => {
      if (!pythonHas('nbconvert')) {
        s.skip(`nbconvert is not installed for ${py}`);
        return;
      }
      const x = spawnSync(py, ['-m', 'nbconvert', '--to', 'html', '--output-dir', nbDir, '--output', 'exported', saved], { encoding: 'utf8', env, timeout: 300_000 });
      assert.equal(x.status, 0, x.stderr);
      const beside = path.join(nbDir, 'exported.html');
      assert.ok(fs.statSync(beside).size < 2_000_000, 'the export carries no plotly.js of ours');
      const besideDom = chrome.dom(url.pathToFileURL(beside).href);
      assertChartsDrawn(besideDom, 2, 'nbconvert export beside the notebook');
      assert.deepEqual(loaded(besideDom), [`${SHARED_PLOTLY_PATH}?v=${PLOTLY_VERSION}`]);
      chrome.screenshot(url.pathToFileURL(beside).href, path.join(shots, 'nbconvert-export.png'));
      assert.ok(await crimsonPixels(path.join(shots, 'nbconvert-export.png')) > 2 * BARS, 'both charts are on screen');

      const moved = path.join(dir, 'elsewhere', 'exported.html');
      fs.mkdirSync(path.dirname(moved));
      fs.copyFileSync(beside, moved);
      const movedDom = chrome.dom(url.pathToFileURL(moved).href);
      assertChartsDrawn(movedDom, 2, 'nbconvert export moved elsewhere');
      assert.deepEqual(loaded(movedDom), [`${url.pathToFileURL(path.join(nbDir, SHARED_PLOTLY_PATH)).href}?v=${PLOTLY_VERSION}`], 'the shared file on this machine');
    });

    await t.test('the project\'s HTML (renderNotebookHtml): plotly.js inline, once', async () => {
      const page = path.join(dir, 'project-html', 'saved.html');
      fs.mkdirSync(path.dirname(page));
      const text = renderNotebookHtml(nb, 'saved');
      assert.equal(text.match(/window\.Plotly = Plotly/g)?.length, 1, 'one copy of plotly.js on the page');
      fs.writeFileSync(page, text);
      const dom = chrome.dom(url.pathToFileURL(page).href);
      assertChartsDrawn(dom, 2, 'renderNotebookHtml');
      assert.deepEqual(loaded(dom), [], 'nothing loaded: the page has plotly.js');
      chrome.screenshot(url.pathToFileURL(page).href, path.join(shots, 'project-html.png'));
      assert.ok(await crimsonPixels(path.join(shots, 'project-html.png')) > 2 * BARS, 'both charts are on screen');
    });

    await t.test('reopened in a Jupyter Notebook server', async (s) => {
      if (!pythonHas('notebook')) {
        s.skip(`the Jupyter Notebook server is not installed for ${py}`);
        return;
      }
      // A copy: the front end may autosave what it opened. No kernel spec on this server's path, so nothing runs.
      fs.copyFileSync(saved, path.join(nbDir, 'reopened.ipynb'));
      const port = await freePort();
      const server = spawn(py, ['-m', 'notebook', '--no-browser', '--ip=127.0.0.1', `--port=${port}`, `--notebook-dir=${nbDir}`, '--allow-root',
        '--NotebookApp.token=', '--NotebookApp.password=', '--ServerApp.token=', '--ServerApp.password=', '--IdentityProvider.token='],
      { env: { ...env, JUPYTER_PATH: path.join(dir, 'no-kernels') }, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      server.stdout.on('data', (d: Buffer) => { log += d.toString(); });
      server.stderr.on('data', (d: Buffer) => { log += d.toString(); });
      try {
        await waitFor(`http://127.0.0.1:${port}/api`, 90, () => log);
        const dom = chrome.dom(`http://127.0.0.1:${port}/notebooks/reopened.ipynb`);
        assertChartsDrawn(dom, 2, 'Jupyter Notebook');
        assert.deepEqual(loaded(dom), [`/files/${SHARED_PLOTLY_PATH}?v=${PLOTLY_VERSION}`], 'plotly.js came from the Jupyter server');
      } finally {
        server.kill('SIGTERM');
        await new Promise((resolve) => { if (server.exitCode !== null) resolve(null); else server.on('exit', resolve); });
      }
    });
    passed = true;
  } finally {
    if (passed && !process.env.SIAMESE_KEEP_TEST_OUTPUT) fs.rmSync(dir, { recursive: true, force: true });
    else t.diagnostic(`kept for inspection: ${dir}`);
  }
});

test('renderNotebookHtml inlines plotly.js once per page with charts, and not at all without', () => {
  const chartOutput = (n: number): Output => ({ output_type: 'display_data', metadata: {}, data: { 'text/html': `<div id="c${n}" ${PLOTLY_CHART_ATTRIBUTE}="${PLOTLY_VERSION}"></div>` } });
  const nb = (outputs: Output[]): Notebook => ({
    cells: [{ cell_type: 'code', source: 'x', metadata: {}, outputs, execution_count: 1 }], metadata: {}, nbformat: 4, nbformat_minor: 5,
  });
  const two = renderNotebookHtml(nb([chartOutput(1), chartOutput(2)]), 't');
  assert.equal(two.match(/window\.Plotly = Plotly/g)?.length, 1);
  assert.ok(two.indexOf('window.Plotly = Plotly') < two.indexOf('</head>'), 'in the head, before any chart');
  const none = renderNotebookHtml(nb([{ output_type: 'stream', name: 'stdout', text: 'no charts' }]), 't');
  assert.doesNotMatch(none, /Plotly/);
});
