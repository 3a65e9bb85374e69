// A change to the graph as a client sees it: what a session asks for (GraphApplyRequest), the
// answer it gets (GraphApplied) and the committed changes every subscriber hears, in commit order
// (GraphChanged). The gateway's GraphPort carries them (src/gateway/ports.ts).
import type { Hlc } from '../crdt/hlc.ts';
import type { EdgeT, GraphBatchT, GraphUpdateT, NodeT } from '../protocol/index.ts';
import type { Recipient } from '../shared/recipient.ts';

export type GraphMutation =
  { readonly kind: 'update'; readonly update: GraphUpdateT } | { readonly kind: 'batch'; readonly batch: GraphBatchT };

export interface MutationOrigin {
  /** The session that sent it. */
  readonly session: string;
  /** The token subject behind that session. */
  readonly subject: string;
}

export type GraphApplyResult =
  | {
      readonly ok: true;
      /** The graph version the change is reflected at: its commit's, or the current one when it changed nothing. */
      readonly version: number;
      /** The commit's HLC (the greatest stamp of its ops); absent when nothing was committed. */
      readonly stamp?: Hlc;
    }
  | {
      readonly ok: false;
      readonly code: 'conflict' | 'not-found' | 'invalid' | 'unavailable';
      readonly message: string;
      /** On a conflict: what stands, so the client can reconcile its optimistic copy. */
      readonly current?: {
        readonly node?: NodeT;
        readonly edge?: EdgeT;
        /** The stamps of the writes that stand (the LWW registers' stamps). */
        readonly nodeStamp?: Hlc;
        readonly edgeStamp?: Hlc;
      };
      /** With `current`: the graph version at which it stands. */
      readonly version?: number;
    };

/**
 * A change a session asks for. Exactly one GraphApplied answers it, told to `replyTo`; for a change
 * that commits, it comes after that commit's GraphChanged (when `replyTo` subscribes to changes) and
 * before any later commit's, so a client sees its answer at its commit's place in the stream.
 */
export interface GraphApplyRequest {
  readonly mutation: GraphMutation;
  readonly origin: MutationOrigin;
  /** The client's HLC stamp for the change (Envelope.hlc); absent: the server stamps it on arrival. */
  readonly stamp?: Hlc;
  readonly replyTo: Recipient<GraphApplied>;
  /** Comes back as GraphApplied.answerTo. */
  readonly tag: number;
}

export interface GraphApplied {
  readonly type: 'graph-applied';
  readonly answerTo: number;
  readonly result: GraphApplyResult;
}

/**
 * The nodes one op of a change is about, as the topology knew them when the op applied: a node op's
 * node, an edge op's two endpoints (one for a self-loop). Per-client filters judge the op by them.
 */
export interface ChangeScope {
  readonly ids: readonly number[];
  /** Wire NodeKind per id; -1 where the topology did not know the node. */
  readonly kinds: readonly number[];
  /** The op adds its node: no client can have it in view yet. */
  readonly adds: boolean;
  /** Where the op changed its node's kind: the kind before (a client that kept it must hear of the change). */
  readonly formerKind?: number;
}

/**
 * A committed change, in commit order, as the clients should see it: every subscriber gets it, the
 * session that asked for it included (its answer follows).
 */
export interface GraphChanged {
  readonly type: 'graph-changed';
  /** The graph version it was committed at (`change` carries it too). */
  readonly version: number;
  readonly change: GraphMutation;
  /** One per op of the change, in order (a batch's updates, or the single update). */
  readonly scopes: readonly ChangeScope[];
  /** The session whose request made it. */
  readonly origin?: string;
  /** The commit's HLC (the greatest stamp of its ops), for the envelope's `hlc`. */
  readonly stamp?: Hlc;
}
