/**
 * Stopping a training run cleanly on Ctrl+C or a notebook's "interrupt kernel".
 *
 * A Jupyter interrupt is a SIGINT to the kernel. tslab answers it by ending the cell's promise at once, but
 * the training loop would go on in the background, and a rerun of the cell would compete with it for the
 * run. So while a run trains, the trainer also listens: the first SIGINT asks it to stop after the current
 * step; it writes `last.ckpt`, releases the run (its lock is freed by the caller's `finally`) and fails with
 * {@link TrainingInterruptedError}; rerunning the cell or the command resumes from that checkpoint. In a
 * terminal, a second Ctrl+C quits at once (the lock's own handler then frees the run).
 */

/** Thrown by the trainer after it stopped on an interrupt and saved its state. */
export class TrainingInterruptedError extends Error {
  constructor(readonly checkpoint: string, readonly epoch: number, readonly batch: number) {
    super(`training interrupted at epoch ${epoch + 1}, batch ${batch}: state saved to ${checkpoint}; run it again to resume from there`);
    this.name = 'TrainingInterruptedError';
  }
}

/** A SIGINT watch for the duration of one training run. */
export interface InterruptWatch {
  /** Whether an interrupt arrived since the watch started. */
  readonly requested: boolean;
  /** Stops listening (always call it, e.g. in a `finally`). */
  dispose(): void;
}

/** Starts listening for SIGINT; `log` says what will happen when one arrives. */
export function watchInterrupt(log: (line: string) => void): InterruptWatch {
  let requested = false;
  const onSigint = (): void => {
    if (!requested) {
      requested = true;
      log('interrupt: stopping after this step and saving a checkpoint (interrupt again to quit at once)');
      return;
    }
    // a second interrupt: stop listening and raise it again, so it does what it would have done without us
    // (a terminal: the run lock's handler frees the run and the process ends; a kernel: tslab's interrupt)
    process.off('SIGINT', onSigint);
    process.kill(process.pid, 'SIGINT');
  };
  process.on('SIGINT', onSigint);
  return {
    get requested() { return requested; },
    dispose() { process.off('SIGINT', onSigint); },
  };
}
