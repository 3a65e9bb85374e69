// Records every runtime event a system publishes, with typed views for assertions.
import type { DeadLetter, DeadLetterReason } from '../../src/runtime/dead-letter.ts';
import type { EventOf, RuntimeEvent, RuntimeEventType } from '../../src/runtime/events.ts';
import type { ActorSystem } from '../../src/runtime/system.ts';

export interface EventLog {
  readonly events: RuntimeEvent[];
  of<T extends RuntimeEventType>(type: T): EventOf<T>[];
  deadLetters(reason?: DeadLetterReason): DeadLetter[];
  /** Paths from actor-stopped events, in publication order. */
  stopped(): string[];
  clear(): void;
  unsubscribe(): void;
}

export function collectEvents(system: ActorSystem): EventLog {
  const events: RuntimeEvent[] = [];
  const unsubscribe = system.events.subscribe((e) => events.push(e));
  const of = <T extends RuntimeEventType>(type: T): EventOf<T>[] => events.filter((e): e is EventOf<T> => e.type === type);
  return {
    events,
    of,
    deadLetters: (reason) =>
      of('dead-letter')
        .map((e) => e.letter)
        .filter((l) => reason === undefined || l.reason === reason),
    stopped: () => of('actor-stopped').map((e) => e.path),
    clear: () => void events.splice(0),
    unsubscribe,
  };
}
