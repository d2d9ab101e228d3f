// viz.display's chart outputs: every one carries its own small loader (never plotly.js, never a reference to
// an earlier output), the shared plotly.js beside the notebook is kept current, and the loader finds that file
// on each kind of page (classic Notebook, JupyterLab, an exported file) before falling back to the CDN.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { display, type ImagePlotSpec, type PlotSpec } from '../../lib/viz';
import {
  PLOTLY_CDN_URL, PLOTLY_CHART_ATTRIBUTE, PLOTLY_VERSION, SHARED_PLOTLY_PATH, ensureSharedPlotly, plotDiv, plotlyLoaderConfig, plotlyLoaderSource,
} from '../../lib/viz/plotly-html';

interface Sent { data: Record<string, unknown>; transient: { display_id?: string }; update: boolean }
const htmlOf = (s: Sent): string => s.data['text/html'] as string;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const tslab = require('tslab/dist/jupyter') as { lastWriteDisplayData: ((msg: Omit<Sent, 'update'>, update: boolean) => void) | null };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const plotlySource = require.resolve('plotly.js-dist');
const sha = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const Q = `?v=${PLOTLY_VERSION}`;

const bar: PlotSpec = { data: [{ type: 'bar', x: ['a', 'b'], y: [1, 2] }], layout: { title: { text: 'two bars' }, height: 300 } };
const withImages: PlotSpec = {
  data: [{ type: 'scatter', mode: 'markers', x: [0, 1], y: [0, 1], customdata: [0, 1] }],
  layout: { title: { text: 'map' } }, images: ['data:image/jpeg;base64,AAAA', 'data:image/jpeg;base64,BBBB'],
} as ImagePlotSpec;

/** Runs `fn` as if inside a tslab cell whose kernel runs in `dir`; returns what it displayed. */
function inCell(dir: string, fn: () => void): Sent[] {
  const sent: Sent[] = [];
  const cwd = process.cwd();
  process.chdir(dir);
  tslab.lastWriteDisplayData = (msg, update) => { sent.push({ ...msg, update }); };
  try {
    fn();
  } finally {
    tslab.lastWriteDisplayData = null;
    process.chdir(cwd);
  }
  return sent;
}

/** The same HTML with its chart ids made equal. */
const sameIds = (html: string): string => html.replace(/siamese-plot-[0-9a-f]+/g, 'siamese-plot-ID');

/** Asserts `html` is a chart that draws on its own: its div, the loader, the shared file, and no plotly.js. */
function assertSelfSufficient(html: string, sharedFile: string | null): void {
  assert.match(html, new RegExp(`<div id="siamese-plot-[0-9a-f]+" ${PLOTLY_CHART_ATTRIBUTE}="${PLOTLY_VERSION.replace(/\./g, '\\.')}"`));
  assert.ok(html.includes(plotlyLoaderSource()), 'the loader is inlined');
  const config = JSON.stringify(plotlyLoaderConfig(sharedFile ?? undefined));
  assert.ok(html.includes(config), `the loader is told where plotly.js is: ${config}`);
  assert.ok(html.length < 6000, `a chart output stays small (${html.length} characters)`);
  assert.doesNotMatch(html, /plotly\.js v\d|window\.Plotly = Plotly/, 'no copy of plotly.js in the output');
}

