import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRateAt, resolveSchedule } from '../../lib/train';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

test('StepLR: lr · γ^⌊e/stepSize⌋ (PyTorch StepLR(step_size=2, gamma=0.5))', () => {
  const s = resolveSchedule({ name: 'step', stepSize: 2, gamma: 0.5 });
  assert.deepEqual([0, 1, 2, 3, 4].map((e) => learningRateAt(e, 0.1, s, 5)), [0.1, 0.1, 0.05, 0.05, 0.025]);
});

test('cosine annealing follows PyTorch CosineAnnealingLR(T_max=4, eta_min=0.001)', () => {
  const s = resolveSchedule({ name: 'cosine', tMax: 4, etaMin: 0.001 });
  // PyTorch's closed form: eta_min + (base - eta_min) * (1 + cos(pi * e / T_max)) / 2
  const want = [0.1, 0.0855, 0.0505, 0.0155, 0.001];
  want.forEach((w, e) => assert.ok(Math.abs(learningRateAt(e, 0.1, s, 5) - w) < 1e-4, `epoch ${e}`));
  close(learningRateAt(2, 0.1, resolveSchedule({ name: 'cosine' }), 4), 0.05);
});

test('warm-up ramps linearly, then the schedule starts from its beginning', () => {
  const s = resolveSchedule({ name: 'step', stepSize: 1, gamma: 0.5, warmupEpochs: 3 });
  const lrs = [0, 1, 2, 3, 4].map((e) => learningRateAt(e, 0.4, s, 5));
  [0.1, 0.2, 0.3, 0.4, 0.2].forEach((w, i) => close(lrs[i], w));
});

test('bad schedules are rejected with the value named', () => {
  assert.throws(() => resolveSchedule({ name: 'linear' as never }), /got "linear"/);
  assert.throws(() => resolveSchedule({ gamma: 0 }), /gamma must be in \(0, 1\], got 0/);
  assert.throws(() => learningRateAt(-1, 0.1, resolveSchedule(), 3), /epoch/);
});
