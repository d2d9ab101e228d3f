/**
 * The hostile-input corpus holds at least 150 cases across every area the issue names (issue 14). The
 * cases themselves live beside the tests of the code they attack (test/data, test/train, ...); this file
 * counts the `hostile(area, ...)` registrations so the corpus cannot quietly shrink.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? testFiles(p) : e.name.endsWith('.test.ts') ? [p] : [];
  });
}

test('the hostile corpus holds >= 150 cases, in every area', () => {
  const byArea = new Map<string, number>();
  for (const file of testFiles(root)) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/\bhostile\(\s*'([a-z-]+)'/g)) byArea.set(m[1], (byArea.get(m[1]) ?? 0) + 1);
  }
  const total = [...byArea.values()].reduce((a, b) => a + b, 0);
  console.log(`hostile corpus: ${total} cases (${[...byArea].sort().map(([a, n]) => `${a} ${n}`).join(', ')})`);
  assert.ok(total >= 150, `only ${total} hostile cases`);
  for (const area of ['images', 'pairs', 'folders', 'archives', 'downloads', 'checkpoints', 'configs', 'concurrency']) {
    assert.ok((byArea.get(area) ?? 0) > 0, `no hostile case in area ${area}`);
  }
});
