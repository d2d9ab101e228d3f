import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheFillingNotebooks, formatWorkshopReport, lockedTarballs, notebookBudgets, type WorkshopReport } from '../../lib/workshop';
import { listNotebooks } from '../../lib/notebook';
import { projectRoot } from '../../lib/util';

const LOCK = {
  name: 'x', lockfileVersion: 3, requires: true,
  packages: {
    '': { name: 'x', dependencies: { a: '1' } },
    'node_modules/a': { version: '1.0.0', resolved: 'https://registry.npmjs.org/a/-/a-1.0.0.tgz', integrity: 'sha512-AAA' },
    'node_modules/b/node_modules/a': { version: '1.0.0', resolved: 'https://registry.npmjs.org/a/-/a-1.0.0.tgz', integrity: 'sha512-AAA' },
    'node_modules/@img/sharp-darwin-arm64': { version: '0.35.0', resolved: 'https://registry.npmjs.org/@img/sharp-darwin-arm64/-/sharp-darwin-arm64-0.35.0.tgz', integrity: 'sha512-BBB', optional: true, os: ['darwin'] },
    'node_modules/self': { resolved: '', link: true },
    'node_modules/c': { version: '2.0.0', integrity: 'sha512-DDD' },
    'lib/local-folder': { version: '0.0.1' },
    'node_modules/alias': { name: '@tensorflow/tfjs', version: '4.22.0', resolved: 'https://registry.npmjs.org/@tensorflow/tfjs/-/tfjs-4.22.0.tgz', integrity: 'sha512-CCC' },
  },
};

test('lockedTarballs: every registry tarball once, other platforms included, links skipped, aliases by their real name', () => {
  const got = lockedTarballs(JSON.stringify(LOCK));
  assert.deepEqual(got.map((t) => `${t.name}@${t.version}`), ['@img/sharp-darwin-arm64@0.35.0', '@tensorflow/tfjs@4.22.0', 'a@1.0.0', 'c@2.0.0']);
  assert.equal(got.find((t) => t.name === 'a')?.spec, 'https://registry.npmjs.org/a/-/a-1.0.0.tgz', 'a locked URL is used as is');
  assert.equal(got.find((t) => t.name === 'c')?.spec, 'c@2.0.0', 'no URL recorded: name@version');
});

test('lockedTarballs: bad lockfiles are refused with the file named', () => {
  assert.throws(() => lockedTarballs('{', 'my/package-lock.json'), /my\/package-lock\.json: not JSON/);
  assert.throws(() => lockedTarballs(JSON.stringify({ lockfileVersion: 1, dependencies: {} }), 'old.json'), /old\.json: lockfileVersion 1 has no "packages" map/);
  const noIntegrity = { ...LOCK, packages: { 'node_modules/a': { version: '1' } } };
  assert.throws(() => lockedTarballs(JSON.stringify(noIntegrity), 'p.json'), /p\.json: node_modules\/a has no integrity hash/);
});

test("the project's own lockfile yields sharp's native packages for every platform", () => {
  const names = lockedTarballs(fs.readFileSync(path.join(projectRoot(), 'package-lock.json'), 'utf8')).map((t) => t.name);
  for (const platform of ['@img/sharp-linux-x64', '@img/sharp-darwin-arm64', '@img/sharp-win32-x64']) {
    assert.ok(names.includes(platform), `${platform} is in the offline cache list`);
  }
});

test('the prepare report flags a notebook over budget and says the machine is not ready', () => {
  const report: WorkshopReport = {
    date: '2026-11-24T00:00:00Z', machine: 'test machine', backend: 'wasm', data: 'synthetic', jupyter: 'JupyterLab 4.2.5', totalSeconds: 200, ok: false,
    outDir: path.join(projectRoot(), 'artifacts', 'workshop'),
    notebooks: [
      { name: '00-environment', budget: { warmSeconds: 60, firstRunSeconds: 60 }, firstRunSeconds: null, warmSeconds: 11.9, withinBudget: true },
      { name: '05-training-runs', budget: { warmSeconds: 120, firstRunSeconds: 360 }, firstRunSeconds: 300, warmSeconds: 130.2, withinBudget: false },
    ],
  };
  const text = formatWorkshopReport(report);
  assert.match(text, /00-environment\s+-\s+11\.9 s\s+1 min\s+ok/);
  assert.match(text, /first run "-": the notebook caches nothing, so it ran once, warm/);
  assert.match(text, /05-training-runs\s+300\.0 s\s+130\.2 s\s+2 min \(first 6\)\s+OVER BUDGET/);
  assert.match(text, /NOT READY/);
  assert.match(text, /artifacts\/workshop/);
  assert.match(text, /Jupyter: JupyterLab 4\.2\.5/);
  const noJupyter = formatWorkshopReport({ ...report, jupyter: null, notebooks: [report.notebooks[1]] });
  assert.doesNotMatch(noJupyter, /first run "-"/, 'the legend only when a notebook ran warm only');
  assert.match(noJupyter, /Jupyter: none found/);
  assert.match(noJupyter, /NOT READY: no Jupyter front end for `npm run lab`/);
});

test("prepare's first run: only the notebooks whose header promises a longer first run (the ones that train)", () => {
  const budgets = notebookBudgets(listNotebooks());
  assert.equal(budgets.size, listNotebooks().length);
  assert.deepEqual(cacheFillingNotebooks(budgets), ['05-training-runs', '06-test-evaluation', '08-applications']);
  assert.deepEqual(cacheFillingNotebooks(new Map([['a', { warmSeconds: 60, firstRunSeconds: 60 }], ['b', { warmSeconds: 60, firstRunSeconds: 120 }]])), ['b']);
});
