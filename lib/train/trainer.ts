/**
 * The training loop for Siamese models: one epoch over a pair pipeline, gradient steps with the project's
 * optimizers, a learning rate per epoch from the schedule, validation every epoch (loss, accuracy at the best
 * validation threshold, AUC), early stopping, best and last checkpoints, and exact resumption.
 *
 * Everything random is a function of the seed and the position (epoch, batch): the pipeline's shuffles and
 * augmentation, and the dropout masks (their call counters are checkpointed). A checkpoint stores the
 * weights, the optimizer's state, the pipeline position and the running sums of the epoch, so a run
 * resumed from any checkpoint ends bit-identical to one that was never interrupted.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DistinctImages, PairPipeline, PipelineState } from '../pipeline/pipeline';
import { auc, bestThreshold } from '../eval';
import { batchContrastiveLoss, bceLoss, contrastiveFromValues, tripletLoss, type TripletMining } from '../losses';
import type { Pair, IsSame } from '../data/types';
import { l2NormalizeRows } from '../models/layers/l2-normalize';
import { flipAveragedEmbedding, flipAveragedSiamese, siameseEmbeddingNet, siameseHead, type SiameseOutput } from '../models/siamese';
import { EmbeddingParallel } from '../backend/parallel';
import { CheckpointError, readCheckpoint, writeCheckpoint, type ReadCheckpoint, type TensorRecord } from './checkpoint';
import { TrainingInterruptedError, watchInterrupt } from './interrupt';
import { ensureDir, FileWriteError, writeFileAtomicSafe } from '../util/files';
import { Optimizer, type OptimizerConfig } from './optimizer';
import { streamLargeDenseUpdates, type StreamedDense, type StreamedDenseOptions } from './streamed-dense';
import { ProgressBar } from './progress';
import { learningRateAt, resolveSchedule, type ScheduleConfig } from './schedule';
import { readMaskSteps, readModelWeights, restoreMaskSteps, restoreModelWeights } from './state';

/** The loss a run minimises. */
export type LossConfig =
  /**
   * `pairs: 'given'` (the default, as the seeds train): the loss of each pair the batch was drawn as.
   * `pairs: 'batch'`: every pair of images in the batch, labelled by person (batchContrastiveLoss): n(n−1)/2
   * pairs per step instead of n/2, for the same forward pass.
   */
  | { readonly name: 'contrastive'; readonly margin: number; readonly pairs?: 'given' | 'batch' }
  | { readonly name: 'bce' }
  /**
   * Triplet loss on the embeddings of every image in the batch, labelled by person (tripletLoss, lib/losses/triplet.ts):
   * `mining: 'batchHard'` (the default) takes each anchor's farthest positive and nearest negative. It needs batches
   * with several images per person: identity sampling's P×K batches (`sampling: {name: 'identityPK'}`). Evaluation
   * stays on pairs (distances of the validation and test pairs).
   */
  | { readonly name: 'triplet'; readonly margin: number; readonly mining?: TripletMining };

/** Whether a loss is computed on the embeddings of the batch's images labelled by person (not per given pair). */
export function isEmbeddingLoss(loss: LossConfig): boolean {
  return loss.name === 'triplet' || (loss.name === 'contrastive' && loss.pairs === 'batch');
}

/** One epoch's record, as written to metrics.jsonl. */
export interface EpochRecord {
  readonly epoch: number;
  readonly lr: number;
  readonly trainLoss: number;
  readonly valLoss: number | null;
  /** Accuracy at the best threshold on the validation pairs (optimistic; the test uses the val threshold). */
  readonly valAccuracy: number | null;
  readonly valAuc: number | null;
  readonly valThreshold: number | null;
  readonly seconds: number;
  readonly pairsPerSecond: number;
}

export interface EarlyStopping {
  /** Epochs without improvement of the validation AUC before stopping. */
  readonly patience: number;
  readonly minDelta: number;
}

