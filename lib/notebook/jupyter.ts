/**
 * Executes notebooks through the real Jupyter protocol: Python's nbclient starts the tslab kernel from a
 * kernel.json on a project JUPYTER_PATH (nothing is installed into the user's Jupyter), talks to it over
 * ZeroMQ exactly as JupyterLab does, and writes the executed notebook.
 */
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactsDir, projectRoot } from '../util/paths';

/** Pythons to try: `JUPYTER_PYTHON`, then the PATH's python3, then Debian's (pyenv often shadows it), then Windows' `py`. */
export function candidatePythons(): string[] {
  const list = [process.env.JUPYTER_PYTHON, 'python3', '/usr/bin/python3', process.platform === 'win32' ? 'py' : undefined];
  return [...new Set(list.filter((p): p is string => Boolean(p)))];
}

let python: string | null | undefined;

/** The first python3 that has nbclient, nbformat and jupyter_client, or null. */
export function jupyterPython(): string | null {
  if (python !== undefined) return python;
  python = candidatePythons().find((p) =>
    childProcess.spawnSync(p, ['-c', 'import nbclient, nbformat, jupyter_client'], { stdio: 'ignore' }).status === 0) ?? null;
  return python;
}

/** Why Jupyter cannot run here, or null when a python3 with nbclient is available. */
export function jupyterUnavailableReason(): string | null {
  if (jupyterPython() !== null) return null;
  return `no python3 with nbclient, nbformat and jupyter_client (tried ${candidatePythons().join(', ')}); ` +
    'on Debian: apt-get install --no-install-recommends python3-nbclient jupyter-nbconvert jupyter-client python3-ipykernel';
}

/**
 * Writes `<dir>/kernels/tslab/kernel.json` pointing at this project's tslab; returns the JUPYTER_PATH dir.
 * `nodeArgs` go to Node before tslab (tests: `--import <tsx>` so that cells can import lib/ sources).
 */
export function writeKernelSpec(dir = artifactsDir('jupyter'), nodeArgs: readonly string[] = []): string {
  const tslab = path.join(projectRoot(), 'node_modules', 'tslab', 'bin', 'tslab');
  if (!fs.existsSync(tslab)) throw new Error(`tslab is not installed at ${tslab}; run npm ci`);
  const kernelDir = path.join(dir, 'kernels', 'tslab');
  fs.mkdirSync(kernelDir, { recursive: true });
  const spec = {
    argv: [process.execPath, ...nodeArgs, tslab, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript (siamese-lfw)',
    language: 'typescript',
  };
  fs.writeFileSync(path.join(kernelDir, 'kernel.json'), `${JSON.stringify(spec, null, 2)}\n`);
  return dir;
}

const RUNNER = `
import sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
src, out, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, timeout=timeout, kernel_name='tslab', resources={'metadata': {'path': sys.argv[4]}})
try:
    client.execute()
    code = 0
except CellExecutionError as e:
    print(str(e)[-4000:], file=sys.stderr)
    code = 1
nbformat.write(nb, out)
sys.exit(code)
`;

export interface JupyterRun {
  readonly ok: boolean;
  readonly seconds: number;
  readonly log: string;
}

/**
 * Executes `file` with nbclient and the tslab kernel, writing the executed notebook to `outFile`. The kernel
 * spec is the one in `jupyterPath` when given (e.g. the one `siamese lab` wrote: the README's route), else
 * one written now to artifacts/jupyter.
 */
export function executeWithJupyter(file: string, outFile: string, timeoutPerCellS = 600, jupyterPath?: string): JupyterRun {
  const py = jupyterPython();
  if (py === null) throw new Error(`cannot execute ${file} through Jupyter: ${jupyterUnavailableReason()}`);
  if (jupyterPath !== undefined && !fs.existsSync(path.join(jupyterPath, 'kernels', 'tslab', 'kernel.json'))) {
    throw new Error(`no kernel spec in ${jupyterPath}/kernels/tslab: run \`npm run lab -- --no-start\` first`);
  }
  jupyterPath ??= writeKernelSpec();
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const started = performance.now();
  const r = childProcess.spawnSync(py, ['-c', RUNNER, path.resolve(file), outFile, String(timeoutPerCellS), path.dirname(path.resolve(file))], {
    encoding: 'utf8',
    env: { ...process.env, JUPYTER_PATH: jupyterPath, JUPYTER_PLATFORM_DIRS: '1', PYDEVD_DISABLE_FILE_VALIDATION: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { ok: r.status === 0, seconds: (performance.now() - started) / 1000, log: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}
