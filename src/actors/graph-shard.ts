// A graph shard: holds the registers of the nodes it owns (and of the edges leaving them), and runs
// the middle of the update pipeline for its part of each unit: decide and apply in memory, encode
// the events as FlatBuffers, hand them to the group-commit journal. It recovers from storage
// (snapshot + tail) in preStart, so it takes no message before its state is back; messages that
// arrive meanwhile wait in its mailbox (or in the stash while a restart backs off). It also answers
// the router's fan-out queries for what it holds: node values by id, title search.
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { compareHlc, ZERO_HLC, type Hlc } from '../crdt/hlc.ts';
import type { LwwRegister } from '../crdt/lww-register.ts';
import type { GraphOp } from '../graph/commands.ts';
import { encodeEvent, eventKind } from '../graph/event-codec.ts';
import { eventEntity, type GraphEvent } from '../graph/events.ts';
import type { EdgeValue, NodeValue } from '../graph/model.ts';
import { recoverShard } from '../graph/recover.ts';
import { searchTitles, type SearchHit } from '../graph/search.ts';
import { ShardState, type OpOutcome } from '../graph/shard-state.ts';
import { encodeSnapshot } from '../graph/snapshot-codec.ts';
import { ensureShardCount } from '../graph/shard-count.ts';
import type { TopologyEdge, TopologyNode } from '../graph/topology.ts';
import type { GroupCommitJournal, JournalError, PartRow, Ticket } from '../storage/group-commit.ts';
import type { SqlClient } from '../storage/sql.ts';

/** One op as the router routed it: the final stamp and its place in the unit. */
export interface RoutedOp {
  readonly op: GraphOp;
  readonly stamp: Hlc;
  readonly order: number;
}

export interface PartResult {
  readonly shard: number;
  readonly outcomes: readonly (readonly [order: number, outcome: OpOutcome])[];
  readonly events: readonly (readonly [order: number, event: GraphEvent])[];
}

/** A unit as a shard sees it: the journal ticket and where to report what it decided. */
export interface UnitHandle {
  readonly ticket: Ticket;
  report(result: PartResult): void;
}

export interface ShardSlice {
  readonly nodes: readonly TopologyNode[];
  readonly edges: readonly TopologyEdge[];
  /** The newest stamp the shard holds: the router's clock moves past it. */
  readonly maxStamp: Hlc;
  /** The last journal unit the shard's state reflects: the graph's version starts again from the greatest. */
  readonly lastUnit: number;
}

export type GraphShardMsg =
  | { readonly type: 'apply'; readonly unit: UnitHandle; readonly ops: readonly RoutedOp[] }
  | { readonly type: 'get-node'; readonly id: number; readonly replyTo: Ref<LwwRegister<NodeValue> | undefined> }
  | { readonly type: 'get-edge'; readonly id: bigint; readonly replyTo: Ref<LwwRegister<EdgeValue> | undefined> }
  /** The live values of the nodes this shard owns among `ids`, index for index (undefined: none here). */
  | { readonly type: 'get-nodes'; readonly ids: readonly number[]; readonly replyTo: Ref<readonly (NodeValue | undefined)[]> }
  /** This shard's best `limit` live nodes whose title contains `query` (lower-cased), best first. */
  | { readonly type: 'search'; readonly query: string; readonly limit: number; readonly replyTo: Ref<readonly SearchHit[]> }
  | { readonly type: 'slice'; readonly replyTo: Ref<ShardSlice> }
  | { readonly type: 'commit-failed'; readonly error: string };

export interface GraphShardOptions {
  readonly shard: number;
  readonly shards: number;
  readonly db: SqlClient;
  readonly journal: GroupCommitJournal;
  /** A snapshot after this many events since the last one. */
  readonly snapshotEvery: number;
}

export class ShardCommitFailed extends Error {
  constructor(shard: number, reason: string) {
    super(`shard ${shard}: a commit failed (${reason}); restarting to recover from storage`);
    this.name = 'ShardCommitFailed';
  }
}

export function graphShard(o: GraphShardOptions): ActorFactory<GraphShardMsg> {
  return (ctx) => {
    let state = new ShardState();
    let lastUnit = 0;
    let sinceSnapshot = 0;
    let stopped = false;

    const snapshot = (): void => {
      const ticket = o.journal.open([o.shard], 0);
      if (!('unit' in ticket)) return; // queue full or failed: try again after more events
      let entries = 0;
      for (const _ of state.nodes.entries()) entries++;
      for (const _ of state.edges.entries()) entries++;
      o.journal.submit(ticket, o.shard, [], { shard: o.shard, unitUpto: lastUnit, entries, body: encodeSnapshot(state) });
      sinceSnapshot = 0;
    };

    const onFailure = (error: JournalError): void => {
      // 'reset' and 'closed' mean the graph is restarting or stopping anyway.
      if (stopped || error.reason === 'reset' || error.reason === 'closed') return;
      ctx.self.tell({ type: 'commit-failed', error: error.message });
    };

    return {
      async preStart() {
        await o.journal.reset();
        await ensureShardCount(o.db, o.shards);
        const recovered = await recoverShard(o.db, o.shard);
        state = recovered.state;
        lastUnit = recovered.lastUnit;
        sinceSnapshot = recovered.tailEvents;
      },
      postStop() {
        stopped = true;
      },
      preRestart() {
        stopped = true;
      },
      receive(msg) {
        switch (msg.type) {
          case 'apply': {
            const { ticket } = msg.unit;
            if (!o.journal.isOpen(ticket)) return; // failed or from before a restart: not applied anywhere
            const rows: PartRow[] = [];
            const outcomes: [number, OpOutcome][] = [];
            const events: [number, GraphEvent][] = [];
            for (const r of msg.ops) {
              const d = state.decide(r.op, r.stamp);
              outcomes.push([r.order, d.outcome]);
              if (d.event !== undefined) {
                events.push([r.order, d.event]);
                rows.push({ kind: eventKind(d.event), entity: Number(eventEntity(d.event)), payload: encodeEvent(d.event) });
              }
            }
            msg.unit.report({ shard: o.shard, outcomes, events });
            o.journal.submit(ticket, o.shard, rows);
            ticket.done.catch(onFailure);
            lastUnit = ticket.unit;
            sinceSnapshot += rows.length;
            if (sinceSnapshot >= o.snapshotEvery) snapshot();
            return;
          }
          case 'get-node':
            msg.replyTo.tell(state.nodes.register(msg.id) as LwwRegister<NodeValue> | undefined);
            return;
          case 'get-edge':
            msg.replyTo.tell(state.edges.register(msg.id) as LwwRegister<EdgeValue> | undefined);
            return;
          case 'get-nodes':
            msg.replyTo.tell(msg.ids.map((id) => state.nodes.get(id)));
            return;
          case 'search':
            msg.replyTo.tell(searchTitles(state.nodes.live(), msg.query, msg.limit));
            return;
          case 'slice': {
            let maxStamp = ZERO_HLC;
            for (const [, r] of state.nodes.entries()) if (compareHlc(r.stamp, maxStamp) > 0) maxStamp = r.stamp;
            for (const [, r] of state.edges.entries()) if (compareHlc(r.stamp, maxStamp) > 0) maxStamp = r.stamp;
            msg.replyTo.tell({ nodes: state.topologyNodes(), edges: state.topologyEdges(), maxStamp, lastUnit });
            return;
          }
          case 'commit-failed':
            throw new ShardCommitFailed(o.shard, msg.error);
        }
      },
    };
  };
}