export interface TrainOptions {
  /** The two-input Siamese model `[a, b] → [n, 1]`. */
  readonly model: tf.LayersModel;
  /** What its output means (distance or probability, and which way is "same"). */
  readonly output: SiameseOutput;
  /** The embedding network inside `model`, and whether the model L2-normalises its output (for `pairs: 'batch'`). */
  readonly embedding?: { readonly net: tf.LayersModel; readonly normalize: boolean };
  readonly loss: LossConfig;
  readonly optimizer: Partial<OptimizerConfig>;
  readonly schedule?: Partial<ScheduleConfig>;
  readonly epochs: number;
  /** Makes the training pipeline, continuing from `resume` when given; the trainer closes it. */
  readonly train: (resume?: PipelineState) => Promise<PairPipeline>;
  /** Validation pairs (no augmentation, no shuffle); null: no validation. */
  readonly val: PairPipeline | null;
  /** Score validation pairs with flip test-time augmentation (see {@link predictPairs}); default false. */
  readonly flipTest?: boolean;
  readonly earlyStopping?: EarlyStopping | null;
  /** Where checkpoints (last.ckpt, best.ckpt) and metrics.jsonl go. */
  readonly dir: string;
  /** Continue from dir/checkpoints/last.ckpt when it exists (default true). */
  readonly resume?: boolean;
  /** Write last.ckpt every this many steps as well as at each epoch's end (0: epoch ends only). */
  readonly checkpointEvery?: number;
  /** Called after each epoch (e.g. a notebook's live plot). */
  readonly onEpoch?: (record: EpochRecord, history: readonly EpochRecord[]) => void;
  /** Called after each step; throwing stops the run (tests use it to simulate a crash). */
  readonly onStep?: (step: number) => void;
  /**
   * Train on two threads: each step this thread embeds the batch's `a` images and a helper thread the `b` images
   * (lib/backend/parallel EmbeddingParallel), and the loss is taken over all the embeddings here. The helper
   * builds `embedding.net` again from `module` (exporting `createEmbeddingReplica(options)`, e.g.
   * lib/train/replica.ts). Results depend on it (batch-norm statistics are per thread's images) but not on
   * the machine. Null or absent: one thread.
   */
  readonly parallel?: { readonly module: string; readonly options: unknown; readonly backend?: 'wasm' | 'cpu' } | null;
  /**
   * On one thread with Adam on wasm: Dense layers this large are updated block by block, so their whole weight
   * gradient is never held (lib/train/streamed-dense.ts; seed2's 512 MiB FC).
   * Default on with its default size; false turns it off. The result is the same bits either way.
   */
  readonly streamLargeUpdates?: StreamedDenseOptions | false;
  /** Progress output: 'bar' (default) or 'none'. */
  readonly progress?: 'bar' | 'none';
  readonly log?: (line: string) => void;
}

export interface TrainResult {
  readonly history: readonly EpochRecord[];
  /** The epoch whose weights the model holds at the end (the best by validation AUC, or the last). */
  readonly bestEpoch: number;
  readonly stoppedEarly: boolean;
  readonly resumedFrom: { epoch: number; batch: number } | null;
  readonly seconds: number;
}

/** Thrown when the loss stops being a finite number; the last good checkpoint is kept. */
export class NonFiniteLossError extends Error {
  constructor(readonly step: number, readonly epoch: number, readonly batch: number, readonly lr: number, readonly value: number,
    readonly what: 'loss' | 'validation outputs' = 'loss') {
    super(`${what} became ${value} ${what === 'loss' ? 'at' : 'after'} step ${step} (epoch ${epoch + 1}, batch ${batch + 1}, lr ${lr}); ` +
      'likely causes: a learning rate too high for this model (try 10x lower), inputs that are not normalised, or a ' +
      'margin/scale mismatch. The last good checkpoint is kept; nothing after it was saved.');
    this.name = 'NonFiniteLossError';
  }
}

