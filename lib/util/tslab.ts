/**
 * The one adapter to tslab's private modules (`tslab/dist/*`). Everything else goes through this file, so a
 * tslab upgrade that moves them breaks one place, and the reasons are written down once:
 *
 * - Display: tslab's public `display` (`tslab/dist/public.js`) sends one MIME type per output. A Plotly chart
 *   must go out as one bundle (`application/vnd.plotly.v1+json` and `text/html` together, so each front end
 *   picks the one it can draw), so viz/display.ts calls the hook that public API wraps: `lastWriteDisplayData`
 *   of `tslab/dist/jupyter`, which tslab sets while a cell runs and clears after (null: not in a notebook).
 * - Headless execution: notebook/execute.ts runs notebooks with tslab's own converter and executor
 *   (`tslab/dist/converter`, `tslab/dist/executor`), which tslab does not export publicly, and installs its
 *   own display hook to capture rich output.
 *
 * Checked against tslab 1.0.22.
 */

/** MIME type -> data: text for text types, the value itself (not a JSON string) for `+json` types. */
export type MimeBundle = Record<string, unknown>;

/** tslab's display hook: one output (or, with `update`, a replacement of the output with the same display id). */
export type WriteDisplayData = (msg: { data: MimeBundle; metadata: object; transient?: { display_id?: string } }, update: boolean) => void;

interface JupyterModule { lastWriteDisplayData: WriteDisplayData | null }

/* eslint-disable @typescript-eslint/no-require-imports */
function jupyterModule(): JupyterModule {
  return require('tslab/dist/jupyter') as JupyterModule;
}

/** tslab's display hook while a cell runs; null outside a notebook (or when tslab is not installed). */
export function displayHook(): WriteDisplayData | null {
  try {
    return jupyterModule().lastWriteDisplayData;
  } catch {
    return null;
  }
}

/** Installs (or, with null, removes) the display hook: how the headless runner captures rich output. */
export function setDisplayHook(hook: WriteDisplayData | null): void {
  jupyterModule().lastWriteDisplayData = hook;
}

/** tslab's TypeScript converter: compiles one cell against the declarations of the cells before it (`prevDecl`). */
export interface TslabConverter {
  convert(prevDecl: string, src: string): { diagnostics?: unknown[]; sideOutputs?: unknown[] };
  close(): void;
}

/** tslab's converter set, as its executor wants it. */
export interface TslabConverterSet { node: unknown; browser: unknown; close(): void }
/** tslab's executor: runs one cell's source; false when the cell failed. */
export interface TslabExecutor { execute(src: string): Promise<boolean>; close(): void }

/** tslab's TypeScript converter and cell executor (the same a JupyterLab kernel uses). */
export function tslabRuntime(): {
  createConverter: (o: { isJS: boolean; isBrowser: boolean }) => TslabConverter;
  createExecutor: (root: string, convs: TslabConverterSet, c: { log: (...a: unknown[]) => void; error: (...a: unknown[]) => void }) => TslabExecutor;
} {
  return {
    createConverter: require('tslab/dist/converter').createConverter,
    createExecutor: require('tslab/dist/executor').createExecutor,
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */
