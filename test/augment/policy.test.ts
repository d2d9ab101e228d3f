import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_POLICY, SIAMESE_CNN_POLICY, SEED2_POLICY, POLICY_PRESETS, resolvePolicy, resolveTransform, samplePolicy, singleTransformPolicy,
  describeParams, isIdentity, IDENTITY_PARAMS, TRANSFORM_KINDS,
} from '../../lib/augment';
import { Rng } from '../../lib/util/rng';

describe('transform configs', () => {
  it('fill in their kind\'s defaults and keep given values', () => {
    assert.deepEqual(resolveTransform({ kind: 'rotate', degrees: 30 }), { kind: 'rotate', p: 0.5, degrees: 30 });
    assert.deepEqual(resolveTransform({ kind: 'flip' }), { kind: 'flip', p: 0.5 });
  });

  it('reject bad values, unknown options and kinds, naming them', () => {
    assert.throws(() => resolveTransform({ kind: 'rotate', degrees: -1 }), /augment rotate: degrees must be a number in \[0, 180\], got -1/);
    assert.throws(() => resolveTransform({ kind: 'scale', min: 1.2, max: 1.1 }), /augment scale: max must be a number in \[1.2, 10\], got 1.1/);
    assert.throws(() => resolveTransform({ kind: 'flip', p: 2 }), /augment flip: p must be a number in \[0, 1\], got 2/);
    assert.throws(() => resolveTransform({ kind: 'noise', sigma: 0.1 } as never), /augment noise: unknown option "sigma" \(known: kind, p, std\)/);
    assert.throws(() => resolveTransform({ kind: 'shear' } as never), /kind must be one of .*got "shear"/);
  });
});

