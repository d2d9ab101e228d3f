/**
 * Where the project reads and writes. Everything is relative to the package root, never to the current
 * directory: a notebook kernel runs in notebooks/, the CLI wherever the user is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSafe } from './files';

let root: string | null = null;

/** The folder holding this package's package.json (works from lib/ under tsx and from dist/). */
export function projectRoot(): string {
  if (root !== null) return root;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'siamese-lfw') return (root = dir);
      } catch {
        // not ours; keep looking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the siamese-lfw package root above ${__dirname}`);
    dir = parent;
  }
}

/** The data home: `SIAMESE_DATA` if set, else `<project>/data`. */
export function dataHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.SIAMESE_DATA?.trim();
  return fromEnv ? path.resolve(fromEnv) : path.join(projectRoot(), 'data');
}

/** `<project>/artifacts`, or a subfolder of it. */
export function artifactsDir(...parts: string[]): string {
  return path.join(projectRoot(), 'artifacts', ...parts);
}

/** Writes a file atomically: a temporary file beside it, then rename. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomicSafe(file, [data]);
}
