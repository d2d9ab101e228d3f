/**
 * Where the project keeps its data: the project root, the data home (`SIAMESE_DATA`, default `data/` in the
 * project) and the shipped LFW pair files (`data/lfw-meta/`).
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */
import * as path from 'node:path';
import { dataHome, projectRoot } from '../util/paths';

export { projectRoot, dataHome } from '../util/paths';

/** The folder holding LFW's official pair files (always the shipped copy in the project). */
export function lfwMetaDir(): string {
  return path.join(projectRoot(), 'data', 'lfw-meta');
}

/** The decoded-image cache folder under a data home. */
export function decodeCacheDir(home: string = dataHome()): string {
  return path.join(home, 'cache', 'decoded');
}

/** The folder for saved splits under a data home. */
export function splitsDir(home: string = dataHome()): string {
  return path.join(home, 'splits');
}
