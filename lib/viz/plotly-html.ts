/**
 * Plotly charts as HTML: a div and a small script per chart (`plotDiv`), and plotly.js itself, either inline
 * once per standalone page (`plotlyBundleScript`: reports, the notebook HTML of `npm run notebooks`) or as ONE
 * shared file beside the notebooks (`ensureSharedPlotly`) that Jupyter serves. Used by display.ts (notebooks),
 * report pages and lib/notebook/html.ts.
 *
 * Every chart's script is self-sufficient: it draws with `window.Plotly` when the page already has it (an
 * inline bundle, an earlier chart), else loads plotly.js once per page, trying in order
 * - in Jupyter (classic Notebook: `<body data-base-url data-notebook-path>`; JupyterLab / Notebook 7: the
 *   `#jupyter-config-data` JSON's `baseUrl` and `serverRoot`): `<base>files/<notebook folder>/_assets/plotly.js`,
 *   the shared file's own path under the server root, then `<base>files/_assets/plotly.js` and
 *   `<base>files/notebooks/_assets/plotly.js` (the server started in notebooks/ or in the project);
 * - outside Jupyter (an nbconvert export): `_assets/plotly.js` beside the page, then the shared file's
 *   `file://` URL when the page is itself a local file;
 * - last, plotly.js of the same version from cdn.plot.ly (a page opened elsewhere, online).
 * When every source fails the chart's div says so, with the URLs it tried. So a chart output never depends
 * on another output, and an executed notebook holds no copy of plotly.js (10 MB) at all.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as url from 'node:url';
import { escapeHtml } from '../util/html';
import { hasImages } from './embedding-map';
import type { PlotSpec } from './plot';

/** The plotly.js version the charts are drawn with (the installed plotly.js-dist). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const PLOTLY_VERSION: string = (require('plotly.js-dist/package.json') as { version: string }).version;

/** Where the shared copy of plotly.js goes, relative to the notebook's folder (not hidden: Jupyter would refuse to serve it). */
export const SHARED_PLOTLY_PATH = '_assets/plotly.js';

/** The attribute that marks a chart div drawn by `plotDiv`'s loader (lib/notebook/html.ts looks for it). */
export const PLOTLY_CHART_ATTRIBUTE = 'data-siamese-plotly';

/** plotly.js of `PLOTLY_VERSION` on Plotly's CDN: the loader's last resort. */
export const PLOTLY_CDN_URL = `https://cdn.plot.ly/plotly-${PLOTLY_VERSION}.min.js`;

function plotlySourceFile(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require.resolve('plotly.js-dist');
}

let bundle: string | null = null;

/** `<script>` holding plotly.js itself; include once per page before any chart. */
export function plotlyBundleScript(): string {
  if (bundle === null) {
    const source = fs.readFileSync(plotlySourceFile(), 'utf8').replace(/<\/script/gi, '<\\/script');
    // Hide an AMD loader (require.js, as in classic Jupyter and nbconvert's templates) in case a plotly.js build uses it.
    bundle = `<script type="text/javascript">(function(){var d=window.define;window.define=undefined;${source}\n;window.define=d;})();</script>`;
  }
  return bundle;
}

