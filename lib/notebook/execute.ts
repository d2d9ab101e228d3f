/**
 * Executes a notebook in this process with tslab's own converter and executor (through util/tslab.ts): the same compiler and
 * runtime a JupyterLab user gets, without Jupyter or ZeroMQ. Cell output (stdout, stderr, rich display
 * data, errors) is captured into nbformat outputs. The first failing cell stops the run.
 *
 * `executeNotebookIsolated` runs it in a fresh Node process, as a fresh kernel would.
 */
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setDisplayHook, tslabRuntime, type TslabConverterSet } from '../util/tslab';
import { readNotebook, sourceText, toLines, writeNotebook, type Notebook, type Output } from './format';

export interface NotebookFailure {
  readonly notebook: string;
  /** 1-based cell number (counting every cell, markdown included, as JupyterLab shows them). */
  readonly cell: number;
  readonly error: string;
}

export interface ExecutedNotebook {
  readonly notebook: Notebook;
  readonly failure: NotebookFailure | null;
  readonly seconds: number;
  /** Seconds per code cell, keyed by 1-based cell number. */
  readonly cellSeconds: Readonly<Record<number, number>>;
}


function appendStream(outputs: Output[], name: 'stdout' | 'stderr', text: string): void {
  const last = outputs[outputs.length - 1];
  if (last && last.output_type === 'stream' && last.name === name) {
    last.text = (Array.isArray(last.text) ? last.text.join('') : last.text) + text;
  } else {
    outputs.push({ output_type: 'stream', name, text });
  }
}

function formatArgs(args: unknown[]): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const util = require('node:util') as typeof import('node:util');
  return `${util.formatWithOptions({ colors: false }, ...(args as [unknown, ...unknown[]]))}\n`;
}

/** Executes `file` top to bottom in this process; returns the notebook with outputs. */
export async function executeNotebook(file: string): Promise<ExecutedNotebook> {
  const abs = path.resolve(file);
  const nb = readNotebook(abs);
  const { createConverter, createExecutor } = tslabRuntime();
  let node: { close(): void } | null = null;
  const convs: TslabConverterSet = {
    get node() { return (node ??= createConverter({ isJS: false, isBrowser: false })); },
    get browser() { throw new Error('browser cells (%browser) are not supported by the headless runner'); },
    close() { node?.close(); },
  };
  let outputs: Output[] = [];
  let errorText = '';
  const executor = createExecutor(path.dirname(abs), convs, {
    log: (...args) => appendStream(outputs, 'stdout', formatArgs(args)),
    error: (...args) => {
      const text = formatArgs(args);
      errorText += text;
      appendStream(outputs, 'stderr', text);
    },
  });
  const cwd = process.cwd();
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const started = performance.now();
  const cellSeconds: Record<number, number> = {};
  let failure: NotebookFailure | null = null;
  let count = 0;
  process.chdir(path.dirname(abs));
  try {
    for (let i = 0; i < nb.cells.length; i++) {
      const cell = nb.cells[i];
      if (cell.cell_type !== 'code') continue;
      outputs = [];
      errorText = '';
      cell.outputs = outputs;
      cell.execution_count = ++count;
      process.stdout.write = ((chunk: string | Uint8Array) => {
        appendStream(outputs, 'stdout', typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      }) as typeof process.stdout.write;
      process.stderr.write = ((chunk: string | Uint8Array) => {
        appendStream(outputs, 'stderr', typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      }) as typeof process.stderr.write;
      const byId = new Map<string, Output>();
      setDisplayHook((msg, update) => {
        const id = msg.transient?.display_id;
        const out: Output = { output_type: 'display_data', data: msg.data as Record<string, string>, metadata: msg.metadata ?? {} };
        const previous = id ? byId.get(id) : undefined;
        if (update && previous) {
          outputs[outputs.indexOf(previous)] = out; // update_display_data: replace in place, as Jupyter does
        } else {
          outputs.push(out);
        }
        if (id) byId.set(id, out);
      });
      const t0 = performance.now();
      let ok: boolean;
      try {
        ok = await executor.execute(sourceText(cell));
      } catch (err) {
        ok = false;
        errorText += err instanceof Error ? err.stack ?? err.message : String(err);
      }
      cellSeconds[i + 1] = (performance.now() - t0) / 1000;
      if (!ok) {
        const message = errorText.trim() || 'the cell failed without a message';
        outputs.push({ output_type: 'error', ename: 'CellError', evalue: message.split('\n')[0], traceback: message.split('\n') });
        failure = { notebook: abs, cell: i + 1, error: message };
        break;
      }
    }
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    setDisplayHook(null);
    process.chdir(cwd);
    executor.close();
    convs.close();
  }
  for (const cell of nb.cells) {
    for (const out of cell.outputs ?? []) if (out.output_type === 'stream' && typeof out.text === 'string') out.text = toLines(out.text);
  }
  return { notebook: nb, failure, seconds: (performance.now() - started) / 1000, cellSeconds };
}

/**
 * Executes `file` in a fresh Node process (a fresh kernel), writing the executed notebook to `outFile`.
 * Resolves with the same summary as `executeNotebook`; a crash or timeout becomes a failure.
 */
export function executeNotebookIsolated(file: string, outFile: string, timeoutMs = 20 * 60_000): Promise<ExecutedNotebook> {
  const child = path.join(__dirname, `child${path.extname(__filename)}`);
  const summaryFile = `${outFile}.summary.json`;
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.rmSync(summaryFile, { force: true });
  const execArgv = path.extname(__filename) === '.ts' ? ['--import', 'tsx'] : [];
  return new Promise((resolve) => {
    const started = performance.now();
    const proc = childProcess.spawn(process.execPath, [...execArgv, child, path.resolve(file), outFile, summaryFile], {
      stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL',
    });
    let log = '';
    proc.stdout.on('data', (d: Buffer) => { log += d.toString(); });
    proc.stderr.on('data', (d: Buffer) => { log += d.toString(); });
    proc.on('close', (code, signal) => {
      if (fs.existsSync(summaryFile)) {
        const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as Omit<ExecutedNotebook, 'notebook'>;
        fs.rmSync(summaryFile, { force: true });
        resolve({ ...summary, notebook: readNotebook(outFile) });
        return;
      }
      const why = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs / 1000} s?)` : ''}` : `exit code ${code}`;
      resolve({
        notebook: readNotebook(file), seconds: (performance.now() - started) / 1000, cellSeconds: {},
        failure: { notebook: path.resolve(file), cell: 0, error: `the kernel process died (${why}):\n${log.slice(-4000)}` },
      });
    });
  });
}

/** Entry point of the child process: `child <notebook> <out.ipynb> <summary.json>`. */
export async function childMain(argv: string[]): Promise<void> {
  const [file, outFile, summaryFile] = argv;
  const result = await executeNotebook(file);
  writeNotebook(outFile, result.notebook);
  fs.writeFileSync(summaryFile, JSON.stringify({ failure: result.failure, seconds: result.seconds, cellSeconds: result.cellSeconds }));
  process.exit(0);
}
