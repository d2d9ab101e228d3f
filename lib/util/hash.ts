/**
 * Stable hashing of JSON-serialisable configs: the same config, whatever its key order, gives the same
 * hash. It names cache entries, and run folders (lib/train/experiment.ts `runKey` hashes a run's config,
 * without its display name, together with the identity of its data). Nothing seeds from these hashes.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level (arrays keep their order); undefined fields are dropped. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`stableStringify: ${value} is not JSON`);
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/** The first `length` hex digits of the SHA-256 of the config's stable JSON. */
export function configHash(config: unknown, length = 10): string {
  return createHash('sha256').update(stableStringify(config)).digest('hex').slice(0, length);
}