describe('policies', () => {
  it('siamese-cnn is the issue\'s reading of the Siamese CNN reference: p 0.7, a subset of ±30°, flip, ±4 %, 0.7–1.3, black border', () => {
    assert.equal(SIAMESE_CNN_POLICY.p, 0.7);
    assert.equal(SIAMESE_CNN_POLICY.select, 'subset');
    assert.deepEqual(SIAMESE_CNN_POLICY.transforms.map((t) => t.kind), ['rotate', 'flip', 'translate', 'scale']);
    const byKind = Object.fromEntries(SIAMESE_CNN_POLICY.transforms.map((t) => [t.kind, t]));
    assert.equal((byKind.rotate as { degrees: number }).degrees, 30);
    assert.equal((byKind.translate as { fraction: number }).fraction, 0.04);
    assert.deepEqual([(byKind.scale as { min: number }).min, (byKind.scale as { max: number }).max], [0.7, 1.3]);
    assert.deepEqual([SIAMESE_CNN_POLICY.fillMode, SIAMESE_CNN_POLICY.fillValue], ['constant', 0]);
    assert.equal(resolvePolicy('siamese-cnn'), SIAMESE_CNN_POLICY);
    assert.equal(SIAMESE_CNN_POLICY.name, 'siamese-cnn');
    assert.deepEqual(Object.keys(POLICY_PRESETS).sort(), ['default', 'none', 'siamese-cnn']);
    // the old name: an alias of the same policy, not listed
    assert.equal(resolvePolicy('seed2'), SIAMESE_CNN_POLICY);
    assert.equal(POLICY_PRESETS.seed2, SIAMESE_CNN_POLICY);
    assert.equal(SEED2_POLICY, SIAMESE_CNN_POLICY);
  });

  it('resolve partial policies and reject bad ones, naming the value', () => {
    const p = resolvePolicy({ name: 'mine', transforms: [{ kind: 'flip', p: 1 }] });
    assert.equal(p.name, 'mine');
    assert.equal(p.select, DEFAULT_POLICY.select);
    assert.deepEqual(p.transforms, [{ kind: 'flip', p: 1 }]);
    assert.throws(() => resolvePolicy('seed3'), /augment policy "seed3" is not a preset; use one of default, siamese-cnn, none/);
    assert.throws(() => resolvePolicy({ fillMode: 'reflect' as never }), /fillMode must be one of constant, nearest, wrap, got "reflect" \(reflect is refused/);
    assert.throws(() => resolvePolicy({ p: 1.5 }), /policy p must be a number in \[0, 1\], got 1.5/);
    assert.throws(() => resolvePolicy({ seed: 1 } as never), /unknown option "seed"/);
    assert.throws(() => resolvePolicy({ transforms: [{ kind: 'flip' }, { kind: 'flip' }] }), /transform "flip" is listed twice/);
    assert.throws(() => resolvePolicy({ transforms: [{ kind: 'flip' }, { kind: 'rotate', degrees: 500 }] }), /transforms\[1\]: augment rotate: degrees/);
    assert.deepEqual(JSON.parse(JSON.stringify(DEFAULT_POLICY)), DEFAULT_POLICY, 'policies are JSON data');
  });

  it('sampling is deterministic: the same seed gives the same params, another seed others', () => {
    const a = samplePolicy(DEFAULT_POLICY, 50, new Rng(11));
    const b = samplePolicy(DEFAULT_POLICY, 50, new Rng(11));
    const c = samplePolicy(DEFAULT_POLICY, 50, new Rng(12));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('siamese-cnn augments ~70 % of images with a non-empty subset, every subset possible, values in range', () => {
    const params = samplePolicy(SIAMESE_CNN_POLICY, 3000, new Rng(5));
    const augmented = params.filter((p) => !isIdentity(p));
    const frac = augmented.length / params.length;
    assert.ok(Math.abs(frac - 0.7) < 0.03, `augmented fraction ${frac}`);
    const subsets = new Set(augmented.map((p) => p.applied.join('+')));
    assert.equal(subsets.size, 15, `all 15 non-empty subsets of 4 transforms occur (saw ${subsets.size})`);
    for (const p of augmented) {
      assert.ok(p.applied.length > 0);
      assert.ok(Math.abs(p.rotate) <= 30 && p.scale >= 0.7 && p.scale <= 1.3 && Math.abs(p.translateX) <= 0.04 && Math.abs(p.translateY) <= 0.04);
      assert.ok(p.applied.every((k) => ['rotate', 'flip', 'translate', 'scale'].includes(k)));
      assert.equal(p.brightness, 1);
    }
    const withFlip = augmented.filter((p) => p.flip).length / augmented.length;
    assert.ok(Math.abs(withFlip - 8 / 15) < 0.04, `flip is in 8 of the 15 subsets (saw ${withFlip})`);
  });

  it('independent selection applies each transform with its own probability', () => {
    const policy = resolvePolicy({ transforms: [{ kind: 'flip', p: 0.2 }, { kind: 'grayscale', p: 0.8 }] });
    const params = samplePolicy(policy, 4000, new Rng(8));
    const flips = params.filter((p) => p.flip).length / params.length;
    const greys = params.filter((p) => p.grayscale).length / params.length;
    assert.ok(Math.abs(flips - 0.2) < 0.025 && Math.abs(greys - 0.8) < 0.025, `flip ${flips}, grayscale ${greys}`);
  });

  it('random resized crops stay inside the image and cover the asked area', () => {
    const policy = singleTransformPolicy({ kind: 'resizedCrop', minArea: 0.5, maxArea: 0.9, minAspect: 0.75, maxAspect: 4 / 3 });
    for (const p of samplePolicy(policy, 500, new Rng(2))) {
      const { x, y, w, h } = p.crop;
      assert.ok(x >= 0 && y >= 0 && x + w <= 1 + 1e-12 && y + h <= 1 + 1e-12, JSON.stringify(p.crop));
      assert.ok(w * h <= 0.9 + 1e-9 && w * h >= 0.5 * 0.86, `area ${w * h}`);
    }
  });

  it('p = 0 and the none preset leave every image untouched', () => {
    assert.ok(samplePolicy(resolvePolicy('none'), 20, new Rng(1)).every(isIdentity));
    assert.ok(samplePolicy(resolvePolicy({ p: 0 }), 20, new Rng(1)).every(isIdentity));
    assert.ok(samplePolicy(singleTransformPolicy({ kind: 'noise' }), 5, new Rng(1)).every((p) => p.noiseStd === 0.03));
  });

  it('labels say what an image got', () => {
    assert.equal(describeParams(IDENTITY_PARAMS), 'original');
    assert.equal(describeParams({ ...IDENTITY_PARAMS, flip: true, rotate: -12.4, translateX: -0.004, translateY: 0.03 }), 'flip, rot -12°, shift 0,3%');
    assert.deepEqual([...TRANSFORM_KINDS].slice(0, 2), ['resizedCrop', 'flip']);
  });
});
