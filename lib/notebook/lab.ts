/**
 * `npm run lab` / `siamese lab`: open the notebooks in JupyterLab (or Jupyter Notebook) with this project's
 * TypeScript kernel, on any machine, with nothing installed globally.
 *
 * Why not `npx tslab install`: tslab's installer needs IPython in the `python3` it is given, and the kernel
 * spec it writes runs a bare `tslab`, which is not on PATH after `npm ci`. Instead the kernel spec is
 * written to a project-local Jupyter path (`artifacts/jupyter/kernels/tslab/kernel.json`) with absolute
 * paths to this Node and this project's tslab, and the front end is started with `JUPYTER_PATH` pointing
 * there. The same spec is used by the Jupyter-protocol notebook test, so the route the README gives is
 * the route the tests run.
 *
 * Front ends are tried in order: JupyterLab (`jupyter-lab`, then `python3 -m jupyterlab`), then Jupyter
 * Notebook (`jupyter-notebook`, then `python3 -m notebook`). If none is found, `installHelp` says what to
 * install for this operating system.
 */
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactsDir, projectRoot } from '../util/paths';
import { candidatePythons, writeKernelSpec } from './jupyter';

/** A Jupyter front end found on this machine. */
export interface JupyterFrontEnd {
  readonly name: 'JupyterLab' | 'Jupyter Notebook';
  /** The command and the arguments that start it (before the project's own arguments). */
  readonly command: readonly string[];
  /** What `--version` printed. */
  readonly version: string;
}

/** Everything `siamese lab` does, decided before anything starts. */
export interface LabPlan {
  /** The project-local Jupyter path holding the kernel spec (`JUPYTER_PATH`). */
  readonly jupyterPath: string;
  /** The kernel.json written there. */
  readonly kernelSpec: string;
  /** The front end to start, or null with `install` saying what to install. */
  readonly frontEnd: JupyterFrontEnd | null;
  readonly notebooksDir: string;
  /** The full command line that starts the front end (empty when there is none). */
  readonly argv: readonly string[];
  /** The environment the front end runs with (this process's plus JUPYTER_PATH). */
  readonly env: NodeJS.ProcessEnv;
  /** What to install when no front end is found (always filled, for `--help`-like output). */
  readonly install: string;
}

