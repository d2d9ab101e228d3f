/**
 * Plotly charts as HTML: the plotly.js-dist bundle as one inline script (so pages and notebook outputs
 * render offline) and a div + script per chart. Used by display.ts (notebooks) and report pages.
 */
import * as fs from 'node:fs';
import { hasImages } from './embedding-map';
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

/**
 * A div and the script that draws `spec` into it (needs the bundle on the page). A spec with `images`
 * (embedding maps) also gets a side image that shows the hovered point's thumbnail, `images[customdata]`.
 */
export function plotDiv(spec: PlotSpec): string {
  const id = `siamese-plot-${process.pid}-${++counter}`;
  const json = JSON.stringify(spec).replace(/</g, '\\u003c');
  const height = Number(spec.layout.height ?? 400);
  const draw = `window.Plotly.newPlot(document.getElementById("${id}"),s.data,s.layout,{responsive:true,displaylogo:false})`;
  if (!hasImages(spec)) {
    return `<div id="${id}" style="width:100%;min-height:${height}px"></div>` +
      `<script type="text/javascript">(function(){var s=${json};${draw};})();</script>`;
  }
  return `<div style="display:flex;align-items:flex-start;gap:8px"><div id="${id}" style="flex:1;min-width:0;min-height:${height}px"></div>` +
    `<figure style="flex:0 0 104px;margin:60px 0 0;text-align:center;font:12px sans-serif;color:#333">` +
    `<img id="${id}-img" alt="" style="width:96px;height:96px;border:1px solid #ccc;visibility:hidden"/>` +
    `<figcaption id="${id}-cap" style="word-break:break-all">hover a point to see its face</figcaption></figure></div>` +
    `<script type="text/javascript">(function(){var s=${json};${draw}.then(function(gd){` +
    `var img=document.getElementById("${id}-img"),cap=document.getElementById("${id}-cap");` +
    `gd.on("plotly_hover",function(ev){var p=ev.points[0];if(!p||s.images[p.customdata]===undefined)return;` +
    `img.src=s.images[p.customdata];img.style.visibility="visible";cap.textContent=p.text||"";});});})();</script>`;
}
