import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, parseBackendName, resetBackendForTests, formatBackendInfo } from '../../lib/backend';

beforeEach(() => resetBackendForTests());

async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    return { value: await fn(), lines };
  } finally {
    console.log = log;
  }
}

test('forcing cpu and wasm uses them, and says it was forced', async () => {
  for (const name of ['cpu', 'wasm'] as const) {
    resetBackendForTests();
    const info = await initBackend({ backend: name, quiet: true });
    assert.equal(info.name, name);
    assert.equal(tf.getBackend(), name);
    assert.equal(info.requested, name);
    assert.match(info.reason, /forced/);
  }
});

test('SIAMESE_BACKEND forces a backend; a bad value is a clear error', async () => {
  const info = await initBackend({ env: { SIAMESE_BACKEND: 'CPU' }, quiet: true });
  assert.equal(info.name, 'cpu');
  resetBackendForTests();
  await assert.rejects(initBackend({ env: { SIAMESE_BACKEND: 'cuda' }, quiet: true }), /SIAMESE_BACKEND="cuda" is not a backend; use one of tfjs-node-gpu, tfjs-node, wasm, cpu/);
  assert.throws(() => parseBackendName('gpu', '--backend'), /--backend="gpu"/);
});

test('a missing backend falls back along the chain with a message saying why', async () => {
  const { value: info, lines } = await captured(() => initBackend({ backend: 'tfjs-node-gpu', env: {} }));
  // tfjs-node-gpu cannot install here; on a machine that has it this test sees it chosen instead.
  if (info.name === 'tfjs-node-gpu') return;
  assert.equal(info.requested, 'tfjs-node-gpu');
  assert.equal(info.attempts[0].name, 'tfjs-node-gpu');
  assert.equal(info.attempts[0].ok, false);
  assert.match(info.attempts[0].reason, /not installed/);
  assert.ok(['tfjs-node', 'wasm'].includes(info.name));
  assert.match(info.reason, /tfjs-node-gpu was requested but could not load .* fell back to/);
  assert.equal(lines.length, 1, 'the choice is printed once');
  assert.equal(lines[0], formatBackendInfo(info));
});

test('automatic selection prints once and later calls return the same choice', async () => {
  const { value: first, lines } = await captured(async () => {
    const a = await initBackend({ env: {} });
    const b = await initBackend({ env: {} });
    assert.equal(a, b);
    return a;
  });
  assert.equal(lines.length, 1);
  assert.equal(first.requested, null);
  assert.ok(first.attempts.at(-1)?.ok);
  assert.ok(first.attempts.slice(0, -1).every((a) => !a.ok), 'every backend before the chosen one failed');
  await assert.rejects(initBackend({ backend: first.name === 'cpu' ? 'wasm' : 'cpu' }), /already .* restart/);
});