function version(command: readonly string[]): string | null {
  const r = childProcess.spawnSync(command[0], [...command.slice(1), '--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0 || r.error) return null;
  const out = `${r.stdout ?? ''}`.trim().split('\n').pop() ?? '';
  return out || 'unknown version';
}

/**
 * The first Jupyter front end found: JupyterLab before Notebook, a `jupyter-*` executable on PATH before
 * `python -m`. `prefer` restricts the search to one of them.
 */
export function findJupyterFrontEnd(prefer?: 'lab' | 'notebook'): JupyterFrontEnd | null {
  const candidates: Array<{ name: JupyterFrontEnd['name']; command: string[] }> = [];
  if (prefer !== 'notebook') {
    candidates.push({ name: 'JupyterLab', command: ['jupyter-lab'] });
    for (const py of candidatePythons()) candidates.push({ name: 'JupyterLab', command: [py, '-m', 'jupyterlab'] });
  }
  if (prefer !== 'lab') {
    candidates.push({ name: 'Jupyter Notebook', command: ['jupyter-notebook'] });
    for (const py of candidatePythons()) candidates.push({ name: 'Jupyter Notebook', command: [py, '-m', 'notebook'] });
  }
  for (const c of candidates) {
    const v = version(c.command);
    if (v !== null) return { ...c, version: v };
  }
  return null;
}

/** What to install to get a Jupyter front end, for `platform` (and, on Linux, whether apt is there). */
export function installHelp(platform: NodeJS.Platform = process.platform, hasApt = fs.existsSync('/usr/bin/apt-get')): string {
  const lines = ['No Jupyter front end found (tried jupyter-lab, python3 -m jupyterlab, jupyter-notebook, python3 -m notebook). Install one:'];
  if (platform === 'linux' && hasApt) {
    lines.push('  sudo apt-get install --no-install-recommends jupyter-notebook python3-ipykernel   # Debian/Ubuntu, no package index needed');
  }
  if (platform === 'win32') {
    lines.push('  py -m pip install jupyterlab                                  # Python from python.org');
  } else {
    lines.push('  python3 -m pip install --user jupyterlab                      # any Python 3.8+ with pip');
  }
  if (platform === 'darwin') lines.push('  brew install jupyterlab                                       # Homebrew');
  lines.push('  conda install -c conda-forge jupyterlab                       # Anaconda / Miniconda');
  lines.push('then run `npm run lab` again. Nothing else is needed: the TypeScript kernel is this project\'s own (no `tslab install`).');
  return lines.join('\n');
}

/** Options for `planLab`. */
export interface LabOptions {
  /** Only JupyterLab or only Notebook (default: JupyterLab if present, else Notebook). */
  readonly prefer?: 'lab' | 'notebook';
  /** Extra arguments for the front end, e.g. `--no-browser`, `--port=8890`. */
  readonly args?: readonly string[];
  /** Where the kernel spec goes (default artifacts/jupyter). */
  readonly jupyterPath?: string;
}

/** Writes the kernel spec and finds the front end; starts nothing. */
export function planLab(options: LabOptions = {}): LabPlan {
  const jupyterPath = writeKernelSpec(options.jupyterPath ?? artifactsDir('jupyter'));
  const frontEnd = findJupyterFrontEnd(options.prefer);
  const notebooksDir = path.join(projectRoot(), 'notebooks');
  const existing = process.env.JUPYTER_PATH;
  const env = { ...process.env, JUPYTER_PATH: existing ? `${jupyterPath}${path.delimiter}${existing}` : jupyterPath };
  // Jupyter refuses to start as root without --allow-root (containers, CI, a workshop VM).
  const root = process.getuid?.() === 0 && !(options.args ?? []).includes('--allow-root') ? ['--allow-root'] : [];
  const argv = frontEnd ? [...frontEnd.command, `--notebook-dir=${notebooksDir}`, ...root, ...(options.args ?? [])] : [];
  return { jupyterPath, kernelSpec: path.join(jupyterPath, 'kernels', 'tslab', 'kernel.json'), frontEnd, notebooksDir, argv, env, install: installHelp() };
}

/** What `siamese lab` prints before starting the front end. */
export function formatLabPlan(plan: LabPlan): string {
  const lines = [
    `kernel: "TypeScript (siamese-lfw)" registered in ${path.relative(projectRoot(), plan.kernelSpec)} (project-local; nothing installed globally)`,
  ];
  if (plan.frontEnd) {
    lines.push(`front end: ${plan.frontEnd.name} ${plan.frontEnd.version} (${plan.frontEnd.command.join(' ')})`);
    lines.push(`starting: JUPYTER_PATH=${plan.env.JUPYTER_PATH} ${plan.argv.join(' ')}`);
    lines.push('In the browser, open 00-environment.ipynb; its kernel is "TypeScript (siamese-lfw)". Stop the server with Ctrl+C.');
  }
  return lines.join('\n');
}

/** Starts the front end and resolves with its exit code; Ctrl+C reaches it (and only it shuts down). */
export function launchLab(plan: LabPlan): Promise<number> {
  if (!plan.frontEnd) return Promise.reject(new Error(plan.install));
  const child = childProcess.spawn(plan.argv[0], plan.argv.slice(1), { stdio: 'inherit', env: plan.env, cwd: plan.notebooksDir });
  // The terminal's Ctrl+C goes to the whole process group; Jupyter asks for confirmation itself.
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => { process.off('SIGINT', ignore); reject(err); });
    child.on('exit', (code, signal) => { process.off('SIGINT', ignore); resolve(code ?? (signal ? 128 : 1)); });
  });
}