interface CheckpointMeta {
  readonly version: 1;
  /** Epoch in progress (0-based) and the number of steps already taken in it. */
  readonly epoch: number;
  readonly batchInEpoch: number;
  readonly step: number;
  readonly optimizerStep: number;
  readonly pipeline: PipelineState;
  readonly maskSteps: Record<string, number>;
  readonly epochLossSum: number;
  readonly epochPairs: number;
  readonly epochSeconds: number;
  readonly history: EpochRecord[];
  readonly best: { epoch: number; auc: number } | null;
  readonly sinceBest: number;
}

/**
 * The loss of a batch from the model's output. Triplet loss has no per-pair form: on labelled pairs (validation)
 * it is measured as contrastive loss with the triplet's margin, the pair loss it shares a scale with.
 */
export function lossOf(out: tf.Tensor, isSame: tf.Tensor, loss: LossConfig, output: SiameseOutput): tf.Scalar {
  return tf.tidy(() => {
    if (loss.name === 'bce') {
      if (output.kind !== 'probability') throw new Error('bce loss needs a probability head (bceConcat or bceAbsDiff)');
      return bceLoss(out, isSame as tf.Tensor1D) as tf.Scalar;
    }
    if (output.kind !== 'distance') throw new Error(`${loss.name} loss needs a distance head (euclidean or cosine)`);
    const values = out.reshape([out.shape[0]]);
    return contrastiveFromValues(values, isSame as tf.Tensor1D, {
      margin: loss.margin, distance: output.higherIsCloser ? 'cosine' : 'euclidean',
    }) as tf.Scalar;
  });
}

/**
 * Outputs (distances or probabilities) and loss over a whole pipeline epoch, in order; no gradients. `flip`:
 * score with flip test-time augmentation (each embedding the mean of the image's and its mirror's;
 * `flipAveragedSiamese`, for models made by `siamese()`).
 *
 * A model made by `siamese()` on an unaugmented epoch (validation, test) embeds each distinct image once
 * ({@link PairPipeline.distinctImages}) and scores the pairs from those embeddings with the model's own head, in
 * batches of the pipeline's size: the same outputs as applying the model to each batch of pairs, for half the work or
 * less (an image is in several pairs). `byImage: false` applies the model to the pairs (for comparison).
 */
export async function predictPairs(model: tf.LayersModel, pipeline: PairPipeline, loss: LossConfig | null, output: SiameseOutput, flip = false,
  byImage = true): Promise<{ values: number[]; isSame: IsSame[]; loss: number | null }> {
  const parts = byImage ? siameseParts(model) : null;
  const distinct = parts ? pipeline.distinctImages() : null;
  if (parts && distinct) return predictByImage(parts, distinct, pipeline.config.batchSize, loss, output, flip);
  const values: number[] = [];
  const isSame: IsSame[] = [];
  let lossSum = 0;
  const score = flip ? flipAveragedSiamese(model) : (a: tf.Tensor, b: tf.Tensor) => model.apply([a, b], { training: false }) as tf.Tensor;
  for await (const batch of pipeline.epoch()) {
    const out = tf.tidy(() => score(batch.a, batch.b));
    values.push(...(await out.data()));
    isSame.push(...batch.pairs.map((p) => p.isSame));
    if (loss) {
      const l = lossOf(out, batch.isSame, loss, output);
      lossSum += (await l.data())[0] * batch.pairs.length;
      l.dispose();
    }
    out.dispose();
  }
  return { values, isSame, loss: loss ? lossSum / Math.max(1, values.length) : null };
}

/** A `siamese()` model's embedding network and head, or null for another model. */
function siameseParts(model: tf.LayersModel): { net: tf.LayersModel; head: (ea: tf.Tensor, eb: tf.Tensor) => tf.Tensor } | null {
  try {
    return { net: siameseEmbeddingNet(model), head: siameseHead(model) };
  } catch {
    return null;
  }
}

