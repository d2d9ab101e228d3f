/** Notebooks as files: reading, checking, executing (in-process tslab or real Jupyter) and rendering. */
export { readNotebook, writeNotebook, sourceText, TSLAB_METADATA } from './format';
export type { Notebook, Cell, Output } from './format';
export { notebookBudget, fillsCaches, WORKSHOP_MAX_MINUTES } from './budget';
export type { NotebookBudget } from './budget';
export { checkNotebook, checkNotebookFile, formatProblems, MAX_CELL_LINES } from './check';
export type { NotebookProblem } from './check';
export { executeNotebook, executeNotebookIsolated, importedPackages, startNotebookIsolated, warmConverter } from './execute';
export type { ExecuteOptions, ExecutedNotebook, NotebookFailure, StartedNotebook } from './execute';
export { renderNotebookHtml } from './html';
export { jupyterUnavailableReason, jupyterPython, writeKernelSpec, executeWithJupyter } from './jupyter';
export { runNotebooks, listNotebooks } from './run';
export { findJupyterFrontEnd, formatLabPlan, installHelp, launchLab, planLab } from './lab';
export type { JupyterFrontEnd, LabOptions, LabPlan } from './lab';
export type { NotebookRunSummary, RunNotebooksOptions } from './run';
