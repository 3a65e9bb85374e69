// Fault injection by actor path: for users' tests and ours. A fault set on a path that has no
// actor yet waits for one to be spawned there; every injected fault shows on the event stream.
import type { ActorCell } from './cell.ts';
import type { RuntimeEvent } from './events.ts';
import { describeFault, FaultPlan, validateFault, type Fault } from './fault-plan.ts';

export interface FaultTargets {
  cellAt(path: string): ActorCell<unknown> | undefined;
  publish(event: RuntimeEvent): void;
  now(): number;
}

export class FaultInjector {
  private readonly pending = new Map<string, FaultPlan>();

  constructor(private readonly targets: FaultTargets) {}

  /** Arms `fault` on the actor at `path` (now, or when one is spawned there). */
  inject(path: string, fault: Fault): void {
    const plan = new FaultPlan(validateFault(fault));
    const cell = this.targets.cellAt(path);
    if (cell === undefined) this.pending.set(path, plan);
    else cell.injectFault(plan);
  }

  /** Fails the actor now, as if its handler had thrown; false when no actor is there. */
  kill(path: string): boolean {
    const cell = this.targets.cellAt(path);
    if (cell === undefined) return false;
    this.targets.publish({ type: 'fault-injected', path, fault: 'kill', time: this.targets.now() });
    cell.kill();
    return true;
  }

  clear(path: string): void {
    this.pending.delete(path);
    const cell = this.targets.cellAt(path);
    cell?.injectFault(undefined);
  }

  /** Used by a new cell to pick up a fault armed before it existed. */
  take(path: string): FaultPlan | undefined {
    const plan = this.pending.get(path);
    if (plan !== undefined) this.pending.delete(path);
    return plan;
  }

  describe(path: string): string | undefined {
    const cell = this.targets.cellAt(path);
    const plan = cell?.fault ?? this.pending.get(path);
    return plan === undefined ? undefined : describeFault(plan.fault);
  }
}
