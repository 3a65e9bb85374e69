// The gateway's shortest-path port over the SSSP actor: a client's SsspRequest becomes a query (a
// source, optional targets to stop at, an optional distance bound, the undirected reading when it
// asks for it), the answer (reached nodes,
// their distances and parents, from one graph version) becomes an SsspResult for the asker and
// for every subscriber, so other viewers can colour by it too. A query that fails (an unknown
// source or target, a negative weight, no answer in time) is an error for the asker alone.
import { setImmediate } from 'node:timers/promises';
import type { SsspPort, SsspRequestError, SsspResultMsg } from '../gateway/ports.ts';
import { SsspResultWire } from '../gateway/sssp-result-wire.ts';
import type { SsspRequestT } from '../protocol/generated/vf/sssp-request.ts';
import type { ActorContext, ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { SsspResult } from '../sssp/engine.ts';
import { draftSsspResultEnvelope } from '../protocol/envelope/sssp-result-envelope.ts';
import { gatherWire } from '../sssp/wire-vectors.ts';
import type { SsspMsg, SsspReply } from './sssp.ts';
import { Subscriptions } from './subscriptions.ts';

export type SsspPortMsg =
  | {
      readonly type: 'request';
      readonly source: number;
      /** 0: no bound. */
      readonly maxDistance: number;
      /** Empty: settle everything reachable. */
      readonly targets: readonly number[];
      /** Follow every edge both ways, directed ones included. */
      readonly undirected?: boolean;
      readonly replyTo: Ref<SsspResultMsg>;
      readonly tag: number;
    }
  | { readonly type: 'subscribe'; readonly subscriber: Ref<SsspResultMsg> }
  | { readonly type: 'unsubscribe'; readonly subscriber: Ref<SsspResultMsg> };

export interface SsspPortOptions {
  readonly sssp: Ref<SsspMsg>;
  readonly queryTimeoutMs?: number;
  readonly maxSubscribers?: number;
}

/** Nodes gathered between yields to the event loop (about 12 ms in a random settle order). */
const GATHER_SLICE = 65_536;

/**
 * The reached nodes of a result, in settle order, in the envelope clients are sent: as the worker
 * gathered them beside the query, or gathered here in slices that yield to the event loop (a
 * random settle order costs about 190 ms on 1M nodes). JS arrays of numbers, before, took
 * 300-460 ms in one go.
 */
export async function resultToWire(r: SsspResult, yieldTo: () => Promise<void> = setImmediate): Promise<SsspResultWire> {
  let wire = r.wire;
  if (wire === undefined) {
    const n = r.order.length;
    wire = draftSsspResultEnvelope(r.source, n, r.complete);
    for (let start = 0; start < n; start += GATHER_SLICE) {
      if (start > 0) await yieldTo();
      gatherWire(r.ids, r.distance, r.parent, r.order, wire, start, Math.min(n, start + GATHER_SLICE));
    }
  }
  return SsspResultWire.fromDraft(r.source, r.complete, wire);
}

/** Its name under /app/compute (the application tree, src/supervisors/app-tree.ts). */
export const SSSP_PORT_NAME = 'sssp-port';

export function ssspPortActor(options: SsspPortOptions): ActorFactory<SsspPortMsg> {
  // Outlive restarts: the sessions that subscribed never hear of one.
  const subscribers = new Subscriptions<{ readonly ref: Ref<SsspResultMsg> }>(options.maxSubscribers ?? 10_000);
  return (ctx) => ({
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
        case 'request':
          return request(ctx, options, subscribers, msg);
        default:
          return unreachable(msg);
      }
    },
  });
}

/** Asks the SSSP actor (the mailbox waits meanwhile), answers the session and copies the result to the subscribers. */
async function request(
  ctx: ActorContext<SsspPortMsg>,
  options: SsspPortOptions,
  subscribers: Subscriptions<{ readonly ref: Ref<SsspResultMsg> }>,
  msg: Extract<SsspPortMsg, { type: 'request' }>,
): Promise<void> {
  const timeoutMs = options.queryTimeoutMs ?? 30_000;
  const reply = await ctx
    .ask<SsspMsg, SsspReply>(
      options.sssp,
      (replyTo) => ({
        type: 'sssp-query',
        source: msg.source,
        ...(msg.maxDistance > 0 ? { maxDistance: msg.maxDistance } : {}),
        ...(msg.targets.length > 0 ? { targets: msg.targets } : {}),
        ...(msg.undirected === true ? { undirected: true } : {}),
        replyTo,
      }),
      timeoutMs,
    )
    .catch(() => undefined);
  if (reply === undefined || !reply.ok) {
    const error: SsspRequestError = reply?.error ?? {
      code: 'timeout',
      message: `no answer from the shortest-path service within ${timeoutMs} ms`,
    };
    msg.replyTo.tell({ type: 'sssp-result', result: SsspResultWire.empty(msg.source), answerTo: msg.tag, error });
    return;
  }
  const result = await resultToWire(reply.result);
  msg.replyTo.tell({ type: 'sssp-result', result, answerTo: msg.tag });
  const copy: SsspResultMsg = { type: 'sssp-result', result };
  for (const s of subscribers.values()) if (s.ref.path !== msg.replyTo.path) s.ref.tell(copy);
}

function unreachable(value: never): never {
  throw new Error(`sssp port: unhandled message ${String((value as { type?: unknown }).type)}`);
}

export function ssspPort(port: Ref<SsspPortMsg>): SsspPort {
  return {
    request: (request: SsspRequestT, replyTo, tag) =>
      port.tell({
        type: 'request',
        source: request.source,
        maxDistance: request.maxDistance,
        targets: request.targets,
        undirected: request.undirected,
        replyTo,
        tag,
      }),
    subscribe: (subscriber) => port.tell({ type: 'subscribe', subscriber }),
    unsubscribe: (subscriber) => port.tell({ type: 'unsubscribe', subscriber }),
  };
}
