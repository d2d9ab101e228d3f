/**
 * Executes a notebook in this process with tslab's own converter and executor (through util/tslab.ts): the same compiler and
 * runtime a JupyterLab user gets, without Jupyter or ZeroMQ. Cell output (stdout, stderr, rich display
 * data, errors) is captured into nbformat outputs. The first failing cell stops the run.
 *
 * `executeNotebookIsolated` runs it in a fresh Node process, as a fresh kernel would. `startNotebookIsolated` starts
 * that process ahead of time: the kernel gets ready (its TypeScript compiler loaded and the first cell's imports
 * type-checked, about 1.5 s) and then waits for `run()`, so a runner can start the next notebook's kernel while the
 * current one runs, as JupyterLab starts a kernel when a notebook is opened.
 */
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setDisplayHook, tslabRuntime, type TslabConverter, type TslabConverterSet } from '../util/tslab';
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
  /**
   * Seconds the kernel took to get ready before the first cell ran (loading TypeScript, type-checking the first
   * cell's imports): counted in `seconds`, since a fresh kernel in JupyterLab spends them on the first cell too.
   */
  readonly kernelSeconds: number;
}

export interface ExecuteOptions {
  /** Awaited once the kernel is ready, before the first cell runs (how a started kernel waits for its turn). */
  readonly waitToRun?: () => Promise<void>;
}

