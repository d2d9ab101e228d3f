#!/usr/bin/env node
// The project's one test command (README: `npm test`). Runs every tier that needs no real LFW: unit tests,
// notebook execution (in-process and through Jupyter) and the slow tests (*.slow.test.ts). `--unit` skips
// the slow and notebook tiers for quick iteration. Real-LFW tests run too but skip themselves unless LFW_DIR is set.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const unitOnly = process.argv.includes('--unit');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

let files = walk(join(root, 'test')).sort();
if (unitOnly) files = files.filter((f) => !f.endsWith('.slow.test.ts') && !f.includes('/test/notebook/execute') && !f.includes('/test/notebook/rich-output'));
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
console.log(`running ${files.length} test files${unitOnly ? ' (unit tier)' : ''}`);
const started = Date.now();
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files.map((f) => relative(root, f))], {
  cwd: root, stdio: 'inherit', env: { ...process.env, SIAMESE_TEST: '1' },
});
console.log(`tests finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(r.status ?? 1);