/** {@link predictPairs} from each distinct image's embedding; pairs are scored `batchSize` at a time, as from the pipeline. */
async function predictByImage(parts: NonNullable<ReturnType<typeof siameseParts>>, distinct: DistinctImages, batchSize: number, loss: LossConfig | null,
  output: SiameseOutput, flip: boolean): Promise<{ values: number[]; isSame: IsSame[]; loss: number | null }> {
  const embed = flip ? flipAveragedEmbedding(parts.net) : (x: tf.Tensor) => parts.net.apply(x, { training: false }) as tf.Tensor;
  const chunks: tf.Tensor[] = [];
  let all: tf.Tensor | null = null;
  try {
    for await (const x of distinct.images(2 * batchSize)) chunks.push(tf.tidy(() => embed(x)));
    all = chunks.length === 1 ? chunks[0] : tf.concat(chunks);
    const values: number[] = [];
    const isSame = distinct.pairs.map((p) => p.isSame);
    let lossSum = 0;
    for (let from = 0; from < distinct.pairs.length; from += batchSize) {
      const to = Math.min(from + batchSize, distinct.pairs.length);
      const e = all;
      const out = tf.tidy(() => parts.head(tf.gather(e, distinct.a.subarray(from, to)), tf.gather(e, distinct.b.subarray(from, to))));
      values.push(...(await out.data()));
      if (loss) {
        const l = tf.tidy(() => lossOf(out, tf.tensor1d(isSame.slice(from, to), 'float32'), loss, output));
        lossSum += (await l.data())[0] * (to - from);
        l.dispose();
      }
      out.dispose();
    }
    return { values, isSame, loss: loss ? lossSum / Math.max(1, values.length) : null };
  } finally {
    tf.dispose(chunks);
    if (all !== null && chunks.length !== 1) all.dispose();
  }
}

function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

async function saveState(file: string, model: tf.LayersModel, opt: Optimizer, meta: CheckpointMeta): Promise<void> {
  const tensors = new Map<string, TensorRecord>(await readModelWeights(model));
  const state = await opt.getState();
  for (const [k, v] of state.tensors) tensors.set(`opt:${k}`, v);
  writeCheckpoint<CheckpointMeta>(file, { meta, tensors });
}

/** What to do about an unusable checkpoint, by its role. */
const ADVICE = {
  last: 'nothing in the run folder was changed; delete this file to train the run from scratch (or rerun with --force, which replaces the whole run folder)',
  best: "the last checkpoint is intact, but the best epoch's weights cannot be recovered from it; delete this file and rerun with --force to train again",
} as const;

/** Appends one line; a failure names the file (a partial line is harmless: a resume rewrites the file from the checkpoint). */
function appendLine(file: string, line: string): void {
  try {
    fs.appendFileSync(file, `${line}\n`);
  } catch (err) {
    throw new FileWriteError(file, err, 'append to');
  }
}

function loadState(file: string, model: tf.LayersModel, opt: Optimizer | null, role: keyof typeof ADVICE, log: (line: string) => void): CheckpointMeta {
  let ckpt: ReadCheckpoint<CheckpointMeta>;
  try {
    ckpt = readCheckpoint<CheckpointMeta>(file);
  } catch (err) {
    if (err instanceof CheckpointError) throw new CheckpointError(err.file, err.reason, ADVICE[role]);
    throw err;
  }
  if (ckpt.format === 1) log(`note: ${file} predates checkpoint checksums and is read unverified; the next checkpoint written will carry one`);
  restoreModelWeights(model, ckpt.tensors, file);
  restoreMaskSteps(model, ckpt.meta.maskSteps);
  if (opt) {
    const slots = new Map([...ckpt.tensors].filter(([k]) => k.startsWith('opt:')).map(([k, v]) => [k.slice(4), v]));
    opt.setState({ step: ckpt.meta.optimizerStep, tensors: slots });
  }
  return ckpt.meta;
}

/** A training step on two threads; see {@link TrainOptions.parallel}. */
interface ParallelStep {
  step(batch: { a: tf.Tensor4D; b: tf.Tensor4D; isSame: tf.Tensor; pairs: readonly Pair[] }): Promise<{ value: tf.Scalar; grads: tf.NamedTensorMap }>;
  close(): Promise<void>;
}

