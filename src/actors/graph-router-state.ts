// What the graph router holds, built fresh by each incarnation: the directory of nodes and edges,
// the units still pending, the shards, and which shards it is probing.
import { applyResult } from '../graph/apply-result.ts';
import { Directory } from '../graph/directory.ts';
import { PendingWrites } from '../graph/pending-writes.ts';
import type { OpOutcome } from '../graph/shard-state.ts';
import type { ActorContext } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { Ticket } from '../storage/group-commit.ts';
import type { GraphShardMsg, PartResult } from './graph-shard.ts';
import type { GraphAck, GraphAnswerTo, GraphRouterMsg, GraphRouterOptions } from './graph-router.ts';

export interface RouterState {
  readonly o: GraphRouterOptions;
  readonly ctx: ActorContext<GraphRouterMsg>;
  readonly dir: Directory;
  readonly pending: PendingWrites;
  /** The journal's failed-unit count when this router last undid failed units. */
  failuresSeen: number;
  /** Shards with a probe out. */
  readonly probing: Set<number>;
  shards: Ref<GraphShardMsg>[];
  readonly queryTimeoutMs: number;
}

export function newRouterState(o: GraphRouterOptions, ctx: ActorContext<GraphRouterMsg>): RouterState {
  return {
    o,
    ctx,
    dir: new Directory(),
    pending: new PendingWrites(),
    failuresSeen: o.journal.failedUnits,
    probing: new Set(),
    shards: [],
    queryTimeoutMs: o.queryTimeoutMs ?? 5_000,
  };
}

/** Who waits for a command's outcome: the asker's ref and a session's answer (GraphAnswerTo). */
export interface Asker {
  readonly replyTo: Ref<GraphAck> | undefined;
  readonly answer: GraphAnswerTo | undefined;
}

/** A unit handed to its shards, until the journal commits or fails it (a message to self then). */
export interface UnitInFlight {
  readonly ticket: Ticket;
  readonly asker: Asker;
  /** The session that asked, published with the committed change. */
  readonly origin: string | undefined;
  /** What the shards reported, filled in by them before the unit commits. */
  readonly reports: PartResult[];
  /** One per op in command order; those the directory settled already (unchanged) are set. */
  readonly results: readonly (OpOutcome | undefined)[];
  /** From a routed op's order to its op's index in the command. */
  readonly orderToIndex: readonly number[];
}

export const UNCHANGED: OpOutcome = { status: 'unchanged' };

/** Tells the asker the outcome, and the asking session its answer. */
export function reply(asker: Asker, ack: GraphAck): void {
  asker.replyTo?.tell(ack);
  asker.answer?.to.tell({ type: 'graph-applied', answerTo: asker.answer.tag, result: applyResult(ack) });
}
