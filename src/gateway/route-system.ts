// What the HTTP routes use of the actor system behind them: asking an actor, the fault injection
// admins reach through /api/faults, and the tree /api/tree lists. The runtime's ActorSystem is one;
// the routes see only this, so the gateway's plumbing stays below the runtime.
import type { Recipient } from '../shared/recipient.ts';

export type RouteFault =
  { readonly kind: 'throw'; readonly times: number } | { readonly kind: 'stall'; readonly durationMs: number; readonly times: number };

export interface RouteSystem {
  /** The node's name, shown with its tree. */
  readonly name: string;
  ask<Req, Res>(target: Recipient<Req>, build: (replyTo: Recipient<Res>) => Req, timeoutMs: number): Promise<Res>;
  readonly faults: {
    inject(path: string, fault: RouteFault): void;
    /** False when no actor runs at `path`. */
    kill(path: string): boolean;
  };
  /** The actors under `path`, one line each. */
  tree(path: string): readonly string[];
}
