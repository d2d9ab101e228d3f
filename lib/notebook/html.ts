/**
 * Renders an executed notebook to a standalone HTML page (markdown via `marked`, code, and outputs by
 * the richest MIME type: HTML, PNG, Markdown, then text), so results can be read and screenshotted
 * without Jupyter. A page with Plotly charts carries plotly.js once, inline, so it renders offline and
 * anywhere (the notebook's own chart outputs only load it: lib/viz/plotly-html.ts).
 */
import { marked } from 'marked';
import { escapeHtml } from '../util/html';
import { PLOTLY_CHART_ATTRIBUTE, plotlyBundleScript } from '../viz/plotly-html';
import { sourceText, type MultilineString, type Notebook, type Output } from './format';

function text(v: MultilineString | undefined): string {
  return v === undefined ? '' : Array.isArray(v) ? v.join('') : v;
}


/** Strips ANSI colour codes (tslab prints coloured errors). */
function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

function renderOutput(out: Output): string {
  switch (out.output_type) {
    case 'stream':
      return `<pre class="out ${out.name}">${escapeHtml(plain(text(out.text)))}</pre>`;
    case 'error':
      return `<pre class="out error">${escapeHtml(plain(out.traceback.join('\n')))}</pre>`;
    default: {
      const d = out.data;
      if (d['text/html'] !== undefined) return `<div class="out html">${text(d['text/html'])}</div>`;
      if (d['image/png'] !== undefined) return `<div class="out"><img src="data:image/png;base64,${text(d['image/png']).trim()}"></div>`;
      if (d['image/svg+xml'] !== undefined) return `<div class="out">${text(d['image/svg+xml'])}</div>`;
      if (d['text/markdown'] !== undefined) return `<div class="out md">${marked.parse(text(d['text/markdown']), { async: false })}</div>`;
      return `<pre class="out">${escapeHtml(plain(text(d['text/plain'])))}</pre>`;
    }
  }
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
pre{background:#f6f8fa;padding:.6em .8em;overflow-x:auto;border-radius:4px;font-size:13px}
.code pre{border-left:3px solid #4a7bd0}.prompt{color:#888;font-size:12px;font-family:monospace}
pre.stderr{background:#fff6e5}pre.error{background:#fde8e8;color:#900}
.out img{max-width:100%}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
.cell{margin:1em 0}`;

/** The notebook as a standalone HTML document. */
export function renderNotebookHtml(nb: Notebook, title: string): string {
  let charts = false;
  const cells = nb.cells.map((cell, i) => {
    const src = sourceText(cell);
    if (cell.cell_type === 'markdown') return `<div class="cell md" id="cell-${i + 1}">${marked.parse(src, { async: false })}</div>`;
    if (cell.cell_type !== 'code') return `<pre class="cell raw">${escapeHtml(src)}</pre>`;
    const outs = (cell.outputs ?? []).map(renderOutput).join('\n');
    charts ||= outs.includes(PLOTLY_CHART_ATTRIBUTE);
    return `<div class="cell code" id="cell-${i + 1}"><div class="prompt">In [${cell.execution_count ?? ' '}] · cell ${i + 1}</div>` +
      `<pre><code>${escapeHtml(src)}</code></pre>${outs}</div>`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style>${charts ? plotlyBundleScript() : ''}</head>` +
    `<body>${cells.join('\n')}</body></html>\n`;
}
