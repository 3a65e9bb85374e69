// A parent's supervision of its children, as the runtime applies it (supervise.ts): the policy is
// data, given to spawn as `supervision`. Policies are made in src/supervisors (Strategies:
// one-for-one, one-for-all, rest-for-one, deciders per error); the runtime knows only this shape,
// and without one restarts the failed child alone, with the default limits and backoff.
import { DEFAULT_BACKOFF, type BackoffOptions } from '../shared/backoff.ts';
import type { Directive } from './events.ts';
import { DEFAULT_INTENSITY, type Intensity } from './restart-intensity.ts';

// OTP's restart types, on each child:
//  - permanent: always restarted, even after it stops itself normally
//  - transient: restarted only after a failure; a normal stop is final
//  - temporary: never restarted; a failure stops it
export type ChildRestart = 'permanent' | 'transient' | 'temporary';

/** Maps a failure to a directive: the per-error part of a policy. */
export type Decider = (error: unknown) => Directive;

export interface SupervisorStrategy {
  /** At most this many restarts of its children in this window, or the supervisor fails itself. */
  readonly intensity: Intensity;
  readonly decider: Decider;
  /** Between restarts; a child's own `backoff` spawn option overrides it. */
  readonly backoff: BackoffOptions;
  /** The children (in start order) that a restart of `failed` takes along, `failed` among them. */
  affected<C>(children: readonly C[], failed: C): C[];
}

/** Used where a parent was given none: restart the failed child alone, on any error. */
export const RESTART_FAILED_CHILD: SupervisorStrategy = {
  intensity: DEFAULT_INTENSITY,
  decider: () => 'restart',
  backoff: DEFAULT_BACKOFF,
  affected: (_children, failed) => [failed],
};
