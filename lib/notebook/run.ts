/**
 * `npm run notebooks`: executes every notebook in order, each in a fresh kernel, and writes the executed
 * notebook and its HTML rendering to artifacts/notebooks/. The first failing cell stops the run with the
 * notebook, the cell number and the error. Each kernel process starts (and gets its TypeScript compiler ready)
 * while the notebook before it runs; a notebook's time still counts its kernel's getting ready.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactsDir, projectRoot } from '../util/paths';
import { startNotebookIsolated, type NotebookFailure, type StartedNotebook } from './execute';
import { readNotebook, writeNotebook } from './format';
import { renderNotebookHtml } from './html';
import { executeWithJupyter } from './jupyter';

export interface RunNotebooksOptions {
  /** Notebook numbers or name fragments to run (default: all). */
  readonly only?: readonly string[];
  /** Execute through Jupyter (nbclient + the tslab kernel) instead of in-process tslab. */
  readonly jupyter?: boolean;
  /** Where executed notebooks and HTML go (default artifacts/notebooks). */
  readonly outDir?: string;
  /** Progress lines (default console.log). */
  readonly log?: (line: string) => void;
}

export interface NotebookRunSummary {
  readonly name: string;
  readonly seconds: number;
  readonly executed: string;
  readonly html: string;
  readonly failure: NotebookFailure | null;
}

/** The project's notebooks (notebooks/NN-*.ipynb), in order. */
export function listNotebooks(only: readonly string[] = []): string[] {
  const dir = path.join(projectRoot(), 'notebooks');
  const all = fs.readdirSync(dir).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();
  const picked = only.length === 0 ? all : all.filter((f) => only.some((o) => f.startsWith(o.padStart(2, '0')) || f.includes(o)));
  if (only.length > 0 && picked.length === 0) throw new Error(`No notebook matches ${only.join(', ')} (have: ${all.join(', ')})`);
  return picked.map((f) => path.join(dir, f));
}

/** Runs the notebooks; stops at the first failure. */
export async function runNotebooks(options: RunNotebooksOptions = {}): Promise<NotebookRunSummary[]> {
  const outDir = options.outDir ?? artifactsDir('notebooks');
  const log = options.log ?? ((l: string) => console.log(l));
  fs.mkdirSync(outDir, { recursive: true });
  const summaries: NotebookRunSummary[] = [];
  const files = listNotebooks(options.only);
  const executedFile = (file: string) => path.join(outDir, `${path.basename(file, '.ipynb')}.ipynb`);
  const start = (i: number): StartedNotebook | null => (options.jupyter || i >= files.length ? null : startNotebookIsolated(files[i], executedFile(files[i])));
  // each notebook's kernel starts while the one before runs, as JupyterLab starts a kernel when a notebook is opened
  let next = start(0);
  try {
    for (let i = 0; i < files.length; i++) {
      const file = files[i];
      const name = path.basename(file, '.ipynb');
      const executed = executedFile(file);
      const html = path.join(outDir, `${name}.html`);
      log(`notebook ${name}: running${options.jupyter ? ' through Jupyter' : ''}...`);
      let failure: NotebookFailure | null;
      let seconds: number;
      if (options.jupyter) {
        const r = executeWithJupyter(file, executed);
        seconds = r.seconds;
        failure = r.ok ? null : { notebook: file, cell: 0, error: r.log.trim() || 'nbclient failed without a message' };
      } else {
        const current = next!;
        next = start(i + 1);
        const r = await current.run();
        seconds = r.seconds;
        failure = r.failure;
        if (!fs.existsSync(executed)) writeNotebook(executed, r.notebook);
      }
      if (fs.existsSync(executed)) fs.writeFileSync(html, renderNotebookHtml(readNotebook(executed), name));
      summaries.push({ name, seconds, executed, html, failure });
      if (failure) {
        log(`notebook ${name}: FAILED at cell ${failure.cell} after ${seconds.toFixed(1)} s\n${failure.error}`);
        break;
      }
      log(`notebook ${name}: ok in ${seconds.toFixed(1)} s -> ${path.relative(projectRoot(), html)}`);
    }
  } finally {
    await next?.cancel();
  }
  return summaries;
}
