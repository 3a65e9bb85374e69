// Whether named actors are up, from the runtime's supervision events: up once started, down from a
// failure (with its reason) or a stop until it has started again. For readiness ("is the physics
// engine running", "is the graph router there") without asking the actors, which may be busy with
// a long mailbox or restarting: a readiness probe must not queue behind the work it reports on.
import type { RuntimeEvent } from '../runtime/events.ts';
import type { ActorSystem } from '../runtime/system.ts';

export interface ActorCondition {
  readonly up: boolean;
  /** Why it is down: the failure's message, 'stopped (...)', or 'not started yet'. */
  readonly reason?: string;
  /** Failures since it last started. */
  readonly failures: number;
}

interface State {
  up: boolean;
  reason: string | undefined;
  failures: number;
}

export class SupervisionWatch {
  private readonly states = new Map<string, State>();

  /** Made before the actors at `paths` start, so that it sees them start. */
  constructor(paths: readonly string[], system: ActorSystem) {
    for (const p of paths) this.states.set(p, { up: false, reason: 'not started yet', failures: 0 });
    system.events.subscribe((e) => this.onEvent(e));
  }

  condition(path: string): ActorCondition {
    const s = this.states.get(path);
    if (s === undefined) return { up: false, reason: 'not watched', failures: 0 };
    return s.up ? { up: true, failures: 0 } : { up: false, reason: s.reason ?? 'restarting', failures: s.failures };
  }

  private onEvent(e: RuntimeEvent): void {
    if (!('path' in e)) return;
    const s = this.states.get(e.path);
    if (s === undefined) return;
    if (e.type === 'actor-started') {
      s.up = true;
      s.reason = undefined;
      s.failures = 0;
    } else if (e.type === 'actor-failed') {
      s.up = false;
      s.reason = e.error instanceof Error ? e.error.message : String(e.error);
      s.failures++;
    } else if (e.type === 'actor-stopped') {
      s.up = false;
      s.reason = `stopped (${e.reason})`;
    }
  }
}
