/**
 * The hostile-input corpus (issue 14). Every case is registered through `hostile(area, name, fn)` so the
 * corpus can be counted (`test/hostile/count.test.ts` asserts it holds at least 150 cases) and so a
 * reader can list it: `grep -rho "hostile('[a-z-]*'" test | sort | uniq -c`.
 *
 * A case asserts either the exact error (naming the file and, where there is one, the line) or the
 * correct result, and that nothing already computed was lost.
 *
 * Areas: images, pairs, folders, archives, downloads, checkpoints, configs, concurrency, runs.
 */
import { test } from 'node:test';

export type HostileArea = 'images' | 'pairs' | 'folders' | 'archives' | 'downloads' | 'checkpoints' | 'configs' | 'concurrency' | 'runs' | 'splits';

/** Registers one hostile case as a node:test test named `hostile/<area>: <name>`. */
export function hostile(area: HostileArea, name: string, fn: () => unknown | Promise<unknown>): void {
  test(`hostile/${area}: ${name}`, async () => {
    await fn();
  });
}
