// The gateway's shortest-path port over the SSSP actor: a client's SsspRequest becomes a query, the
// answer (reached nodes, their distances and parents, from one graph version) becomes an
// SsspResult for the asker and for every subscriber, so other viewers can colour by it too.
import type { SsspPort, SsspResultMsg } from '../gateway/ports.ts';
import { SsspResultT } from '../protocol/generated/vf/sssp-result.ts';
import type { SsspRequestT } from '../protocol/generated/vf/sssp-request.ts';
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { SsspResult } from '../sssp/engine.ts';
import type { SsspMsg, SsspReply } from './sssp.ts';
import { Subscriptions } from './subscriptions.ts';

export type SsspPortMsg =
  | { readonly type: 'request'; readonly source: number; readonly maxDistance: number; readonly replyTo: Ref<SsspResultMsg> }
  | { readonly type: 'subscribe'; readonly subscriber: Ref<SsspResultMsg> }
  | { readonly type: 'unsubscribe'; readonly subscriber: Ref<SsspResultMsg> };

export interface SsspPortOptions {
  readonly sssp: Ref<SsspMsg>;
  readonly queryTimeoutMs?: number;
  readonly maxSubscribers?: number;
}

/** The reached nodes of a result, in settle order, as the wire's parallel vectors. */
export function resultToWire(r: SsspResult): SsspResultT {
  const nodes: number[] = [];
  const distances: number[] = [];
  const parents: number[] = [];
  for (const index of r.order) {
    nodes.push(r.ids[index]!);
    distances.push(r.distance[index]!);
    const parent = r.parent[index]!;
    parents.push(parent < 0 ? r.ids[index]! : r.ids[parent]!);
  }
  return new SsspResultT(r.source, nodes, distances, parents);
}

export function ssspPortActor(options: SsspPortOptions): ActorFactory<SsspPortMsg> {
  // Outlive restarts: the sessions that subscribed never hear of one.
  const subscribers = new Subscriptions<{ readonly ref: Ref<SsspResultMsg> }>(options.maxSubscribers ?? 10_000);
  return (ctx) => {
    return {
      preStart() {
        subscribers.rewatch(ctx, (subscriber): SsspPortMsg => ({ type: 'unsubscribe', subscriber }));
      },
      async receive(msg) {
        switch (msg.type) {
          case 'subscribe':
            subscribers.add(ctx, { ref: msg.subscriber }, { type: 'unsubscribe', subscriber: msg.subscriber });
            return;
          case 'unsubscribe':
            subscribers.delete(msg.subscriber);
            return;
          case 'request': {
            const reply = await ctx.ask<SsspMsg, SsspReply>(
              options.sssp,
              (replyTo) => ({ type: 'sssp-query', source: msg.source, ...(msg.maxDistance > 0 ? { maxDistance: msg.maxDistance } : {}), replyTo }),
              options.queryTimeoutMs ?? 30_000,
            ).catch(() => undefined);
            // A failed query answers with an empty result for the source: nothing reached.
            const result = reply?.ok === true ? resultToWire(reply.result) : new SsspResultT(msg.source, [], [], []);
            const out: SsspResultMsg = { type: 'sssp-result', result };
            msg.replyTo.tell(out);
            for (const s of subscribers.values()) if (s.ref.path !== msg.replyTo.path) s.ref.tell(out);
            return;
          }
        }
      },
    };
  };
}

export function ssspPort(port: Ref<SsspPortMsg>): SsspPort {
  return {
    request: (request: SsspRequestT, replyTo) => port.tell({ type: 'request', source: request.source, maxDistance: request.maxDistance, replyTo }),
    subscribe: (subscriber) => port.tell({ type: 'subscribe', subscriber }),
    unsubscribe: (subscriber) => port.tell({ type: 'unsubscribe', subscriber }),
  };
}
