/**
 * The one place that shows things in a notebook. Everything else in viz builds data (Plotly specs, PNG
 * buffers, HTML strings); this module hands them to tslab's display. Outside a notebook (the CLI, tests)
 * each call prints a one-line text description instead, so the same code runs everywhere.
 *
 * Plotly charts are sent as a MIME bundle: `application/vnd.plotly.v1+json` (JupyterLab's Plotly renderer,
 * when installed) and `text/html` that draws the chart with the plotly.js-dist bundle, embedded once per
 * kernel so executed notebooks and their HTML render offline.
 *
 * @see notebooks/00-environment.ipynb
 */
import { escapeHtml } from '../util/html';
import { hasImages } from './embedding-map';
import type { PlotSpec } from './plot';
import { plotDiv, plotlyBundleScript } from './plotly-html';

type MimeBundle = Record<string, string>;
type WriteDisplayData = (data: { data: MimeBundle; metadata: object; transient: object }, update: boolean) => void;

/** tslab's hook for rich output; null outside a running cell. */
function writer(): WriteDisplayData | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: WriteDisplayData | null };
    return jupyter.lastWriteDisplayData;
  } catch {
    return null;
  }
}

/** Whether rich output reaches a notebook (inside a tslab cell) or falls back to text. */
export function inNotebook(): boolean {
  return writer() !== null;
}

function send(bundle: MimeBundle, fallback: string, displayId?: string, update = false): void {
  const write = writer();
  if (write === null) {
    console.log(fallback);
    return;
  }
  write({ data: bundle, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
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
      // plotly.js goes in an output of its own: updates replace the chart's output, and the library must stay
      const bundle = bundleOnce();
      if (bundle) send({ 'text/html': bundle, 'text/plain': '' }, '');
      const title = (spec.layout.title as { text?: string } | undefined)?.text ?? 'plot';
      send({ 'application/vnd.plotly.v1+json': JSON.stringify(spec), 'text/html': plotDiv(spec), 'text/plain': `[plot: ${title}]` }, `[plot: ${title}]`, id, shown);
      shown = true;
    },
  };
}

let plotlyEmbedded = false;

/** Forget that plotly.js was embedded (a fresh kernel or a new executed notebook). */
export function resetDisplayState(): void {
  plotlyEmbedded = false;
}

/** plotly.js as a script the first time a notebook needs it, then ''. */
function bundleOnce(): string {
  if (plotlyEmbedded || !inNotebook()) return '';
  plotlyEmbedded = true;
  return plotlyBundleScript();
}

/**
 * Shows a Plotly figure. A figure with hover images (embedding maps) goes as HTML only: JupyterLab's Plotly
 * renderer would take the JSON instead and lose the images (and the thumbnails would be stored twice).
 */
export function plotly(spec: PlotSpec): void {
  const html = bundleOnce() + plotDiv(spec);
  const title = (spec.layout.title as { text?: string } | undefined)?.text ?? 'plot';
  const json: MimeBundle = hasImages(spec) ? {} : { 'application/vnd.plotly.v1+json': JSON.stringify(spec) };
  send({ ...json, 'text/html': html, 'text/plain': `[plot: ${title}]` }, `[plot: ${title}]`);
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
