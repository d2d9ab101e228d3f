/**
 * Offline installation for a class (`siamese workshop pack --out DIR`): everything `npm ci` needs, so that
 * laptops install with no network at all.
 *
 * It fills an npm cache folder with every tarball the lockfile names, for every platform (sharp's native
 * packages for Linux, macOS and Windows are optional dependencies, and a plain `npm ci` caches only the ones
 * of the machine it runs on), and writes the project itself as a tarball of the committed files. A laptop then
 * runs `npm ci --offline --cache <DIR>/npm-cache`. With `--with-caches` it also packs the trained experiments
 * (artifacts/runs) and the generated data, so laptops skip the training that `workshop:prepare` would do.
 */
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot, writeFileAtomic } from '../util';

/** One tarball named by package-lock.json. */
export interface LockedTarball {
  readonly name: string;
  readonly version: string;
  /** What `npm cache add` fetches: the locked URL when the lockfile records one, else `name@version`. */
  readonly spec: string;
  readonly integrity: string;
}

interface LockEntry { version?: string; resolved?: string; integrity?: string; link?: boolean; name?: string }

/**
 * Every registry package in a lockfile (v2/v3 `packages`), once each; links and local folders are skipped,
 * aliases (`"x": "npm:y@1"`) are listed by their real name. Lockfiles written with
 * `omit-lockfile-registry-resolved` carry no URLs; then the spec is `name@version`, which the configured
 * registry resolves and the recorded integrity hash verifies.
 */
export function lockedTarballs(lockText: string, file = 'package-lock.json'): LockedTarball[] {
  let lock: { lockfileVersion?: number; packages?: Record<string, LockEntry> };
  try {
    lock = JSON.parse(lockText) as typeof lock;
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message})`);
  }
  if (!lock.packages || (lock.lockfileVersion ?? 0) < 2) {
    throw new Error(`${file}: lockfileVersion ${lock.lockfileVersion ?? '?'} has no "packages" map; regenerate it with npm 7 or later`);
  }
  const bySpec = new Map<string, LockedTarball>();
  for (const [key, entry] of Object.entries(lock.packages)) {
    const local = entry.resolved !== undefined && !/^https?:\/\//.test(entry.resolved);
    if (key === '' || entry.link || local || !key.includes('node_modules/')) continue;
    const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!entry.version) throw new Error(`${file}: ${key} has no version`);
    if (!entry.integrity) throw new Error(`${file}: ${key} has no integrity hash; an offline install could not verify it`);
    const spec = entry.resolved ?? `${name}@${entry.version}`;
    bySpec.set(spec, { name, version: entry.version, spec, integrity: entry.integrity });
  }
  return [...bySpec.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

export interface PackOptions {
  /** The folder to write (created; must be empty or absent). */
  readonly out: string;
  /** Also pack artifacts/runs and the generated data (data/synth). */
  readonly withCaches?: boolean;
  readonly log?: (line: string) => void;
}

export interface PackReport {
  readonly out: string;
  readonly tarballs: number;
  readonly cacheMiB: number;
  readonly files: readonly string[];
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = childProcess.spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.slice(0, 4).join(' ')}... failed (exit ${r.status ?? r.signal}):\n${(r.stderr || r.stdout || r.error?.message || '').trim().slice(-2000)}`);
  }
}

function sizeMiB(dir: string): number {
  let bytes = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else bytes += fs.statSync(p).size;
    }
  };
  walk(dir);
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

/** Writes the offline kit; needs the registry once (here), never on the laptops. */
export function packOffline(options: PackOptions): PackReport {
  const log = options.log ?? ((line: string) => console.log(line));
  const root = projectRoot();
  const out = path.resolve(options.out);
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0) throw new Error(`${out} is not empty; choose a new folder`);
  fs.mkdirSync(out, { recursive: true });

  const lockFile = path.join(root, 'package-lock.json');
  const tarballs = lockedTarballs(fs.readFileSync(lockFile, 'utf8'), lockFile);
  const cache = path.join(out, 'npm-cache');
  log(`caching ${tarballs.length} tarballs from package-lock.json (all platforms) into ${cache}`);
  for (let i = 0; i < tarballs.length; i += 40) {
    run('npm', ['cache', 'add', '--cache', cache, ...tarballs.slice(i, i + 40).map((t) => t.spec)], root);
    log(`  ${Math.min(i + 40, tarballs.length)}/${tarballs.length}`);
  }

  const files = ['npm-cache/'];
  const project = path.join(out, 'siamese-lfw.tar');
  log('packing the committed project (git archive HEAD)');
  run('git', ['archive', '--format=tar', '--prefix=siamese-lfw/', '-o', project, 'HEAD'], root);
  files.push('siamese-lfw.tar');

  if (options.withCaches) {
    const parts = ['artifacts/runs', 'data/synth'].filter((p) => fs.existsSync(path.join(root, p)));
    if (parts.length === 0) throw new Error('--with-caches: nothing to pack; run `npm run workshop:prepare` first');
    log(`packing the warm caches: ${parts.join(', ')}`);
    run('tar', ['-cf', path.join(out, 'workshop-caches.tar'), ...parts], root);
    files.push('workshop-caches.tar');
  }

  const steps = [
    'Offline installation for a siamese-lfw workshop (copy this folder to each laptop; Node.js >= 20 must be installed).',
    '',
    '  tar -xf siamese-lfw.tar && cd siamese-lfw',
    '  npm ci --offline --cache ../npm-cache',
    ...(options.withCaches ? ['  tar -xf ../workshop-caches.tar        # trained experiments and generated data'] : []),
    '  npm run workshop:prepare               # checks every notebook against its time budget',
    '',
    'Then start JupyterLab on the notebooks/ folder with the tslab kernel (see README.md and docs/workshop.md).',
  ];
  writeFileAtomic(path.join(out, 'README.txt'), `${steps.join('\n')}\n`);
  files.push('README.txt');
  const report = { out, tarballs: tarballs.length, cacheMiB: sizeMiB(cache), files };
  log(`wrote ${out}: ${files.join(', ')} (npm cache ${report.cacheMiB} MiB)`);
  return report;
}
