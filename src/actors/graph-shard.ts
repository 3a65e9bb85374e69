// A graph shard: holds the registers of the nodes it owns (and of the edges leaving them), and runs
// the middle of the update pipeline for its part of each unit: decide and apply in memory, encode
// the events as FlatBuffers, hand them to the group-commit journal. It recovers from storage
// (snapshot + tail) in preStart, so it takes no message before its state is back; messages that
// arrive meanwhile wait in its mailbox (or in the stash while a restart backs off). It also answers
// the router's fan-out queries for what it holds: node values by id, title search.
//
// What it applied stays rollback-able until it commits: for each unit it keeps what the unit's
// events overwrote, and when a unit fails (another shard never sent its part, the store refused
// it) it puts those registers back, newest unit first, so its memory is again what storage will
// hold. No failure of a unit is a failure of the shard. A restarted shard waits for the units it
// had submitted parts of to commit or fail, then recovers: storage then holds all of its committed
// state. Notices about units of an earlier incarnation find nothing to roll back. A shard started
// afresh (its supervisor restarted: a new mailbox) first fails the units still waiting for its
// part, whose messages went with the old mailbox; a restarted one keeps its mailbox, and a unit
// whose message was the one that failed times out.
import type { ActorContext, ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { compareHlc, ZERO_HLC, type Hlc } from '../crdt/hlc.ts';
import type { LwwRegister } from '../crdt/lww-register.ts';
import type { GraphOp } from '../graph/commands.ts';
import { encodeEvent, eventKind } from '../graph/event-codec.ts';
import { eventEntity, type GraphEvent } from '../graph/events.ts';
import type { EdgeValue, NodeValue } from '../graph/model.ts';
import { recoverShard } from '../graph/recover.ts';
import { searchTitles, type SearchHit } from '../graph/search.ts';
import { ShardState, type OpOutcome, type UndoEntry } from '../graph/shard-state.ts';
import { encodeSnapshot } from '../graph/snapshot-codec.ts';
import { ensureShardCount } from '../graph/shard-count.ts';
import type { TopologyEdge, TopologyNode } from '../graph/topology.ts';
import type { GroupCommitJournal, PartRow, Ticket } from '../storage/group-commit.ts';
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
  /** The last journal unit the shard's state reflects. */
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
  /** Its own, from a unit it applied that failed: a prompt to roll back what failed (receive does it). */
  | { readonly type: 'unit-failed' }
  /** The router's probe after a stall: answered with the shard's index once it gets to it. */
  | { readonly type: 'ping'; readonly replyTo: Ref<number> };

/** What a shard holds, as the router rebuilds its directory from (from the shard, or from storage). */
/** Shard i's name under the graph's core supervisor (the application tree, src/supervisors/app-tree.ts). */
export const shardName = (shard: number): string => `shard-${shard}`;

export function shardSlice(state: ShardState, lastUnit: number): ShardSlice {
  let maxStamp = ZERO_HLC;
  for (const [, r] of state.nodes.entries()) if (compareHlc(r.stamp, maxStamp) > 0) maxStamp = r.stamp;
  for (const [, r] of state.edges.entries()) if (compareHlc(r.stamp, maxStamp) > 0) maxStamp = r.stamp;
  return { nodes: state.topologyNodes(), edges: state.topologyEdges(), maxStamp, lastUnit };
}

export interface GraphShardOptions {
  readonly shard: number;
  readonly shards: number;
  readonly db: SqlClient;
  readonly journal: GroupCommitJournal;
  /** A snapshot after this many events since the last one. */
  readonly snapshotEvery: number;
}

/** Above this many units awaiting their commit, the rollback log drops committed ones wherever they are. */
const SWEEP_FROM = 1024;

/** What one incarnation of a shard holds; `state` is rebuilt from storage at start. */
interface Shard {
  readonly o: GraphShardOptions;
  readonly ctx: ActorContext<GraphShardMsg>;
  state: ShardState;
  lastUnit: number;
  sinceSnapshot: number;
  /** Units applied here whose commit is not known yet, in the order applied, with what they overwrote. */
  readonly pending: Map<Ticket, UndoEntry[]>;
  sweepAt: number;
  /** The journal's failed-unit count when this shard last rolled back. */
  failuresSeen: number;
}

type MsgOf<T extends GraphShardMsg['type']> = Extract<GraphShardMsg, { type: T }>;

export function graphShard(o: GraphShardOptions): ActorFactory<GraphShardMsg> {
  return (ctx) => {
    const s: Shard = {
      o,
      ctx,
      state: new ShardState(),
      lastUnit: 0,
      sinceSnapshot: 0,
      pending: new Map(),
      sweepAt: SWEEP_FROM,
      failuresSeen: o.journal.failedUnits,
    };
    return {
      preStart: () => recover(s),
      receive: (msg) => receive(s, msg),
    };
  };
}

async function recover(s: Shard): Promise<void> {
  const { o, ctx } = s;
  if (ctx.incarnation === 0) o.journal.failWaitingFor(o.shard, 'started afresh');
  await o.journal.whenSettled(o.shard);
  await ensureShardCount(o.db, o.shards);
  const recovered = await recoverShard(o.db, o.shard);
  s.state = recovered.state;
  s.lastUnit = recovered.lastUnit;
  s.sinceSnapshot = recovered.tailEvents;
}

function receive(s: Shard, msg: GraphShardMsg): void {
  // A unit failed since this shard last looked: its parts go before anything else is decided
  // or read (the notice may still be on its way, or lost to a full mailbox).
  if (s.o.journal.failedUnits !== s.failuresSeen) rollBackFailed(s);
  const state = s.state;
  switch (msg.type) {
    case 'apply':
      return apply(s, msg);
    case 'unit-failed':
      // Rolled back above already, or not ours (an earlier incarnation applied it): nothing to do.
      return;
    case 'ping':
      return msg.replyTo.tell(s.o.shard);
    case 'get-node':
      return msg.replyTo.tell(state.nodes.register(msg.id) as LwwRegister<NodeValue> | undefined);
    case 'get-edge':
      return msg.replyTo.tell(state.edges.register(msg.id) as LwwRegister<EdgeValue> | undefined);
    case 'get-nodes':
      return msg.replyTo.tell(msg.ids.map((id) => state.nodes.get(id)));
    case 'search':
      return msg.replyTo.tell(searchTitles(state.nodes.live(), msg.query, msg.limit));
    case 'slice':
      return msg.replyTo.tell(shardSlice(state, s.lastUnit));
    default:
      return unreachable(msg);
  }
}

function apply(s: Shard, msg: MsgOf<'apply'>): void {
  const { o, ctx } = s;
  const { ticket } = msg.unit;
  if (!o.journal.isOpen(ticket)) return; // failed meanwhile: applied nowhere, or rolled back where it was
  const rows: PartRow[] = [];
  const outcomes: [number, OpOutcome][] = [];
  const events: [number, GraphEvent][] = [];
  const undo: UndoEntry[] = [];
  for (const r of msg.ops) {
    const d = s.state.decide(r.op, r.stamp, undo);
    outcomes.push([r.order, d.outcome]);
    if (d.event !== undefined) {
      events.push([r.order, d.event]);
      rows.push({ kind: eventKind(d.event), entity: Number(eventEntity(d.event)), payload: encodeEvent(d.event) });
    }
  }
  msg.unit.report({ shard: o.shard, outcomes, events });
  o.journal.submit(ticket, o.shard, rows);
  forgetCommitted(s);
  if (undo.length > 0) {
    s.pending.set(ticket, undo);
    // Pipe to self: the rollback itself happens in receive, in order with everything else.
    ticket.done.catch(() => ctx.self.tell({ type: 'unit-failed' }));
  }
  s.lastUnit = Math.max(s.lastUnit, ticket.unit);
  s.sinceSnapshot += rows.length;
  if (s.sinceSnapshot >= o.snapshotEvery) snapshot(s);
}

function forgetCommitted(s: Shard): void {
  const pending = s.pending;
  for (const t of pending.keys()) {
    if (t.state !== 'done') break;
    pending.delete(t);
  }
  if (pending.size < s.sweepAt) return;
  for (const t of [...pending.keys()]) if (t.state === 'done') pending.delete(t);
  s.sweepAt = Math.max(SWEEP_FROM, 2 * pending.size);
}

function rollBackFailed(s: Shard): void {
  s.failuresSeen = s.o.journal.failedUnits;
  const failed = [...s.pending].filter(([t]) => t.state === 'failed');
  for (let i = failed.length - 1; i >= 0; i--) {
    const [t, undo] = failed[i]!;
    s.state.rollback(undo);
    s.pending.delete(t);
  }
}

function snapshot(s: Shard): void {
  const { o, state } = s;
  // The snapshot holds the units still awaiting their commit: it commits after them, or fails with them.
  const ticket = o.journal.open(
    [o.shard],
    0,
    [...s.pending.keys()].filter((t) => !t.settled),
  );
  if (!('unit' in ticket)) return; // refused (queue full, a unit it holds failed): try again after more events
  let entries = 0;
  for (const _ of state.nodes.entries()) entries++;
  for (const _ of state.edges.entries()) entries++;
  o.journal.submit(ticket, o.shard, [], { shard: o.shard, unitUpto: s.lastUnit, entries, body: encodeSnapshot(state) });
  s.sinceSnapshot = 0;
}

function unreachable(value: never): never {
  throw new Error(`graph shard: unhandled message ${String((value as { type?: unknown }).type)}`);
}
