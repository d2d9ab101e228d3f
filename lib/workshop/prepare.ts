/**
 * `npm run workshop:prepare`: makes a machine ready for a class. It runs the notebooks that fill caches once: the
 * ones whose header promises a longer first run (lib/notebook/budget.ts), which train (and cache) every experiment
 * the notebooks use and fill the decode caches on the way, so that nothing trains live in front of the students.
 * Then it runs every notebook with the caches warm and checks each against the budget its header promises, so a
 * teacher learns the night before, not in class, that a laptop is too slow. A notebook without a first-run budget
 * caches nothing (it costs the same every time), so it runs once, in the warm run, not twice.
 *
 * Executing the notebooks themselves, rather than a list of experiments kept beside them, means the warm-up
 * can never drift from what the notebooks actually ask for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { environmentReport, formatBackendInfo } from '../backend';
import { openData } from '../data';
import { fillsCaches, findJupyterFrontEnd, installHelp, listNotebooks, notebookBudget, readNotebook, runNotebooks, writeKernelSpec, type NotebookBudget, type NotebookRunSummary, type RunNotebooksOptions } from '../notebook';
import { artifactsDir, projectRoot, writeFileAtomic } from '../util';

/** Which notebooks (`only`, default all) and where progress lines go (`log`, default console.log), as {@link runNotebooks} takes them. */
export interface PrepareWorkshopOptions extends Pick<RunNotebooksOptions, 'only' | 'log'> {
  /** Run the notebooks a second time, warm, and check their budgets (default true). */
  readonly check?: boolean;
  /** Where the executed notebooks, their HTML and prepare.json go (default artifacts/workshop). */
  readonly outDir?: string;
}

export interface PreparedNotebook {
  readonly name: string;
  readonly budget: NotebookBudget;
  /** Seconds of the run that filled the caches (null: the notebook caches nothing and ran only warm). */
  readonly firstRunSeconds: number | null;
  /** Seconds of the run with the caches warm (null when not checked). */
  readonly warmSeconds: number | null;
  /** Whether both runs kept within their budgets (the warm one only when checked). */
  readonly withinBudget: boolean;
}

export interface WorkshopReport {
  readonly date: string;
  readonly machine: string;
  readonly backend: string;
  readonly data: string;
  /** The Jupyter front end `npm run lab` will start (e.g. "JupyterLab 4.2.5"), or null when there is none. */
  readonly jupyter: string | null;
  readonly notebooks: readonly PreparedNotebook[];
  readonly totalSeconds: number;
  /** Every notebook ran and kept within its budget, and `npm run lab` has a front end to start. */
  readonly ok: boolean;
  /** The executed notebooks and their HTML (the warm run's when checked). */
  readonly outDir: string;
}

function failureMessage(runs: readonly NotebookRunSummary[], pass: string): string | null {
  const failed = runs.find((r) => r.failure);
  if (!failed?.failure) return null;
  return `${pass}: notebook ${failed.name} failed at cell ${failed.failure.cell}: ${failed.failure.error.split('\n')[0]}`;
}

/** Each notebook's budget, by name (00-environment, ...), in order. */
export function notebookBudgets(files: readonly string[]): Map<string, NotebookBudget> {
  return new Map(files.map((f) => [path.basename(f, '.ipynb'), notebookBudget(readNotebook(f), f)]));
}

/** The notebooks that fill caches: those whose header promises a longer first run than a warm one (they train). */
export function cacheFillingNotebooks(budgets: ReadonlyMap<string, NotebookBudget>): string[] {
  return [...budgets].filter(([, b]) => fillsCaches(b)).map(([name]) => name);
}

