// A ref that finds its actor by path at every tell: for wiring subsystems together before the
// target exists (it is spawned later in start order) and across its restarts. A tell while nothing
// is at the path dead-letters, as any undeliverable message does.
import type { Ref } from './ref.ts';
import type { ActorSystem } from './system.ts';

export function pathRef<Msg>(system: ActorSystem, path: string): Ref<Msg> {
  return {
    path,
    tell: (message: Msg, sender?: Ref<unknown>) => system.tellPath(path, message, sender),
  };
}
