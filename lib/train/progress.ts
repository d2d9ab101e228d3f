/**
 * A terminal progress bar with ETA, loss and throughput. On a TTY it redraws one line; elsewhere (CI logs,
 * notebooks) it prints a line every `every` fraction of the work, so logs stay short.
 */
import { formatDuration } from '../util/format';

export interface ProgressOptions {
  readonly label: string;
  readonly total: number;
  /** Unit of throughput, e.g. 'pairs'. */
  readonly unit?: string;
  readonly stream?: NodeJS.WriteStream;
  /** Fraction of the total between printed lines when not on a TTY (default 0.25). */
  readonly every?: number;
}

export class ProgressBar {
  private readonly started = performance.now();
  private done = 0;
  private lastPrinted = -1;
  private readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  /** Advances by `n` items (e.g. pairs) and shows `fields` (e.g. {loss: 0.31}). */
  tick(n: number, fields: Record<string, number> = {}): void {
    this.done += n;
    const { total, label } = this.options;
    const elapsed = (performance.now() - this.started) / 1000;
    const rate = this.done / Math.max(elapsed, 1e-9);
    const eta = (total - this.done) / rate;
    const frac = Math.min(1, this.done / total);
    const extra = Object.entries(fields).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ');
    const unit = this.options.unit ?? 'items';
    if (this.tty) {
      const width = 24;
      const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '·');
      this.stream.write(`\r${label} ${bar} ${(frac * 100).toFixed(0).padStart(3)}%  ${extra}  ${rate.toFixed(1)} ${unit}/s  eta ${formatDuration(eta)}   `);
      if (this.done >= total) this.stream.write('\n');
      return;
    }
    const every = this.options.every ?? 0.25;
    const bucket = Math.floor(frac / every);
    if (bucket > this.lastPrinted || this.done >= total) {
      this.lastPrinted = bucket;
      this.stream.write(`${label} ${(frac * 100).toFixed(0)}%  ${extra}  ${rate.toFixed(1)} ${unit}/s  eta ${formatDuration(eta)}\n`);
    }
  }
}
