/**
 * Plotly charts as HTML: the plotly.js-dist bundle as one inline script (so pages and notebook outputs
 * render offline) and a div + script per chart. Used by display.ts (notebooks) and report pages.
 */
import * as fs from 'node:fs';
import type { PlotSpec } from './plot';

let bundle: string | null = null;

/** `<script>` holding plotly.js itself; include once per page before any chart. */
export function plotlyBundleScript(): string {
  if (bundle === null) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const source = fs.readFileSync(require.resolve('plotly.js-dist'), 'utf8').replace(/<\/script/gi, '<\\/script');
    // The bundle defines `Plotly` as a global unless an AMD loader (require.js, as in classic Jupyter) is present.
    bundle = `<script type="text/javascript">(function(){var d=window.define;window.define=undefined;${source}\n;window.define=d;})();</script>`;
  }
  return bundle;
}

let counter = 0;

/** A div and the script that draws `spec` into it (needs the bundle on the page). */
export function plotDiv(spec: PlotSpec): string {
  const id = `siamese-plot-${process.pid}-${++counter}`;
  const json = JSON.stringify(spec).replace(/</g, '\\u003c');
  return `<div id="${id}" style="width:100%;min-height:${Number(spec.layout.height ?? 400)}px"></div>` +
    `<script type="text/javascript">(function(){var s=${json};` +
    `window.Plotly.newPlot(document.getElementById("${id}"),s.data,s.layout,{responsive:true,displaylogo:false});})();</script>`;
}