let dir: string;
before(() => { dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'siamese-display-'))); });
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('display.plotly', () => {
  it('sends the Plotly JSON and an HTML chart that draws on its own, the second time exactly as the first', () => {
    const sent = inCell(dir, () => { display.plotly(bar); display.plotly(bar); });
    assert.equal(sent.length, 2, 'one output per chart, nothing else (no separate plotly.js output)');
    const shared = path.join(dir, SHARED_PLOTLY_PATH);
    for (const s of sent) {
      assert.deepEqual(Object.keys(s.data).sort(), ['application/vnd.plotly.v1+json', 'text/html', 'text/plain']);
      assert.deepEqual(s.data['application/vnd.plotly.v1+json'], bar, 'the figure itself, not a JSON string');
      assert.equal(s.data['text/plain'], '[plot: two bars]');
      assert.equal(s.update, false);
      assertSelfSufficient(htmlOf(s), shared);
    }
    assert.notEqual(htmlOf(sent[0]), htmlOf(sent[1]), 'each chart has its own div id');
    assert.equal(sameIds(htmlOf(sent[1])), sameIds(htmlOf(sent[0])), 'a rerun sends the same self-sufficient output');
  });

  it('keeps one shared, git-ignored copy of plotly.js beside the notebook, and replaces a stale one', () => {
    const shared = path.join(dir, SHARED_PLOTLY_PATH);
    inCell(dir, () => display.plotly(bar));
    assert.equal(sha(shared), sha(plotlySource), 'the shared file is the installed plotly.js');
    assert.match(fs.readFileSync(path.join(path.dirname(shared), '.gitignore'), 'utf8'), /^\*$/m);
    assert.deepEqual(fs.readdirSync(path.dirname(shared)).sort(), ['.gitignore', 'plotly.js'], 'no temporary files left behind');
    fs.writeFileSync(shared, '/** plotly.js v0.0.1 */');
    inCell(dir, () => display.plotly(bar));
    assert.equal(sha(shared), sha(plotlySource), 'an outdated copy was replaced');
    const mtime = fs.statSync(shared).mtimeMs;
    assert.equal(ensureSharedPlotly(dir), shared);
    assert.equal(fs.statSync(shared).mtimeMs, mtime, 'a current copy is left alone');
  });

  it('a figure with hover images goes as self-sufficient HTML only', () => {
    const [s] = inCell(dir, () => display.plotly(withImages));
    assert.deepEqual(Object.keys(s.data).sort(), ['text/html', 'text/plain']);
    const html = htmlOf(s);
    assertSelfSufficient(html.replace(/data:image\/jpeg;base64,[A-Z]+/g, ''), path.join(dir, SHARED_PLOTLY_PATH));
    assert.match(html, /gd\.on\("plotly_hover"/);
  });

  it('when the notebook folder cannot take the shared file, charts still go out (CDN only) and the reason is said once', () => {
    const ro = fs.mkdtempSync(path.join(dir, 'blocked-'));
    fs.writeFileSync(path.join(ro, '_assets'), 'a file where the folder would go');
    const errors: string[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => { errors.push(args.join(' ')); };
    let sent: Sent[];
    try {
      sent = inCell(ro, () => { display.plotly(bar); display.plotly(bar); });
    } finally {
      console.error = error;
    }
    assert.equal(sent.length, 2);
    for (const s of sent) assertSelfSufficient(htmlOf(s), null);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /cannot write .*_assets\/plotly\.js .*CDN/);
  });

  it('outside a notebook prints a line and writes nothing', () => {
    const quiet = fs.mkdtempSync(path.join(dir, 'cli-'));
    const lines: string[] = [];
    const log = console.log;
    const cwd = process.cwd();
    process.chdir(quiet);
    console.log = (...args: unknown[]) => { lines.push(args.join(' ')); };
    try {
      display.plotly(bar);
      display.plotlyLive().update(bar);
    } finally {
      console.log = log;
      process.chdir(cwd);
    }
    assert.deepEqual(lines, ['[plot: two bars]', '[plot: two bars]']);
    assert.deepEqual(fs.readdirSync(quiet), []);
  });
});

describe('display.plotlyLive', () => {
  it('shows the chart once and replaces it in place; every update draws on its own', () => {
    const updated: PlotSpec = { ...bar, layout: { ...bar.layout, title: { text: 'after epoch 2' } } };
    const sent = inCell(dir, () => { const live = display.plotlyLive(); live.update(bar); live.update(updated); });
    assert.equal(sent.length, 2, 'one message per update, no separate plotly.js output');
    assert.deepEqual(sent.map((s) => s.update), [false, true]);
    assert.ok(sent[0].transient.display_id);
    assert.equal(sent[1].transient.display_id, sent[0].transient.display_id);
    assert.deepEqual(sent[1].data['application/vnd.plotly.v1+json'], updated);
    for (const s of sent) assertSelfSufficient(htmlOf(s), path.join(dir, SHARED_PLOTLY_PATH));
    const other = inCell(dir, () => display.plotlyLive().update(bar));
    assert.notEqual(other[0].transient.display_id, sent[0].transient.display_id, 'each live chart has its own display id');
  });
});

// The loader, run against fake pages: which URLs it tries, in which order, and how it shares one load.
interface FakeScript { src: string; onload: (() => void) | null; onerror: (() => void) | null; parentNode: unknown }
interface FakePage { load(): Promise<unknown>; scripts: FakeScript[]; window: Record<string, unknown> }

function fakePage(options: { body?: Record<string, string>; config?: object; protocol?: string; sharedFile?: string }): FakePage {
  const scripts: FakeScript[] = [];
  const body = options.body ?? {};
  const head = {
    appendChild(s: FakeScript) { s.parentNode = head; scripts.push(s); },
    removeChild(s: FakeScript) { s.parentNode = null; },
  };
  const document = {
    body: { hasAttribute: (k: string) => k in body, getAttribute: (k: string) => body[k] ?? null },
    head,
    getElementById: (id: string) => (id === 'jupyter-config-data' && options.config ? { textContent: JSON.stringify(options.config) } : null),
    createElement: (): FakeScript => ({ src: '', onload: null, onerror: null, parentNode: null }),
  };
  const window: Record<string, unknown> = {};
  const context = vm.createContext({ window, document, location: { protocol: options.protocol ?? 'http:' }, Promise, Error, JSON, encodeURIComponent });
  const loader = vm.runInContext(plotlyLoaderSource(), context) as (o: unknown) => Promise<unknown>;
  const config = plotlyLoaderConfig(options.sharedFile);
  return { load: () => loader(config), scripts, window };
}

/** Lets every script fail; returns the URLs tried and the rejection. */
async function failAll(page: FakePage): Promise<{ urls: string[]; error: Error }> {
  const pending = page.load();
  for (let i = 0; i < 50 && page.scripts[i]; i++) page.scripts[i].onerror!();
  const error = await pending.then(() => { throw new Error('resolved'); }, (e: Error) => e);
  return { urls: page.scripts.map((s) => s.src), error };
}

describe('the plotly.js loader', () => {
  const shared = '/srv/proj/notebooks/_assets/plotly.js';

  it('classic Notebook: the file beside the open notebook first, then the usual server roots, then the CDN', async () => {
    const page = fakePage({ body: { 'data-base-url': '/base/', 'data-notebook-path': 'sub/dir/x%20y.ipynb' }, sharedFile: shared });
    const { urls, error } = await failAll(page);
    assert.deepEqual(urls, [
      `/base/files/sub/dir/${SHARED_PLOTLY_PATH}${Q}`, `/base/files/${SHARED_PLOTLY_PATH}${Q}`, `/base/files/notebooks/${SHARED_PLOTLY_PATH}${Q}`, PLOTLY_CDN_URL,
    ]);
    assert.match(error.message, /plotly\.js was not found at \/base\/files\/sub\/dir\/_assets\/plotly\.js/);
    assert.equal(page.window.siamesePlotlyLoading, null, 'a failed load is forgotten, so a later chart tries again');
    page.load().catch(() => undefined);
    assert.equal(page.scripts.length, 5, 'the next chart starts a new load');
  });

  it('JupyterLab: the shared file\'s own path under the server root (also given as ~/...), URL-encoded', async () => {
    const home = os.homedir();
    const file = path.join(home, 'my proj', 'notebooks', SHARED_PLOTLY_PATH);
    const lab = await failAll(fakePage({ config: { baseUrl: '/user/ann/', serverRoot: '~/my proj' }, sharedFile: file }));
    assert.deepEqual(lab.urls, [
      `/user/ann/files/notebooks/${SHARED_PLOTLY_PATH}${Q}`, `/user/ann/files/${SHARED_PLOTLY_PATH}${Q}`, PLOTLY_CDN_URL,
    ], 'duplicates are tried once');
    const absolute = await failAll(fakePage({ config: { baseUrl: '/', serverRoot: '/srv' }, sharedFile: shared }));
    assert.equal(absolute.urls[0], `/files/proj/notebooks/${SHARED_PLOTLY_PATH}${Q}`);
    const encoded = await failAll(fakePage({ config: { baseUrl: '/', serverRoot: home }, sharedFile: file }));
    assert.equal(encoded.urls[0], `/files/my%20proj/notebooks/${SHARED_PLOTLY_PATH}${Q}`);
    const elsewhere = await failAll(fakePage({ config: { baseUrl: '/', serverRoot: '/data' }, sharedFile: shared }));
    assert.deepEqual(elsewhere.urls, [`/files/${SHARED_PLOTLY_PATH}${Q}`, `/files/notebooks/${SHARED_PLOTLY_PATH}${Q}`, PLOTLY_CDN_URL]);
  });

  it('an exported page: beside the page, then the shared file on this machine (file pages only), then the CDN', async () => {
    const local = await failAll(fakePage({ protocol: 'file:', sharedFile: shared }));
    assert.deepEqual(local.urls, [`${SHARED_PLOTLY_PATH}${Q}`, `file://${shared}${Q}`, PLOTLY_CDN_URL]);
    const served = await failAll(fakePage({ protocol: 'https:', sharedFile: shared }));
    assert.deepEqual(served.urls, [`${SHARED_PLOTLY_PATH}${Q}`, PLOTLY_CDN_URL]);
    const unknown = await failAll(fakePage({ protocol: 'file:' }));
    assert.deepEqual(unknown.urls, [`${SHARED_PLOTLY_PATH}${Q}`, PLOTLY_CDN_URL]);
  });

  it('uses the page\'s Plotly, loads at most once per page, and skips a script that defines no Plotly', async () => {
    const ready = fakePage({});
    const Plotly = { newPlot() {} };
    ready.window.Plotly = Plotly;
    assert.equal(await ready.load(), Plotly);
    assert.equal(ready.scripts.length, 0);

    const page = fakePage({ protocol: 'file:', sharedFile: shared });
    const first = page.load();
    const second = page.load();
    assert.equal(second, first, 'charts drawn while plotly.js loads wait for the same load');
    page.scripts[0].onload!(); // loaded, but no Plotly came with it
    assert.equal(page.scripts.length, 2);
    page.window.Plotly = Plotly;
    page.scripts[1].onload!();
    assert.equal(await first, Plotly);
    assert.equal(page.scripts.length, 2);
    assert.equal(await page.load(), Plotly, 'later charts use the loaded library');
  });
});

describe('plotDiv', () => {
  it('escapes the spec so that it cannot close its script', () => {
    const html = plotDiv({ data: [], layout: { title: { text: '</script><b>x</b>' } } });
    assert.equal(html.match(/<\/script>/g)?.length, 1);
    assert.doesNotMatch(html, /<b>/);
  });

  it('says what the chart is where scripts do not run (untrusted notebooks, static viewers); the script clears that', () => {
    const html = plotDiv(bar);
    assert.match(html, /<div id="siamese-plot-[0-9a-f]+"[^>]*><span[^>]*>Chart “two bars”, drawn by a script: rerun the cell or trust the notebook to see it\.<\/span><\/div>/);
    assert.match(html, /el\.textContent="";return P\.newPlot\(el,/);
  });
});
