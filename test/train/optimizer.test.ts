import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Optimizer, resolveOptimizer, type OptimizerConfig } from '../../lib/train';

/** PyTorch's update rules on plain numbers, for a few steps of fixed gradients. */
function reference(cfg: OptimizerConfig, theta0: number[], grads: number[][], lrs: number[]): number[] {
  const theta = [...theta0];
  const m = theta.map(() => 0), v = theta.map(() => 0), b = theta.map(() => 0), s = theta.map(() => 0);
  grads.forEach((gs, step) => {
    const t = step + 1;
    const lr = lrs[step];
    for (let i = 0; i < theta.length; i++) {
      let g = gs[i];
      if (cfg.weightDecay > 0 && !(cfg.name === 'adam' && cfg.decoupled)) g += cfg.weightDecay * theta[i];
      if (cfg.name === 'sgd') {
        b[i] = t === 1 ? g : cfg.momentum * b[i] + g;
        theta[i] -= lr * (cfg.momentum > 0 ? b[i] : g);
      } else if (cfg.name === 'adam') {
        if (cfg.decoupled) theta[i] *= 1 - lr * cfg.weightDecay;
        m[i] = cfg.beta1 * m[i] + (1 - cfg.beta1) * g;
        v[i] = cfg.beta2 * v[i] + (1 - cfg.beta2) * g * g;
        const mhat = m[i] / (1 - cfg.beta1 ** t);
        const vhat = v[i] / (1 - cfg.beta2 ** t);
        theta[i] -= (lr * mhat) / (Math.sqrt(vhat) + cfg.epsilon);
      } else {
        s[i] = cfg.alpha * s[i] + (1 - cfg.alpha) * g * g;
        theta[i] -= (lr * g) / (Math.sqrt(s[i]) + cfg.epsilon);
      }
    }
  });
  return theta;
}

const THETA0 = [0.5, -1.25, 2.0];
const GRADS = [[0.1, -0.3, 0.05], [0.2, 0.1, -0.4], [-0.05, 0.25, 0.3], [0.0, -0.1, 0.2]];
const LRS = [0.1, 0.1, 0.05, 0.01];

const CASES: Array<Partial<OptimizerConfig>> = [
  { name: 'sgd', momentum: 0 },
  { name: 'sgd', momentum: 0.9, weightDecay: 0.01 },
  { name: 'adam' },
  { name: 'adam', weightDecay: 0.1 },
  { name: 'adam', weightDecay: 0.1, decoupled: true },
  { name: 'rmsprop', weightDecay: 0.001 },
];

for (const partial of CASES) {
  test(`${JSON.stringify(partial)} matches PyTorch's rule computed by hand`, () => {
    const cfg = resolveOptimizer(partial);
    const before = tf.memory().numTensors;
    const init = tf.tensor1d(THETA0);
    const theta = tf.variable(init, true, `theta_${JSON.stringify(partial)}`);
    init.dispose();
    const opt = new Optimizer([theta], cfg);
    GRADS.forEach((g, i) => {
      const grad = tf.tensor1d(g);
      opt.apply({ [theta.name]: grad }, LRS[i]);
      grad.dispose();
    });
    const got = Array.from(theta.dataSync());
    const want = reference(cfg, THETA0, GRADS, LRS);
    got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-5, `param ${i}: ${x} vs ${want[i]}`));
    opt.dispose();
    theta.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  });
}

test('state round-trips: a restored optimizer continues exactly', async () => {
  const mk = (name: string) => tf.variable(tf.tensor1d(THETA0), true, name);
  const a = mk('a_theta');
  const optA = new Optimizer([a], { name: 'adam' });
  optA.apply({ a_theta: tf.tensor1d(GRADS[0]) }, 0.1);
  const state = await optA.getState();
  const b = mk('b_theta');
  b.assign(a);
  // the restored optimizer is over a variable with another name (a rebuilt model): state is positional
  const optB = new Optimizer([b], { name: 'adam' });
  optB.setState(state);
  optA.apply({ a_theta: tf.tensor1d(GRADS[1]) }, 0.1);
  optB.apply({ b_theta: tf.tensor1d(GRADS[1]) }, 0.1);
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()), 'bit-identical');
  assert.throws(() => new Optimizer([b], { name: 'sgd' }).setState(state), /does not/);
});

test('bad configs are rejected with the value named', () => {
  assert.throws(() => resolveOptimizer({ name: 'lion' as never }), /one of adam, sgd, rmsprop, got "lion"/);
  assert.throws(() => resolveOptimizer({ lr: -1 }), /lr must be a positive number, got -1/);
  assert.throws(() => resolveOptimizer({ momentum: 1 }), /momentum must be in \[0, 1\), got 1/);
});