/**
 * Starts the helper thread and returns the step: this thread embeds the a images, the helper the b images, and
 * the loss (the pair head's, or the embedding loss) is taken on all embeddings here. Dropout masks: the a images
 * get the mask counter this thread's network is at, the b images the next one, as on one thread (where the
 * Siamese model calls the network on a, then on b).
 */
async function startParallel(options: TrainOptions, variables: readonly tf.Variable[],
  embeddingLoss: (e: tf.Tensor2D, pairs: readonly Pair[]) => tf.Scalar, log: (line: string) => void): Promise<ParallelStep> {
  const { net } = options.embedding!;
  const dp = await EmbeddingParallel.start(options.parallel!);
  const shared = net.trainableWeights.map((w) => w.read() as tf.Variable);
  const sharedNames = new Set(shared.map((v) => v.name));
  const own = variables.filter((v) => !sharedNames.has(v.name));
  const dim = net.outputs[0].shape[1] as number;
  const head = siameseHead(options.model);
  const batchPairs = isEmbeddingLoss(options.loss);
  const cores = os.availableParallelism();
  log(`training on 2 threads: this one embeds each pair's first image, a helper thread the second` +
    (cores < 2 ? ` (this machine has ${cores} core: they take turns; the result is the same as on any machine, and workers: 1 trains the one-thread config, another run)` : ''));
  const bump = (steps: Record<string, number>, by: number) => Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, v + by]));
  return {
    async step(batch) {
      const counters = readMaskSteps(net);
      const counted = Object.keys(counters).length > 0;
      const result = await dp.variableGrads({
        here: batch.a, there: batch.b, dim, shared, own,
        embed: (x) => net.apply(x, { training: true }) as tf.Tensor2D,
        loss: (e) => {
          if (batchPairs) return embeddingLoss(e, batch.pairs);
          const n = batch.pairs.length;
          const out = head(e.slice([0, 0], [n, dim]), e.slice([n, 0], [n, dim]));
          return lossOf(out, batch.isSame, options.loss, options.output);
        },
        helperState: counted ? bump(counters, 1) : undefined,
      });
      if (counted) restoreMaskSteps(net, bump(counters, 2));
      return result;
    },
    close: () => dp.close(),
  };
}

/**
 * Trains `options.model` in place. Resumes from `dir/checkpoints/last.ckpt` when present. At the end the
 * model holds the best epoch's weights (by validation AUC) when there is validation, else the last.
 */
