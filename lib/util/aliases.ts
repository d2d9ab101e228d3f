/**
 * Old names that keep working. Presets, model kinds and heads were once named after the two documents the
 * project started from ("seed 1", "seed 2"); they now say what they are (README, "Where the names come
 * from"). A table of aliases maps each old name to its new one: configs, flags and saved files
 * written with an old name resolve to exactly what the new name gives (and run keys hash the old identifiers,
 * so runs cached before the rename are found again).
 */

/** Old name → new name. */
export type Aliases = Readonly<Record<string, string>>;

/** The new name of `name` (itself when it is not an old name). */
export function canonicalName(name: string, aliases: Aliases): string {
  return Object.prototype.hasOwnProperty.call(aliases, name) ? aliases[name] : name;
}

/** The old name of `name` when it has one (itself otherwise): the identifier run keys were computed with. */
export function legacyName(name: string, aliases: Aliases): string {
  for (const [old, now] of Object.entries(aliases)) if (now === name) return old;
  return name;
}

/**
 * `table` frozen, with each alias as a non-enumerable property pointing at its new name's entry: lookups by
 * an old name (`table['seed1']`) work wherever the table is indexed, while `Object.keys(table)` (listings,
 * help, error messages) shows the new names only.
 */
export function withAliases<T>(table: Record<string, T>, aliases: Aliases): Readonly<Record<string, T>> {
  for (const [old, now] of Object.entries(aliases)) {
    if (!(now in table)) throw new Error(`alias ${old} → ${now}: no entry ${now}`);
    Object.defineProperty(table, old, { value: table[now], enumerable: false, writable: false, configurable: false });
  }
  return Object.freeze(table);
}
