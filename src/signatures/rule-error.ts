/** Why a rule cannot be read (thrown while compiling, caught per rule by the loader). */
export class RuleError extends Error {
  override name = 'RuleError';
}

/** Why a readable rule is left out: its conditions cannot be seen in a LOG line. */
export type SkipCategory =
  | 'payload'
  | 'flow-state'
  | 'rate'
  | 'app-layer'
  | 'action'
  | 'unsupported';

export class RuleSkip extends Error {
  override name = 'RuleSkip';
  constructor(
    readonly category: SkipCategory,
    message: string,
  ) {
    super(message);
  }
}