export async function trainSiamese(options: TrainOptions): Promise<TrainResult> {
  const { model, output, loss, val, epochs } = options;
  const log = options.log ?? ((l: string) => console.log(l));
  const schedule = resolveSchedule(options.schedule);
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new RangeError(`epochs must be an integer >= 1, got ${epochs}`);
  const ckptDir = path.join(options.dir, 'checkpoints');
  const lastFile = path.join(ckptDir, 'last.ckpt');
  const bestFile = path.join(ckptDir, 'best.ckpt');
  const metricsFile = path.join(options.dir, 'metrics.jsonl');
  ensureDir(ckptDir);
  const variables = trainableVariables(model);
  const batchPairs = isEmbeddingLoss(loss);
  if (batchPairs && !options.embedding) {
    throw new Error(`${loss.name} loss${loss.name === 'contrastive' ? " with pairs: 'batch'" : ''} needs options.embedding (the embedding network)`);
  }
  const personIds = new Map<string, number>();
  // the embedding losses: every image of the batch (the a images, then the b images), labelled by person
  const batchLoss = (a: tf.Tensor4D, b: tf.Tensor4D, pairs: readonly Pair[]): tf.Scalar =>
    embeddingLoss(options.embedding!.net.apply(tf.concat([a, b]), { training: true }) as tf.Tensor2D, pairs);
  /** The embedding loss of the batch's embeddings (the a images', then the b images'). */
  const embeddingLoss = (raw: tf.Tensor2D, pairs: readonly Pair[]): tf.Scalar => {
    const e = options.embedding!.normalize ? l2NormalizeRows(raw) : raw;
    const id = (p: string) => personIds.get(p) ?? (personIds.set(p, personIds.size), personIds.size - 1);
    const labels = [...pairs.map((p) => id(p.a.person)), ...pairs.map((p) => id(p.b.person))];
    const distance = output.higherIsCloser ? 'cosine' : 'euclidean';
    if (loss.name === 'triplet') return tripletLoss(e, labels, { margin: loss.margin, mining: loss.mining ?? 'batchHard', distance }) as tf.Scalar;
    return batchContrastiveLoss(e, labels, { margin: (loss as { margin: number }).margin, distance });
  };
  if (options.parallel && !options.embedding) throw new Error('training on two threads (options.parallel) needs options.embedding (the embedding network)');
  const opt = new Optimizer(variables, options.optimizer);
  const started = performance.now();

  let epoch = 0;
  let batchInEpoch = 0;
  let step = 0;
  let epochLossSum = 0;
  let epochPairs = 0;
  let epochSecondsBefore = 0;
  let history: EpochRecord[] = [];
  let best: { epoch: number; auc: number } | null = null;
  let sinceBest = 0;
  let resumedFrom: TrainResult['resumedFrom'] = null;
  let resumeAt: PipelineState | undefined;

  if ((options.resume ?? true) && fs.existsSync(lastFile)) {
    const meta = loadState(lastFile, model, opt, 'last', log);
    ({ epoch, batchInEpoch, step, epochLossSum, epochPairs, history, best, sinceBest } = meta);
    epochSecondsBefore = meta.epochSeconds;
    resumeAt = meta.pipeline;
    resumedFrom = { epoch, batch: batchInEpoch };
    log(`resuming from ${path.relative(process.cwd(), lastFile)}: epoch ${epoch + 1}, batch ${batchInEpoch + 1}`);
    // metrics.jsonl keeps only the epochs the checkpoint knows about
    writeFileAtomicSafe(metricsFile, history.map((r) => `${JSON.stringify(r)}\n`));
  } else {
    writeFileAtomicSafe(metricsFile, []);
  }

  const parallel = options.parallel ? await startParallel(options, variables, embeddingLoss, log) : null;
  let train: PairPipeline;
  try {
    train = await options.train(resumeAt);
  } catch (err) {
    await parallel?.close();
    throw err;
  }
  const meta = (): CheckpointMeta => ({
    version: 1, epoch, batchInEpoch, step, optimizerStep: opt.step, pipeline: train.state(), maskSteps: readMaskSteps(model),
    epochLossSum, epochPairs, epochSeconds: epochSecondsBefore + (performance.now() - epochStart) / 1000, history, best, sinceBest,
  });
  let epochStart = performance.now();
  let stoppedEarly = false;
  // Ctrl+C or a notebook's interrupt: stop after the current step, with a checkpoint (lib/train/interrupt.ts)
  const interrupt = watchInterrupt(log);
  let streamed: StreamedDense | null = null;
  try {
    streamed = options.parallel || options.streamLargeUpdates === false ? null : streamLargeDenseUpdates(model, opt, options.streamLargeUpdates ?? {});
    if (streamed) {
      log(`updating ${streamed.layers.map((l) => `${l.name} (${l.shape.join('×')})`).join(', ')} block by block ` +
        '(its whole weight gradient is never held: less memory, the same result)');
    }
    while (epoch < epochs && !stoppedEarly) {
      const lr = learningRateAt(epoch, opt.config.lr, schedule, epochs);
      epochStart = performance.now();
      const bar = options.progress === 'none' ? null
        : new ProgressBar({ label: `epoch ${epoch + 1}/${epochs}`, total: train.batchesPerEpoch * train.config.batchSize, unit: 'pairs' });
      for await (const batch of train.epoch()) {
        const { value, grads } = parallel ? await parallel.step(batch) : tf.variableGrads(() => {
          if (batchPairs) return batchLoss(batch.a, batch.b, batch.pairs);
          const out = model.apply([batch.a, batch.b], { training: true }) as tf.Tensor;
          return lossOf(out, batch.isSame, loss, output);
        }, variables);
        const lossValue = (await value.data())[0];
        value.dispose();
        if (!Number.isFinite(lossValue)) {
          tf.dispose(grads);
          throw new NonFiniteLossError(step + 1, epoch, batchInEpoch, lr, lossValue);
        }
        opt.apply(grads, lr);
        tf.dispose(grads);
        const n = batch.pairs.length;
        epochLossSum += lossValue * n;
        epochPairs += n;
        step += 1;
        batchInEpoch += 1;
        bar?.tick(n, { loss: epochLossSum / epochPairs });
        const every = options.checkpointEvery ?? 0;
        if (interrupt.requested) {
          await saveState(lastFile, model, opt, meta());
          throw new TrainingInterruptedError(lastFile, epoch, batchInEpoch);
        }
        if (every > 0 && step % every === 0 && batchInEpoch < train.batchesPerEpoch) await saveState(lastFile, model, opt, meta());
        options.onStep?.(step);
      }
      const seconds = epochSecondsBefore + (performance.now() - epochStart) / 1000;
      const v = val ? await predictPairs(model, val, loss, output, options.flipTest ?? false) : null;
      const bad = v?.values.find((x) => !Number.isFinite(x));
      if (bad !== undefined) throw new NonFiniteLossError(step, epoch, batchInEpoch - 1, lr, bad, 'validation outputs');
      const fit = v ? bestThreshold(v.values, v.isSame, output) : null;
      const record: EpochRecord = {
        epoch: epoch + 1, lr, trainLoss: epochLossSum / Math.max(1, epochPairs), valLoss: v?.loss ?? null,
        valAccuracy: fit?.accuracy ?? null, valAuc: v ? auc(v.values, v.isSame, output) : null, valThreshold: fit?.threshold ?? null,
        seconds, pairsPerSecond: epochPairs / Math.max(seconds, 1e-9),
      };
      history = [...history, record];
      appendLine(metricsFile, JSON.stringify(record));
      log(`epoch ${record.epoch}/${epochs}: lr ${lr.toPrecision(3)}  train loss ${record.trainLoss.toFixed(4)}` +
        (v ? `  val loss ${record.valLoss!.toFixed(4)}  val acc ${(record.valAccuracy! * 100).toFixed(1)}%  val AUC ${record.valAuc!.toFixed(3)}` : '') +
        `  ${record.pairsPerSecond.toFixed(1)} pairs/s`);
      if (record.valAuc !== null && (best === null || record.valAuc > best.auc + (options.earlyStopping?.minDelta ?? 0))) {
        best = { epoch: record.epoch, auc: record.valAuc };
        sinceBest = 0;
      } else if (record.valAuc !== null) {
        sinceBest += 1;
      }
      epoch += 1;
      batchInEpoch = 0;
      epochLossSum = 0;
      epochPairs = 0;
      epochSecondsBefore = 0;
      epochStart = performance.now();
      const es = options.earlyStopping;
      if (es && sinceBest >= es.patience && epoch < epochs) {
        stoppedEarly = true;
        log(`early stopping: validation AUC has not improved for ${sinceBest} epochs (best ${best!.auc.toFixed(3)} at epoch ${best!.epoch})`);
      }
      await saveState(lastFile, model, opt, meta());
      if (best?.epoch === record.epoch) writeFileAtomicSafe(bestFile, [fs.readFileSync(lastFile)]);
      options.onEpoch?.(record, history);
    }
    let bestEpoch = history.length ? history[history.length - 1].epoch : 0;
    if (best !== null && best.epoch !== bestEpoch && fs.existsSync(bestFile)) {
      loadState(bestFile, model, null, 'best', log);
      bestEpoch = best.epoch;
      log(`restored the best epoch's weights (epoch ${best.epoch}, val AUC ${best.auc.toFixed(3)})`);
    }
    return { history, bestEpoch, stoppedEarly, resumedFrom, seconds: (performance.now() - started) / 1000 };
  } finally {
    streamed?.restore();
    interrupt.dispose();
    opt.dispose();
    await train.close();
    await parallel?.close();
  }
}
