import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tightPairsSummary, type OtherCacheSummary } from '../../lib/train/evaluate-model';

const perFold = (values: number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1));
  return { perFold: values, mean, stdError: sd / Math.sqrt(values.length) };
};

describe('evaluate-model: the tight pairs\' summary line', () => {
  const base: OtherCacheSummary = {
    folds: [0, 1, 2], found: { tiny: 10, 'tiny+pad': 2, fixed: 0 },
    zeroShotAuc: perFold([0.99, 0.98, 0.985]), tunedAuc: perFold([0.995, 0.989, 0.992]),
    zeroShotAccuracy: perFold([0.95, 0.94, 0.96]), tunedAccuracy: perFold([0.96, 0.95, 0.97]),
  };

  it('says how the faces were found, the lowest fold, and no mirror comparison when the folds lack it', () => {
    const line = tightPairsSummary(base);
    assert.match(line, /of the test pairs' 12 images over 3 folds: found by tiny 10, tiny\+pad 2 /);
    assert.match(line, /no face 0 \(LFW's fixed chip, counted\)/);
    assert.match(line, /AUC tuned 0\.9920 ± 0\.0017 \(per fold: 0\.9950, 0\.9890, 0\.9920; lowest 0\.9890\)/);
    assert.match(line, /accuracy tuned 96\.00 ± 0\.58 %, zero-shot 95\.00 ± 0\.58 %$/);
    assert.doesNotMatch(line, /mirror/);
  });

  it('pairs the tuned model with zero-shot with the mirror, fold by fold', () => {
    const line = tightPairsSummary({ ...base, zeroShotFlipAuc: perFold([0.992, 0.985, 0.99]), zeroShotFlipAccuracy: perFold([0.955, 0.95, 0.96]) });
    // AUC gains 0.003, 0.004, 0.002 (mean 0.003, s.e. 0.00058); accuracy gains 0.5, 0, 1 points (mean 0.5, s.e. 0.29)
    assert.match(line, /tuned minus zero-shot with the mirror, paired per fold: AUC \+0\.0030 ± 0\.0006, accuracy \+0\.50 ± 0\.29 points$/);
    assert.match(line, /zero-shot with the mirror 0\.9890 ± 0\.0021 \(per fold: 0\.9920, 0\.9850, 0\.9900\)/);
  });
});