/** The first bytes of a file (plotly.js starts with its version banner). */
function head(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(256);
    return buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('latin1');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Makes `<dir>/_assets/plotly.js` a copy of the installed plotly.js (written atomically when missing or
 * different: another size or version banner), with a `.gitignore` that keeps the folder out of git.
 * Returns its absolute path. Throws when the folder cannot be written.
 */
export function ensureSharedPlotly(dir: string): string {
  const file = path.resolve(dir, SHARED_PLOTLY_PATH);
  const source = plotlySourceFile();
  let current: boolean;
  try {
    current = fs.statSync(file).size === fs.statSync(source).size && head(file) === head(source);
  } catch {
    current = false;
  }
  if (!current) {
    const folder = path.dirname(file);
    fs.mkdirSync(folder, { recursive: true });
    const ignore = path.join(folder, '.gitignore');
    if (!fs.existsSync(ignore)) {
      fs.writeFileSync(ignore, '# plotly.js for the notebooks\' chart outputs, copied by siamese-lfw (lib/viz/plotly-html.ts); safe to delete\n*\n');
    }
    const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    try {
      fs.copyFileSync(source, tmp);
      fs.renameSync(tmp, file);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  return file;
}

/**
 * What a chart's loader is told: the shared file's path relative to a notebook, the version (a cache-busting
 * query), the CDN URL, and for a known shared file its absolute path (also as `~/...`: Jupyter may give the
 * server root that way) and its file URL.
 */
export function plotlyLoaderConfig(sharedFile?: string): Record<string, unknown> {
  const config: Record<string, unknown> = { rel: SHARED_PLOTLY_PATH, q: `?v=${PLOTLY_VERSION}`, cdn: PLOTLY_CDN_URL, files: [] as string[] };
  if (sharedFile !== undefined) {
    const abs = path.resolve(sharedFile).split(path.sep).join('/');
    const home = os.homedir().split(path.sep).join('/');
    config.files = home && abs.startsWith(`${home}/`) ? [abs, `~${abs.slice(home.length)}`] : [abs];
    config.url = url.pathToFileURL(sharedFile).href;
  }
  return config;
}

/**
 * The loader, a function of the config above resolving with Plotly. One load per page (a shared promise on
 * window, cleared when every URL failed so that a later chart tries again); scripts are tried one by one.
 */
const LOADER = `function(o){var w=window,d=document;if(w.Plotly)return Promise.resolve(w.Plotly);` +
  `if(w.siamesePlotlyLoading)return w.siamesePlotlyLoading;` +
  `var u=[],b=d.body,c=d.getElementById("jupyter-config-data"),base=null,nb=null,root=null,i;` +
  `if(b&&b.hasAttribute("data-base-url")){base=b.getAttribute("data-base-url");nb=b.getAttribute("data-notebook-path");}` +
  `if(c)try{c=JSON.parse(c.textContent);if(typeof c.baseUrl==="string")base=c.baseUrl;root=c.serverRoot||null;}catch(e){}` +
  `if(base!==null){base=base.replace(/\\/?$/,"/")+"files/";if(nb)u.push(base+nb.replace(/[^\\/]*$/,"")+o.rel);` +
  `if(root){root=root.replace(/\\/?$/,"/");for(i=0;i<o.files.length;i++)if(o.files[i].indexOf(root)===0)` +
  `u.push(base+o.files[i].slice(root.length).split("/").map(encodeURIComponent).join("/"));}` +
  `u.push(base+o.rel,base+"notebooks/"+o.rel);}` +
  `else{u.push(o.rel);if(o.url&&location.protocol==="file:")u.push(o.url);}` +
  `u=u.map(function(x){return x+o.q;});u.push(o.cdn);u=u.filter(function(x,k){return u.indexOf(x)===k;});` +
  `return w.siamesePlotlyLoading=new Promise(function(ok,no){(function next(k){` +
  `if(k===u.length){w.siamesePlotlyLoading=null;no(new Error("plotly.js was not found at "+u.join(", ")));return;}` +
  `var t=d.createElement("script");t.src=u[k];t.onload=function(){if(w.Plotly)ok(w.Plotly);else next(k+1);};` +
  `t.onerror=function(){t.parentNode&&t.parentNode.removeChild(t);next(k+1);};(d.head||d.documentElement).appendChild(t);})(0);});}`;

/** The loader as a standalone expression (for tests: evaluate it against a fake page). */
export function plotlyLoaderSource(): string {
  return `(${LOADER})`;
}

export interface PlotDivOptions {
  /** The shared plotly.js file (`ensureSharedPlotly`) the loader looks for when the page has no Plotly. */
  readonly sharedFile?: string;
}

/**
 * A div and the script that draws `spec` into it: with the page's plotly.js when there is one, else with the
 * shared file or the CDN (see the module comment). A spec with `images` (embedding maps) also gets a side
 * image that shows the hovered point's thumbnail, `images[customdata]`.
 */
export function plotDiv(spec: PlotSpec, options: PlotDivOptions = {}): string {
  const id = `siamese-plot-${crypto.randomBytes(6).toString('hex')}`;
  const json = JSON.stringify(spec).replace(/</g, '\\u003c');
  const config = JSON.stringify(plotlyLoaderConfig(options.sharedFile)).replace(/</g, '\\u003c');
  const height = Number(spec.layout.height ?? 400);
  const images = hasImages(spec);
  // The script finds its div beside itself when it runs in place (JupyterLab; two views of one output), else by id.
  const find = `var cs=document.currentScript,r=cs&&cs.parentNode&&cs.parentNode.querySelector("#${id}")?cs.parentNode:document;` +
    `function q(x){return r.querySelector("#${id}"+x);}`;
  const hover = images
    ? `.then(function(gd){var img=q("-img"),cap=q("-cap");gd.on("plotly_hover",function(ev){var p=ev.points[0];` +
      `if(!p||s.images[p.customdata]===undefined)return;img.src=s.images[p.customdata];img.style.visibility="visible";cap.textContent=p.text||"";});})`
    : '';
  const script = `<script type="text/javascript">(function(){var s=${json};${find}` +
    `${plotlyLoaderSource()}(${config}).then(function(P){var el=q("");if(!el)return;el.textContent="";` +
    `return P.newPlot(el,s.data,s.layout,{responsive:true,displaylogo:false})${hover};},` +
    `function(e){var el=q("");if(el){el.style.minHeight="0";el.style.color="#900";el.textContent="Chart not drawn: "+e.message+". Rerun the cell (it writes ${SHARED_PLOTLY_PATH} beside the notebook) or open the notebook's HTML export.";}});})();</script>`;
  const mark = `${PLOTLY_CHART_ATTRIBUTE}="${PLOTLY_VERSION}"`;
  // Shown where scripts do not run (an untrusted notebook, a static viewer); the script clears it.
  const title = (spec.layout.title as { text?: string } | undefined)?.text ?? 'plot';
  const placeholder = `<span style="color:#888;font:12px sans-serif">Chart “${escapeHtml(title)}”, drawn by a script: rerun the cell or trust the notebook to see it.</span>`;
  if (!images) {
    return `<div id="${id}" ${mark} style="width:100%;min-height:${height}px">${placeholder}</div>${script}`;
  }
  return `<div style="display:flex;align-items:flex-start;gap:8px"><div id="${id}" ${mark} style="flex:1;min-width:0;min-height:${height}px">${placeholder}</div>` +
    `<figure style="flex:0 0 104px;margin:60px 0 0;text-align:center;font:12px sans-serif;color:#333">` +
    `<img id="${id}-img" alt="" style="width:96px;height:96px;border:1px solid #ccc;visibility:hidden"/>` +
    `<figcaption id="${id}-cap" style="word-break:break-all">hover a point to see its face</figcaption></figure></div>${script}`;
}