/** The packages (bare module names, not local files) that a cell's `import ... from '...'` statements name. */
export function importedPackages(source: string): string[] {
  const names = [...source.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
  return [...new Set(names.filter((n) => !n.startsWith('.') && !path.isAbsolute(n)))];
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

/**
 * Gets a new converter ready for a notebook: type-checks an empty cell that imports the types of `imports` (the
 * packages its first cell imports), which loads the compiler's libraries and those packages' declarations into the
 * converter's program. Nothing runs and no name is declared, so the notebook's cells see the converter as if new.
 * Returns false if that compile emitted a local source file (an import of one): tslab emits each local file once, so
 * the converter would no longer hand it to the executor, and the caller must use a new converter instead.
 */
export function warmConverter(converter: TslabConverter, imports: readonly string[]): boolean {
  const lines = imports.map((name, i) => `import type * as kernelWarmUp${i} from ${JSON.stringify(name)};`);
  try {
    return !converter.convert('', `${lines.join('\n')}\nexport {};\n`).sideOutputs;
  } catch {
    return false;
  }
}

/**
 * Seconds this process's main thread has waited for a CPU while ready to run (Linux's scheduler statistics in
 * /proc); null where there are none.
 */
export function mainThreadWaitSeconds(): number | null {
  try {
    // /proc/<pid>/task/<tid>/schedstat: time on a CPU, time waiting on a run queue (ns), time slices
    return Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return null;
  }
}

/** Executes `file` top to bottom in this process; returns the notebook with outputs. */
export async function executeNotebook(file: string, options: ExecuteOptions = {}): Promise<ExecutedNotebook> {
  const abs = path.resolve(file);
  const nb = readNotebook(abs);
  const { createConverter, createExecutor } = tslabRuntime();
  const cwd = process.cwd();
  // tslab's converter resolves cells and their imports against the current directory when it is created
  process.chdir(path.dirname(abs));
  const kernelStarted = performance.now();
  const kernelWaited = mainThreadWaitSeconds();
  const newConverter = () => createConverter({ isJS: false, isBrowser: false });
  let node: TslabConverter | null = null;
  try {
    node = newConverter();
    const firstCode = nb.cells.find((c) => c.cell_type === 'code');
    if (firstCode && !warmConverter(node, importedPackages(sourceText(firstCode)))) {
      node.close();
      node = newConverter();
    }
  } catch (err) {
    node?.close();
    process.chdir(cwd);
    throw err;
  }
  const convs: TslabConverterSet = {
    get node() { return (node ??= newConverter()); },
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
  // what getting ready takes on an idle machine: its wall time less the time this thread (the compiler's) waited for a CPU.
  // A kernel started while another notebook runs shares the cores with it: its wall time alone would count part of
  // that notebook too.
  const kernelWall = (performance.now() - kernelStarted) / 1000;
  const waited = kernelWaited === null ? 0 : Math.max(0, (mainThreadWaitSeconds() ?? kernelWaited) - kernelWaited);
  const kernelSeconds = kernelWall - waited;
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const cellSeconds: Record<number, number> = {};
  let failure: NotebookFailure | null = null;
  let count = 0;
  let started = performance.now();
  try {
    await options.waitToRun?.();
    started = performance.now();
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
  return { notebook: nb, failure, seconds: kernelSeconds + (performance.now() - started) / 1000, cellSeconds, kernelSeconds };
}

/** A notebook's kernel process, started ahead of time: it gets ready, then waits for {@link StartedNotebook.run}. */
export interface StartedNotebook {
  /** Lets the kernel run the notebook; resolves with the same summary as `executeNotebook`. A crash or timeout becomes a failure. */
  run(): Promise<ExecutedNotebook>;
  /** Stops a kernel that has not been told to run: the process exits without running a cell; resolves when it has. */
  cancel(): Promise<void>;
}

/**
 * Starts a fresh Node process (a fresh kernel) for `file`, which gets ready and waits; `run()` lets it execute the
 * notebook, writing the executed notebook to `outFile`. `timeoutMs` counts from `run()`.
 */
export function startNotebookIsolated(file: string, outFile: string, timeoutMs = 20 * 60_000): StartedNotebook {
  const child = path.join(__dirname, `child${path.extname(__filename)}`);
  const summaryFile = `${outFile}.summary.json`;
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.rmSync(summaryFile, { force: true });
  const execArgv = path.extname(__filename) === '.ts' ? ['--import', 'tsx'] : [];
  let started = performance.now(); // from run(): a kernel that dies is timed from its turn, not from its start
  const proc = childProcess.spawn(process.execPath, [...execArgv, child, path.resolve(file), outFile, summaryFile, '--wait'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d: Buffer) => { log += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  proc.stdin.on('error', () => undefined); // a kernel that died before its turn: its exit is the failure reported
  let timedOut = false;
  const exited = new Promise<ExecutedNotebook>((resolve) => {
    proc.on('close', (code, signal) => {
      if (fs.existsSync(summaryFile)) {
        const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as Omit<ExecutedNotebook, 'notebook'>;
        fs.rmSync(summaryFile, { force: true });
        resolve({ ...summary, notebook: readNotebook(outFile) });
        return;
      }
      const why = timedOut ? `killed after the timeout of ${timeoutMs / 1000} s` : signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve({
        notebook: readNotebook(file), seconds: (performance.now() - started) / 1000, cellSeconds: {}, kernelSeconds: 0,
        failure: { notebook: path.resolve(file), cell: 0, error: `the kernel process died (${why}):\n${log.slice(-4000)}` },
      });
    });
  });
  return {
    run() {
      started = performance.now();
      const timer = setTimeout(() => { timedOut = true; proc.kill('SIGKILL'); }, timeoutMs);
      proc.stdin.end('run\n');
      return exited.finally(() => clearTimeout(timer));
    },
    cancel() {
      proc.stdin.end();
      return exited.then(() => undefined);
    },
  };
}

/**
 * Executes `file` in a fresh Node process (a fresh kernel), writing the executed notebook to `outFile`.
 * Resolves with the same summary as `executeNotebook`; a crash or timeout becomes a failure.
 */
export function executeNotebookIsolated(file: string, outFile: string, timeoutMs = 20 * 60_000): Promise<ExecutedNotebook> {
  return startNotebookIsolated(file, outFile, timeoutMs).run();
}

/** Resolves when this process's stdin says "run"; exits the process when stdin closes without it (cancelled). */
function runWhenTold(): Promise<void> {
  return new Promise((resolve) => {
    let said = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => {
      said += d;
      if (said.includes('run')) { process.stdin.pause(); resolve(); }
    });
    process.stdin.on('end', () => { if (!said.includes('run')) process.exit(0); });
  });
}

/** Entry point of the child process: `child <notebook> <out.ipynb> <summary.json> [--wait]` (--wait: get ready, then wait for "run" on stdin). */
export async function childMain(argv: string[]): Promise<void> {
  const [file, outFile, summaryFile, wait] = argv;
  const result = await executeNotebook(file, wait === '--wait' ? { waitToRun: runWhenTold } : {});
  writeNotebook(outFile, result.notebook);
  fs.writeFileSync(summaryFile, JSON.stringify({ failure: result.failure, seconds: result.seconds, cellSeconds: result.cellSeconds, kernelSeconds: result.kernelSeconds }));
  process.exit(0);
}
