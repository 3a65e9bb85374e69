// The mechanics of supervision, separate from its policy (the parent's SupervisorStrategy,
// supervision.ts): what a parent does when a child fails or, being permanent, exits normally.
// Every decision is published as an event. It acts on cells through their methods only.
import { backoffDelay } from '../shared/backoff.ts';
import type { ActorCell } from './cell.ts';
import { RestartIntensityExceeded } from './errors.ts';
import type { Directive } from './events.ts';

type Cell = ActorCell<unknown>;

/** A child's instance threw (or was killed): ask the decider, then act. */
export function handleChildFailure(parent: Cell, child: Cell, error: unknown): void {
  let directive = parent.supervision.decider(error);
  if (directive === 'restart' && child.restartType === 'temporary') directive = 'stop';
  apply(parent, child, directive, error);
}

/** A permanent child stopped itself: OTP restarts it all the same (no decider involved). */
export function handleNormalExit(parent: Cell, child: Cell): void {
  apply(parent, child, 'restart', undefined);
}

function apply(parent: Cell, child: Cell, wanted: Directive, error: unknown): void {
  // A parent that is itself going away stops its children anyway: do not restart into it.
  const parentLeaving = ['stopping', 'stopped', 'restarting', 'backoff'].includes(parent.state);
  const directive: Directive = parentLeaving ? 'stop' : wanted;
  const now = parent.clock.now();
  if (directive === 'restart' && !parent.recordChildRestart(now)) {
    parent.publish({ type: 'restart-intensity-exceeded', supervisor: parent.path, time: now });
    decided(parent, child, 'escalate', [child]);
    const { maxRestarts, withinMs } = parent.supervision.intensity;
    parent.fail(new RestartIntensityExceeded(parent.path, maxRestarts, withinMs, error));
    return;
  }
  const affected = directive === 'restart' ? parent.supervision.affected(parent.childList(), child) : [child];
  decided(parent, child, directive, affected);
  switch (directive) {
    case 'resume':
      child.resume();
      return;
    case 'stop':
      void child.stop('failure');
      return;
    case 'escalate':
      parent.fail(error);
      return;
    case 'restart':
      void restartWithBackoff(parent, child, affected, error);
      return;
  }
}

function decided(parent: Cell, child: Cell, directive: Directive, affected: readonly Cell[]): void {
  parent.publish({
    type: 'supervisor-decision',
    supervisor: parent.path,
    child: child.path,
    directive,
    affected: affected.map((c) => c.path),
    time: parent.clock.now(),
  });
}

/**
 * Tears the affected children down (reverse start order), waits out the failed child's backoff
 * and recreates them (start order). The delay is fixed at decision time, so the restart happens
 * at failure time + delay however long the teardown takes.
 */
async function restartWithBackoff(parent: Cell, failed: Cell, affected: readonly Cell[], error: unknown): Promise<void> {
  const clock = parent.clock;
  const now = clock.now();
  const backoff = failed.backoff;
  const stable = now - failed.lastStartedAt >= backoff.resetAfterMs;
  const attempt = stable ? 1 : failed.restartAttempt + 1;
  const delayMs = backoffDelay(backoff, attempt, parent.random());
  const due = now + delayMs;
  for (const c of affected) parent.publish({ type: 'restart-scheduled', path: c.path, attempt, delayMs, time: now });
  for (const c of [...affected].reverse()) await c.tearDownForRestart(error);
  clock.setTimer(Math.max(0, due - clock.now()), () => {
    for (const c of affected) c.restart(error, attempt);
  });
}
