/**
 * Names for synthetic people in LFW's `First_Last` form. The lists are invented for this project; the
 * combinations are shuffled by seed, so the first N names of a seed never change when N grows.
 */
import type { Rng } from '../../util/rng';

const FIRST = [
  'Ada', 'Alba', 'Amos', 'Anja', 'Arlo', 'Bea', 'Bram', 'Cleo', 'Dario', 'Edda', 'Elio', 'Enzo', 'Esme', 'Ewan',
  'Faye', 'Finn', 'Gia', 'Gus', 'Hana', 'Ida', 'Ines', 'Ivo', 'Jonas', 'Juno', 'Kai', 'Kira', 'Lars', 'Lena',
  'Lio', 'Mara', 'Milo', 'Nadia', 'Nico', 'Nora', 'Odin', 'Olga', 'Omar', 'Pia', 'Quinn', 'Rafa', 'Rosa', 'Sami',
  'Tala', 'Teo', 'Uma', 'Vera', 'Wren', 'Yara', 'Zane', 'Zoe',
] as const;

const LAST = [
  'Abara', 'Belmonte', 'Corvin', 'Dalsgaard', 'Eskola', 'Farrow', 'Galvez', 'Hollis', 'Iwata', 'Jandric',
  'Kestrel', 'Lindqvist', 'Moravec', 'Nakamura', 'Okafor', 'Pellegrini', 'Quaresma', 'Rautio', 'Sandoval',
  'Tamminen', 'Umbeck', 'Valdivia', 'Wexley', 'Xiong', 'Yildiz', 'Zorzi', 'Achterberg', 'Brannigan', 'Castellan',
  'Demir', 'Ellery', 'Fiorucci', 'Granholm', 'Haddad', 'Ilves', 'Jovanic', 'Kowalczyk', 'Lemaire', 'Mbeki',
  'Norberg', 'Oyelaran', 'Pasternak', 'Rinaldi', 'Sorensen', 'Takeda', 'Uribe', 'Vasquez', 'Whitlock', 'Ysasi',
  'Zelenko',
] as const;

/** How many distinct names {@link syntheticNames} can make. */
export const MAX_SYNTHETIC_NAMES = FIRST.length * LAST.length;

/** `count` distinct `First_Last` names, the same prefix for the same rng stream whatever `count` is. */
export function syntheticNames(rng: Rng, count: number): string[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_SYNTHETIC_NAMES) {
    throw new RangeError(`syntheticNames: count must be an integer in [0, ${MAX_SYNTHETIC_NAMES}], got ${count}`);
  }
  const all: string[] = [];
  for (const first of FIRST) for (const last of LAST) all.push(`${first}_${last}`);
  return rng.shuffle(all).slice(0, count);
}
