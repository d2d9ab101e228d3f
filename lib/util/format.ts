/**
 * Numbers as short text for people: sizes in binary units and durations. The one place these are
 * formatted, so a model summary, a download's progress line and a training bar say the same thing the
 * same way.
 *
 * @see notebooks/04-model-construction.ipynb
 */

/**
 * Bytes as B/KiB/MiB/GiB text.
 * @see notebooks/04-model-construction.ipynb
 */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** Seconds as `42s`, `3m07s` or `1h05m`; `?` when unknown (not finite). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
