/**
 * The notebook checker (STYLE.md §8-9): every notebook opens with a markdown header (title, goal,
 * prerequisites and a time budget of at most 2 minutes warm), ends with Summary and Exercises, is committed without outputs,
 * has a unique id on every cell (nbformat 4.5), and keeps code cells thin:
 * at most 15 lines and no function or class definitions, except a cell tagged `from-scratch` that ends by
 * asserting its result equals the lib function's.
 */
import * as path from 'node:path';
import { notebookBudget, WORKSHOP_MAX_MINUTES } from './budget';
import { readNotebook, sourceText, type Notebook } from './format';

export const MAX_CELL_LINES = 15;

export interface NotebookProblem {
  readonly file: string;
  /** 1-based cell number, or 0 for the notebook as a whole. */
  readonly cell: number;
  readonly message: string;
}

/** Function or class definitions, including arrow functions bound to a name. */
const DEFINITION = /(^|[\s;{(])(function\s*\*?\s*[A-Za-z_$][\w$]*\s*\(|class\s+[A-Za-z_$][\w$]*|(const|let|var)\s+[A-Za-z_$][\w$]*\s*(:[^=]+)?=\s*(async\s*)?(\([^()]*\)|[A-Za-z_$][\w$]*)\s*(:[^=]+)?=>)/m;

/** Checks one parsed notebook; returns every problem found (empty: fine). */
export function checkNotebook(nb: Notebook, file: string): NotebookProblem[] {
  const problems: NotebookProblem[] = [];
  const add = (cell: number, message: string): void => void problems.push({ file, cell, message });
  const name = path.basename(file);
  if (!/^\d\d-[a-z0-9]+(-[a-z0-9]+)*\.ipynb$/.test(name)) add(0, `name "${name}" is not NN-kebab-title.ipynb`);
  if ((nb.metadata.kernelspec as { name?: string } | undefined)?.name !== 'tslab') add(0, 'kernelspec is not tslab');
  if (nb.nbformat !== 4 || nb.nbformat_minor < 5) add(0, `nbformat ${nb.nbformat}.${nb.nbformat_minor}: cell ids need 4.5`);
  const ids = new Set<string>();
  nb.cells.forEach((cell, i) => {
    const id = (cell as { id?: unknown }).id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) add(i + 1, 'has no valid cell id (nbformat 4.5: 1-64 letters, digits, - or _)');
    else if (ids.has(id)) add(i + 1, `repeats the cell id "${id}"`);
    else ids.add(id);
  });
  const first = nb.cells[0];
  if (!first || first.cell_type !== 'markdown') {
    add(1, 'the first cell must be markdown with the title, goal and prerequisites');
  } else {
    const text = sourceText(first);
    if (!/^#\s+\S/m.test(text)) add(1, 'the header cell has no "# Title" line');
    if (!/\*\*Goal[:*]/i.test(text) && !/^Goal:/im.test(text)) add(1, 'the header cell has no "Goal:" line');
    if (!/prerequisite/i.test(text)) add(1, 'the header cell has no prerequisites');
    try {
      const budget = notebookBudget(nb, file);
      if (budget.warmSeconds > WORKSHOP_MAX_MINUTES * 60) {
        add(1, `the time budget is ${budget.warmSeconds / 60} minutes; a workshop notebook must fit in ${WORKSHOP_MAX_MINUTES} once its caches are warm`);
      }
    } catch (err) {
      add(1, (err as Error).message.replace(/^.*?cell 1: /, ''));
    }
  }
  const headings = nb.cells.filter((c) => c.cell_type === 'markdown').map(sourceText).join('\n');
  if (!/^##\s+Summary/m.test(headings)) add(0, 'no "## Summary" section');
  if (!/^##\s+Exercises/m.test(headings)) add(0, 'no "## Exercises" section');
  nb.cells.forEach((cell, i) => {
    const n = i + 1;
    if (cell.cell_type !== 'code') return;
    if ((cell.outputs?.length ?? 0) > 0 || (cell.execution_count ?? null) !== null) add(n, 'has outputs or an execution count (commit notebooks stripped)');
    const src = sourceText(cell).replace(/\s+$/, '');
    const lines = src === '' ? 0 : src.split('\n').length;
    const fromScratch = (cell.metadata.tags ?? []).includes('from-scratch');
    if (fromScratch) {
      const last = src.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('//')).pop() ?? '';
      if (!/assert/.test(last)) add(n, 'a from-scratch cell must end by asserting its result equals the lib function\'s');
      return;
    }
    if (lines > MAX_CELL_LINES) add(n, `has ${lines} lines (at most ${MAX_CELL_LINES}; move logic into lib/)`);
    if (DEFINITION.test(src)) add(n, 'defines a function or class (move it into lib/, or tag a teaching cell from-scratch)');
  });
  return problems;
}

/** Reads and checks a notebook file. */
export function checkNotebookFile(file: string): NotebookProblem[] {
  return checkNotebook(readNotebook(file), file);
}

/** `file, cell 3: message` lines. */
export function formatProblems(problems: readonly NotebookProblem[]): string {
  return problems.map((p) => `${p.file}${p.cell ? `, cell ${p.cell}` : ''}: ${p.message}`).join('\n');
}
