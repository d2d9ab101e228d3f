/**
 * Running async work on many items with a bound on how much is in flight (file stats, decodes): the one
 * worker pool the project uses.
 */

/** What happened to one item: its value, or the error it threw. */
export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

/**
 * Calls `fn(item, index)` for every item, at most `concurrency` at a time, starting them in order. Every
 * item is tried even when some fail; the results come back in the items' order.
 */
export async function settleEach<I, T>(items: readonly I[], concurrency: number, fn: (item: I, index: number) => Promise<T>): Promise<Settled<T>[]> {
  const out = new Array<Settled<T>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { ok: true, value: await fn(items[i], i) };
      } catch (err) {
        out[i] = { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return out;
}
