// The position fan-out's slices, as an actor of their own at low priority. The gateway's tick stays
// at normal priority: it encodes each group's frame once and hands out the first slice itself; the
// slices after it run here, one per turn, so that a session's message (a setting, a graph change, a
// drag) waits behind at most the one slice that is running rather than the rest of the chain. A
// chain that falls a whole tick behind is finished by the next tick (PositionHub.tick flushes), so
// a frame never waits longer than one layout period for its clients.
import type { PositionHub } from '../gateway/position-hub.ts';
import type { ActorFactory } from '../runtime/actor.ts';

/** 'kick': frames are waiting (from the gateway); 'next': the chain's own next slice. */
export type FanoutMsg = { readonly type: 'kick' } | { readonly type: 'next' };

/** One slice per turn, after the waiting normal-priority actors (see the dispatcher). */
export const FANOUT_SCHEDULING = { throughput: 1, priority: 'low' } as const;

export function positionFanout(hub: PositionHub, sliceSize: number): ActorFactory<FanoutMsg> {
  return (ctx) => {
    let running = false;
    const step = (): void => {
      running = hub.deliver(sliceSize);
      if (running) ctx.self.tell({ type: 'next' });
    };
    return {
      receive(msg) {
        switch (msg.type) {
          case 'kick':
            // A kick while a chain runs adds nothing: the chain reaches every waiting member.
            if (!running) step();
            return;
          case 'next':
            return step();
          default:
            return unreachable(msg);
        }
      },
    };
  };
}

function unreachable(value: never): never {
  throw new Error(`position fan-out: unhandled message ${String((value as { type?: unknown }).type)}`);
}
