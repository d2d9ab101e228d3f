/**
 * The one place that shows things in a notebook. Everything else in viz builds data (Plotly specs, PNG
 * buffers, HTML strings); this module hands them to tslab's display. Outside a notebook (the CLI, tests)
 * each call prints a one-line text description instead, so the same code runs everywhere.
 *
 * Plotly charts are sent as a MIME bundle: `application/vnd.plotly.v1+json` (drawn natively by JupyterLab's
 * and VS Code's Plotly renderers, when installed) and `text/html`: the chart's div and a small loader
 * (plotly-html.ts) that draws with the page's plotly.js, else loads ONE shared copy of it that this module
 * keeps beside the notebook (`_assets/plotly.js`, git-ignored, served by Jupyter), else Plotly's CDN. Every
 * chart output renders on its own (after a rerun, a save and reopen, an export), and an executed notebook
 * holds no copy of plotly.js. The HTML of `npm run notebooks` inlines plotly.js once per page (html.ts).
 *
 * @see notebooks/00-environment.ipynb
 */
import * as path from 'node:path';
import { escapeHtml } from '../util/html';
import { displayHook, type MimeBundle, type WriteDisplayData } from '../util/tslab';
import { hasImages } from './embedding-map';
import type { PlotSpec } from './plot';
import { ensureSharedPlotly, plotDiv, SHARED_PLOTLY_PATH } from './plotly-html';

/** tslab's hook for rich output (through the adapter util/tslab.ts); null outside a running cell. */
function writer(): WriteDisplayData | null {
  return displayHook();
}

/** Sends `bundle` (built only inside a notebook) to the notebook, or prints `fallback`. */
function send(bundle: MimeBundle | (() => MimeBundle), fallback: string, displayId?: string, update = false): void {
  const write = writer();
  if (write === null) {
    console.log(fallback);
    return;
  }
  const data = typeof bundle === 'function' ? bundle() : bundle;
  write({ data, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
}

const unwritable = new Set<string>();

/**
 * The shared plotly.js beside the running notebook (a kernel runs in its notebook's folder), made current;
 * undefined when that folder cannot be written: then charts fall back to Plotly's CDN, which is said once.
 */
function sharedPlotly(): string | undefined {
  const dir = process.cwd();
  try {
    return ensureSharedPlotly(dir);
  } catch (err) {
    if (!unwritable.has(dir)) {
      unwritable.add(dir);
      console.error(`viz.display: cannot write ${path.join(dir, SHARED_PLOTLY_PATH)} (${err instanceof Error ? err.message : String(err)}); ` +
        'charts will load plotly.js from the Plotly CDN when the page is online');
    }
    return undefined;
  }
}

function plotTitle(spec: PlotSpec): string {
  return `[plot: ${(spec.layout.title as { text?: string } | undefined)?.text ?? 'plot'}]`;
}

/**
 * A chart's MIME bundle. A figure with hover images (embedding maps) goes as HTML only: JupyterLab's Plotly
 * renderer would take the JSON instead and lose the images (and the thumbnails would be stored twice).
 */
function chartBundle(spec: PlotSpec): MimeBundle {
  // The figure as an object, as Jupyter's protocol carries `+json` types (a renderer would not parse a string).
  const json: MimeBundle = hasImages(spec) ? {} : { 'application/vnd.plotly.v1+json': spec };
  return { ...json, 'text/html': plotDiv(spec, { sharedFile: sharedPlotly() }), 'text/plain': plotTitle(spec) };
}

let liveCounter = 0;

/**
 * A chart that redraws in place, e.g. training curves updated after every epoch: the first `update` shows
 * it, later ones replace it (Jupyter's display_id mechanism). Outside a notebook each update prints a line.
 */
export function plotlyLive(): { update(spec: PlotSpec): void } {
  const id = `siamese-live-${process.pid}-${++liveCounter}`;
  let shown = false;
  return {
    update(spec: PlotSpec): void {
      send(() => chartBundle(spec), plotTitle(spec), id, shown);
      shown = true;
    },
  };
}

/** Shows a Plotly figure. */
export function plotly(spec: PlotSpec): void {
  send(() => chartBundle(spec), plotTitle(spec));
}

/** Shows a PNG image (e.g. an image grid made with sharp). */
export function png(buffer: Uint8Array, description = 'image'): void {
  const b64 = Buffer.from(buffer).toString('base64');
  send({ 'image/png': b64, 'text/plain': `[png: ${description}, ${buffer.length} bytes]` }, `[png: ${description}, ${buffer.length} bytes]`);
}

/** Shows raw HTML. */
export function html(source: string, fallback = '[html]'): void {
  send({ 'text/html': source, 'text/plain': fallback }, fallback);
}

/** Shows Markdown. */
export function markdown(source: string): void {
  send({ 'text/markdown': source, 'text/plain': source }, source);
}

/** Formats rows of plain values as an HTML table and a text table. */
export function tableHtml(rows: readonly Record<string, unknown>[]): { html: string; text: string } {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v === undefined || v === null ? '' : String(v));
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td>${escapeHtml(cell(r[c]))}</td>`).join('')}</tr>`).join('');
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]): string => vals.map((v, i) => v.padEnd(widths[i])).join('  ');
  const text = [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
  return { html: `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`, text };
}

/** Shows rows of plain values as a table. */
export function table(rows: readonly Record<string, unknown>[]): void {
  const t = tableHtml(rows);
  send({ 'text/html': t.html, 'text/plain': t.text }, t.text);
}
