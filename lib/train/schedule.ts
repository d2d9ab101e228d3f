/**
 * Learning-rate schedules as pure functions of the epoch, as PyTorch defines them (stepped once per
 * epoch), so a schedule's whole state is the epoch number.
 *
 * - `constant`: η
 * - `step` (StepLR): η · γ^⌊e / stepSize⌋
 * - `cosine` (CosineAnnealingLR): η_min + (η − η_min) · (1 + cos(π · e / T_max)) / 2
 * - optional linear warm-up over the first `warmupEpochs`: η · (e + 1) / (warmupEpochs + 1), then the schedule
 *   counted from the end of warm-up.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import { withNamedDefaults, type NamedConfig } from '../util/named-config';

export const SCHEDULES = ['constant', 'step', 'cosine'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

export interface ScheduleConfig extends NamedConfig<ScheduleName> {
  /** StepLR: epochs between decays. */
  readonly stepSize: number;
  /** StepLR: the decay factor γ. */
  readonly gamma: number;
  /** Cosine: the period T_max in epochs (0: the run's number of epochs minus warm-up). */
  readonly tMax: number;
  /** Cosine: the floor η_min. */
  readonly etaMin: number;
  readonly warmupEpochs: number;
}

export const DEFAULT_SCHEDULE: Readonly<ScheduleConfig> = Object.freeze({
  name: 'constant', stepSize: 10, gamma: 0.1, tMax: 0, etaMin: 0, warmupEpochs: 0,
});

export function resolveSchedule(partial: Partial<ScheduleConfig> = {}): ScheduleConfig {
  const cfg = withNamedDefaults('schedule', SCHEDULES, DEFAULT_SCHEDULE, partial);
  if (!(Number.isInteger(cfg.stepSize) && cfg.stepSize >= 1)) throw new RangeError(`schedule stepSize must be an integer >= 1, got ${cfg.stepSize}`);
  if (!(cfg.gamma > 0 && cfg.gamma <= 1)) throw new RangeError(`schedule gamma must be in (0, 1], got ${cfg.gamma}`);
  if (!(Number.isInteger(cfg.tMax) && cfg.tMax >= 0)) throw new RangeError(`schedule tMax must be an integer >= 0, got ${cfg.tMax}`);
  if (!(cfg.etaMin >= 0)) throw new RangeError(`schedule etaMin must be >= 0, got ${cfg.etaMin}`);
  if (!(Number.isInteger(cfg.warmupEpochs) && cfg.warmupEpochs >= 0)) throw new RangeError(`schedule warmupEpochs must be an integer >= 0, got ${cfg.warmupEpochs}`);
  return cfg;
}

/** The learning rate for (0-based) `epoch` of a run of `epochs`, from base rate `lr`. */
export function learningRateAt(epoch: number, lr: number, schedule: ScheduleConfig, epochs: number): number {
  if (!(Number.isInteger(epoch) && epoch >= 0)) throw new RangeError(`learningRateAt: epoch must be an integer >= 0, got ${epoch}`);
  const w = schedule.warmupEpochs;
  if (epoch < w) return (lr * (epoch + 1)) / (w + 1);
  const e = epoch - w;
  switch (schedule.name) {
    case 'constant':
      return lr;
    case 'step':
      return lr * schedule.gamma ** Math.floor(e / schedule.stepSize);
    case 'cosine': {
      const tMax = schedule.tMax > 0 ? schedule.tMax : Math.max(1, epochs - w);
      return schedule.etaMin + ((lr - schedule.etaMin) * (1 + Math.cos((Math.PI * e) / tMax))) / 2;
    }
  }
}