/** Warms every cache the notebooks use and checks their budgets; throws if a notebook fails. */
export async function prepareWorkshop(options: PrepareWorkshopOptions = {}): Promise<WorkshopReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const outDir = options.outDir ?? artifactsDir('workshop');
  const check = options.check ?? true;
  const started = performance.now();

  const env = await environmentReport({ quiet: true });
  log(`== environment\n${formatBackendInfo(env.backend)}\nnode ${env.node}, ${env.cpu} (${env.cores} cores), ${env.memoryGiB} GiB`);
  if (process.env.LFW_DIR) log('LFW_DIR is set: the notebooks will prepare their LFW variants. A class on the built-in data should unset it.');

  log('== Jupyter (what `npm run lab` starts)');
  writeKernelSpec();
  const frontEnd = findJupyterFrontEnd();
  const jupyter = frontEnd ? `${frontEnd.name} ${frontEnd.version}` : null;
  log(frontEnd ? `${jupyter} (${frontEnd.command.join(' ')}); TypeScript kernel registered in artifacts/jupyter` : `MISSING: ${installHelp()}`);

  log('== data');
  const { data, dataset } = await openData({ log: null });
  const dataLine = `${data.source === 'synthetic' ? 'built-in synthetic faces' : `LFW (${data.source})`}: ${dataset.describe()}`;
  log(dataLine);

  const only = options.only ?? [];
  const files = listNotebooks(only);
  const budgets = notebookBudgets(files);
  const filling = cacheFillingNotebooks(budgets);

  log(`== first run of the ${filling.length} notebook(s) that fill caches (train the experiments the notebooks use): ${filling.join(', ') || 'none'}`);
  const first = filling.length > 0 ? await runNotebooks({ only: filling, outDir: path.join(outDir, 'first-run'), log }) : [];
  const firstFailure = failureMessage(first, 'first run');
  if (firstFailure) throw new Error(firstFailure);

  let warm: NotebookRunSummary[] = [];
  if (check) {
    log('== every notebook with the caches warm: the timings a class will see');
    warm = await runNotebooks({ only, outDir, log });
    const warmFailure = failureMessage(warm, 'warm run');
    if (warmFailure) throw new Error(warmFailure);
  }

  const notebooks = [...budgets].filter(([name]) => filling.includes(name) || check).map(([name, budget]): PreparedNotebook => {
    const firstRunSeconds = first.find((r) => r.name === name)?.seconds ?? null;
    const warmSeconds = warm.find((w) => w.name === name)?.seconds ?? null;
    const withinBudget = (firstRunSeconds === null || firstRunSeconds <= budget.firstRunSeconds) && (warmSeconds === null || warmSeconds <= budget.warmSeconds);
    return { name, budget, firstRunSeconds, warmSeconds, withinBudget };
  });
  const report: WorkshopReport = {
    date: new Date().toISOString(),
    machine: `${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB, node ${env.node}`,
    backend: env.backend.name,
    data: dataLine,
    jupyter,
    notebooks,
    totalSeconds: (performance.now() - started) / 1000,
    ok: jupyter !== null && notebooks.every((n) => n.withinBudget),
    outDir: check ? outDir : path.join(outDir, 'first-run'),
  };
  fs.mkdirSync(outDir, { recursive: true });
  writeFileAtomic(path.join(outDir, 'prepare.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** The report as a plain-text table for the terminal. */
export function formatWorkshopReport(report: WorkshopReport): string {
  const rows = report.notebooks.map((n) => [
    n.name,
    n.firstRunSeconds === null ? '-' : `${n.firstRunSeconds.toFixed(1)} s`,
    n.warmSeconds === null ? '-' : `${n.warmSeconds.toFixed(1)} s`,
    `${n.budget.warmSeconds / 60} min` + (fillsCaches(n.budget) ? ` (first ${n.budget.firstRunSeconds / 60})` : ''),
    n.withinBudget ? 'ok' : 'OVER BUDGET',
  ]);
  const head = ['notebook', 'first run', 'warm', 'budget', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [
    line(head), ...rows.map(line),
    ...(report.notebooks.some((n) => n.firstRunSeconds === null) ? ['(first run "-": the notebook caches nothing, so it ran once, warm)'] : []),
    '',
    `data: ${report.data}`,
    `Jupyter: ${report.jupyter ?? 'none found: students cannot open the notebooks with `npm run lab`; install one (see above)'}`,
    `total ${(report.totalSeconds / 60).toFixed(1)} min on ${report.machine}, backend ${report.backend}`,
    `executed notebooks and HTML: ${path.relative(projectRoot(), report.outDir) || '.'}`,
    report.ok ? 'ready: every notebook fits its budget with the caches warm, and `npm run lab` opens them.'
      : report.jupyter === null ? 'NOT READY: no Jupyter front end for `npm run lab`.'
        : 'NOT READY: a notebook is over its budget on this machine (close other programs, or plan more time for it).',
  ].join('\n');
}
