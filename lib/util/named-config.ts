/**
 * Configs chosen by name from a fixed list (an optimizer, a learning-rate schedule), whose other fields
 * are the settings of every choice with defaults: the one place that merges a partial config over its
 * defaults and checks the name.
 */

/** A config whose `name` picks one of a fixed list. */
export interface NamedConfig<N extends string> {
  readonly name: N;
}

/**
 * `partial` over `defaults`, with `name` checked against `names` (the error starts with `what` and lists
 * them); the caller checks the ranges of the other fields.
 */
export function withNamedDefaults<C extends NamedConfig<string>>(
  what: string, names: readonly C['name'][], defaults: Readonly<C>, partial: Partial<C>,
): C {
  const cfg = { ...defaults, ...partial } as C;
  if (!names.includes(cfg.name)) throw new RangeError(`${what} must be one of ${names.join(', ')}, got ${JSON.stringify(cfg.name)}`);
  return cfg;
}
