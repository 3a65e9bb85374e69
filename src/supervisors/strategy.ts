// A supervision strategy is plain data: which siblings a restart takes along, how many restarts
// are tolerated in what window, what each error means, and the backoff between restarts. It is
// the runtime's SupervisorStrategy, which the runtime applies (src/runtime/supervise.ts).
import { DEFAULT_INTENSITY, validateIntensity } from '../runtime/restart-intensity.ts';
import type { SupervisorStrategy as RuntimeStrategy } from '../runtime/supervision.ts';
import { DEFAULT_BACKOFF, validateBackoff } from '../shared/backoff.ts';
import { restartOnAnyError } from './decider.ts';
import { oneForAll } from './one-for-all.ts';
import { oneForOne } from './one-for-one.ts';
import { restForOne } from './rest-for-one.ts';

export type StrategyKind = 'one-for-one' | 'one-for-all' | 'rest-for-one';

export interface SupervisorStrategy extends RuntimeStrategy {
  readonly kind: StrategyKind;
}

export type StrategyOptions = Partial<Pick<SupervisorStrategy, 'intensity' | 'decider' | 'backoff'>>;

function strategy(kind: StrategyKind, options: StrategyOptions): SupervisorStrategy {
  return {
    kind,
    intensity: validateIntensity(options.intensity ?? DEFAULT_INTENSITY),
    decider: options.decider ?? restartOnAnyError,
    backoff: validateBackoff(options.backoff ?? DEFAULT_BACKOFF),
    affected: (children, failed) => affectedChildren(kind, children, failed),
  };
}

export const Strategies = {
  oneForOne: (options: StrategyOptions = {}): SupervisorStrategy => strategy('one-for-one', options),
  oneForAll: (options: StrategyOptions = {}): SupervisorStrategy => strategy('one-for-all', options),
  restForOne: (options: StrategyOptions = {}): SupervisorStrategy => strategy('rest-for-one', options),
};

/** The siblings (in start order) that a restart of `failed` takes along under `kind`. */
export function affectedChildren<C>(kind: StrategyKind, children: readonly C[], failed: C): C[] {
  switch (kind) {
    case 'one-for-one':
      return oneForOne(children, failed);
    case 'one-for-all':
      return oneForAll(children, failed);
    case 'rest-for-one':
      return restForOne(children, failed);
  }
}
