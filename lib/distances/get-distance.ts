/**
 * Looks a distance up by name, so configs (plain JSON) can name one.
 *
 * @see notebooks/04-model-construction.ipynb
 */
import { cosine } from './cosine';
import type { Distance, DistanceName } from './distance';
import { euclidean } from './euclidean';

/**
 * Every shipped distance, by name.
 * @see notebooks/04-model-construction.ipynb
 */
export const DISTANCES: Readonly<Record<DistanceName, Distance>> = Object.freeze({ euclidean, cosine });

/**
 * The distance called `name` (a Distance passes through); the error lists the valid names.
 * @see notebooks/04-model-construction.ipynb
 */
export function getDistance(name: DistanceName | Distance): Distance {
  if (typeof name === 'object' && name !== null) return name;
  const d = (DISTANCES as Record<string, Distance>)[name as string];
  if (!d) throw new RangeError(`Unknown distance ${JSON.stringify(name)}; use one of ${Object.keys(DISTANCES).join(', ')}`);
  return d;
}
