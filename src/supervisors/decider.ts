// A decider maps a failure to a directive: the per-error part of a supervision strategy.
import type { Directive } from '../runtime/events.ts';
import type { Decider } from '../runtime/supervision.ts';

export type { Decider } from '../runtime/supervision.ts';

/** Restart on any error: a fresh instance from the factory is the safest answer to the unknown. */
export const restartOnAnyError: Decider = () => 'restart';

/** Builds a decider from error classes, first match wins, with a fallback. */
export function deciderFor(
  cases: readonly (readonly [abstract new (...args: never[]) => Error, Directive])[],
  otherwise: Directive = 'restart',
): Decider {
  return (error) => {
    for (const [type, directive] of cases) if (error instanceof type) return directive;
    return otherwise;
  };
}
