// The graph's front door. For each command it runs the first steps of the update pipeline,
// validate (zod, then the directory: endpoints exist, ids do not clash) and physics
// pre-processing, stamps each op on the node's hybrid logical clock, expands a node removal into
// the removal of its edges, opens one journal unit for the shards involved and hands each shard its
// part. The reply goes out when the unit has committed, and the committed events are broadcast to
// the topology subscribers in commit order.
//
// Faults stay where they happen. A unit names the pending units it was validated on top of (the
// same nodes and edges: pending-writes.ts), so the journal commits it after them and fails it with
// them, and units with nothing in common never wait for each other: a shard that stalls or
// crashes holds back only the units that touch it. A unit that fails is answered with the reason
// (naming the shard when one was the cause); the shards roll back their parts and this directory
// undoes its changes. Work for a shard that is restarting or not answering (shard-health.ts) is
// refused at once, naming it, rather than left to time out; after a stall the router probes the
// shard and takes work for it again as soon as it answers.
//
// The graph's version is the journal seq of the last commit that changed something: it grows with
// commit order for the life of the store, and a restart takes it up again from the journal's end.
//
// Whose clock decides: an op that carries the client's HLC stamp is merged into this node's clock
// (refused when it is too far ahead of it). Edits (UpdateNode, moves, EdgeWeightChange) keep the
// client's stamp and win only over an older write (last writer wins). Adds and removes change the
// structure the directory checks against, so they must always win: they keep the client's stamp
// when it is newer than every stamp this clock has seen, and get a fresh tick otherwise. Within one
// command a later op on the same node or edge gets a stamp after the earlier one's, so a batch
// applies in order.
//
// Committed units also go to the change subscribers (the gateway's sessions) as wire ops, with the
// session that asked for them; then that session gets its answer (`answer`), told from the same
// place, so that it follows its change and precedes the next commit's. The journal settles a unit
// by a promise; the router turns it into a message to itself (unit-committed, unit-failed), handled
// in order like any other: the journal settles units in commit order, so they are published in it.
// Queries: graph-router-queries.ts. Where the pieces are: the command's validation and split into
// shard parts, graph-command-plan.ts; the state, graph-router-state.ts; recovery at start,
// graph-router-recovery.ts.
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { HybridClock } from '../crdt/hlc.ts';
import type { LwwRegister } from '../crdt/lww-register.ts';
import type { EdgeListEntry } from '../graph/directory.ts';
import type { GraphEvent } from '../graph/events.ts';
import { commitStamp, type ChangeHub } from '../graph/change-hub.ts';
import { applyResult } from '../graph/apply-result.ts';
import type { GraphAck } from '../graph/ack.ts';
import type { EdgeValue, NodeValue } from '../graph/model.ts';
import type { GraphApplied, GraphChanged } from '../gateway/ports.ts';
import type { Partitioner } from '../graph/partition.ts';
import type { OpOutcome } from '../graph/shard-state.ts';
import type { TopologyHub } from '../graph/topology-hub.ts';
import type { TopologySubscription } from '../graph/topology.ts';
import type { ShardHealth } from './shard-health.ts';
import type { CommitInfo, GroupCommitJournal, JournalError, JournalStats, Ticket } from '../storage/group-commit.ts';
import type { SqlQueryable } from '../storage/sql.ts';
import type { GraphShardMsg } from './graph-shard.ts';
import { planCommand, undoAll, type CommandRefusal } from './graph-command-plan.ts';
import { askShard, neighbours, nodesById, nodeValue, search } from './graph-router-queries.ts';
import { recoverRouter } from './graph-router-recovery.ts';
import { newRouterState, reply, UNCHANGED, type Asker, type RouterState, type UnitInFlight } from './graph-router-state.ts';

export type { GraphAck, GraphErrorCode } from '../graph/ack.ts';

export interface QueryFailure {
  readonly ok: false;
  readonly code: 'invalid' | 'unavailable';
  readonly message: string;
}

/** `nodes` undefined: no such node. */
export type NeighboursReply = { readonly ok: true; readonly nodes: readonly NodeValue[] | undefined } | QueryFailure;
/** A page of the edge list (the router's directory, in the order edges were added). */
export interface NodeIdPageReply {
  readonly total: number;
  readonly ids: readonly number[];
}

export interface EdgePageReply {
  readonly total: number;
  readonly edges: readonly EdgeListEntry[];
}
export type SearchReply = { readonly ok: true; readonly nodes: readonly NodeValue[] } | QueryFailure;
/** The live nodes among those asked for, in the order asked (absent ones left out). */
export type NodesReply = { readonly ok: true; readonly nodes: readonly NodeValue[] } | QueryFailure;
/** `node` undefined: no such node. */
export type NodeReply = { readonly ok: true; readonly node: NodeValue | undefined } | QueryFailure;

export type ChangeSubscription =
  | { readonly type: 'subscribe-changes'; readonly subscriber: Ref<GraphChanged> }
  | { readonly type: 'unsubscribe-changes'; readonly subscriber: Ref<GraphChanged> };

export interface GraphStats {
  readonly nodes: number;
  readonly edges: number;
  readonly version: number;
  readonly shards: number;
  readonly journal: JournalStats;
}

/** Where a session wants its answer to a change, as the gateway reads it (GraphApplied). */
export interface GraphAnswerTo {
  readonly to: Ref<GraphApplied>;
  readonly tag: number;
}

export type GraphRouterMsg =
  /** `command` is untrusted input: validated here, whoever sends it. */
  /** `origin`: the session that asked, published with the committed change; `answer`: see GraphAnswerTo. */
  | {
      readonly type: 'update';
      readonly command: unknown;
      readonly replyTo?: Ref<GraphAck>;
      readonly origin?: string;
      readonly answer?: GraphAnswerTo;
    }
  /** The version of the last committed change. */
  | { readonly type: 'version'; readonly replyTo: Ref<number> }
  /** To self: the edge holding an id a refused command gave another edge, for that refusal's answer. */
  | {
      readonly type: 'edge-clash-read';
      readonly answer: GraphAnswerTo;
      readonly ack: GraphAck;
      readonly edge: LwwRegister<EdgeValue> | undefined;
      readonly version: number;
    }
  | { readonly type: 'get-node'; readonly id: number; readonly replyTo: Ref<LwwRegister<NodeValue> | undefined> }
  | { readonly type: 'get-edge'; readonly id: bigint; readonly replyTo: Ref<LwwRegister<EdgeValue> | undefined> }
  /** The node's value, or a failure naming its shard when that shard cannot answer. */
  | { readonly type: 'node-value'; readonly id: number; readonly replyTo: Ref<NodeReply> }
  /** To self: a unit committed: publish it and answer whoever asked. */
  | { readonly type: 'unit-committed'; readonly unit: UnitInFlight; readonly info: CommitInfo }
  /** To self: a unit failed (`error` says why): answer, undo what failed, and probe a shard that did not answer. */
  | { readonly type: 'unit-failed'; readonly ticket: Ticket; readonly error: JournalError; readonly unit: UnitInFlight }
  /** To self: a probe of a shard that did not answer came back (`answered`) or gave up. */
  | { readonly type: 'probe-done'; readonly shard: number; readonly answered: boolean }
  /** Up to `limit` (at most 1000) nodes joined to `id` by an edge in either direction. */
  | { readonly type: 'neighbours'; readonly id: number; readonly limit: number; readonly replyTo: Ref<NeighboursReply> }
  /** Up to `limit` (at most 1000) nodes whose title contains `query` (1 to 256 characters), best first. */
  | { readonly type: 'search'; readonly query: string; readonly limit: number; readonly replyTo: Ref<SearchReply> }
  /** The nodes with these ids (at most 1000), for clients that need many at once (titles, attributes). */
  | { readonly type: 'nodes'; readonly ids: readonly number[]; readonly replyTo: Ref<NodesReply> }
  /** Up to `limit` live edges from position `offset` of the edge list (answered from the directory). */
  | { readonly type: 'edges'; readonly offset: number; readonly limit: number; readonly replyTo: Ref<EdgePageReply> }
  /** Up to `limit` live node ids from position `offset` of the node list (answered from the directory). */
  | { readonly type: 'node-ids'; readonly offset: number; readonly limit: number; readonly replyTo: Ref<NodeIdPageReply> }
  | ChangeSubscription
  | { readonly type: 'change-subscriber-stopped'; readonly subscriber: Ref<GraphChanged> }
  | { readonly type: 'stats'; readonly replyTo: Ref<GraphStats> }
  | TopologySubscription;

export interface GraphRouterOptions {
  readonly shardPaths: readonly string[];
  readonly partitioner: Partitioner;
  readonly journal: GroupCommitJournal;
  /** The store, to read a shard's state from when the shard cannot give it (recovery). */
  readonly db: SqlQueryable;
  readonly hub: TopologyHub;
  readonly clock: HybridClock;
  /** Which shards can take work (outlives this actor's restarts). */
  readonly health: ShardHealth;
  /** Where committed changes go (the gateway's sessions); none when absent. */
  readonly changes?: ChangeHub;
  /** How long recovery waits for a shard's slice before it reads the shard's state from storage (default 15 s). */
  readonly recoveryTimeoutMs?: number;
  /** How long a query waits for the shards (default 5 s). */
  readonly queryTimeoutMs?: number;
  /** How long one probe of a shard that did not answer waits before another is sent (default 30 s). */
  readonly probeTimeoutMs?: number;
}

type MsgOf<T extends GraphRouterMsg['type']> = Extract<GraphRouterMsg, { type: T }>;

/** Its name under the graph's core supervisor (the application tree, src/supervisors/app-tree.ts). */
export const GRAPH_ROUTER_NAME = 'router';

export function graphRouter(o: GraphRouterOptions): ActorFactory<GraphRouterMsg> {
  return (ctx) => {
    const s = newRouterState(o, ctx);
    return {
      preStart: () => recoverRouter(s, watchAllChanges),
      receive: (msg) => receive(s, msg),
    };
  };
}

function receive(s: RouterState, msg: GraphRouterMsg): void {
  const { o } = s;
  // A unit failed since the router last looked: its directory changes go before anything else
  // is validated or read (the notice may still be on its way, or lost to a full mailbox).
  if (o.journal.failedUnits !== s.failuresSeen) {
    s.failuresSeen = o.journal.failedUnits;
    s.pending.rollBackFailed();
  }
  switch (msg.type) {
    case 'update':
      return update(s, msg);
    case 'unit-committed':
      return unitCommitted(s, msg);
    case 'unit-failed':
      return unitFailed(s, msg);
    case 'edge-clash-read':
      msg.answer.to.tell({
        type: 'graph-applied',
        answerTo: msg.answer.tag,
        result: applyResult(msg.ack, { edge: msg.edge, version: msg.version }),
      });
      return;
    case 'probe-done':
      return probeDone(s, msg);
    default:
      return read(s, msg);
  }
}

/** Reads and subscriptions: nothing here changes the graph. */
function read(
  s: RouterState,
  msg: Exclude<GraphRouterMsg, MsgOf<'update' | 'unit-committed' | 'unit-failed' | 'edge-clash-read' | 'probe-done'>>,
): void {
  const { o, dir } = s;
  switch (msg.type) {
    case 'version':
      return msg.replyTo.tell(o.hub.version);
    case 'get-node':
      return getNode(s, msg);
    case 'get-edge':
      return getEdge(s, msg);
    case 'node-value':
      return nodeValue(s, msg.id, msg.replyTo);
    case 'neighbours':
      return neighbours(s, msg.id, msg.limit, msg.replyTo);
    case 'search':
      return search(s, msg.query, msg.limit, msg.replyTo);
    case 'nodes':
      return nodesById(s, msg.ids, msg.replyTo);
    case 'edges':
      return msg.replyTo.tell({
        total: dir.edgeCount,
        edges: dir.edgePage(Math.max(0, Math.floor(msg.offset)), Math.max(0, Math.floor(msg.limit))),
      });
    case 'node-ids':
      return msg.replyTo.tell({
        total: dir.nodeCount,
        ids: dir.nodePage(Math.max(0, Math.floor(msg.offset)), Math.max(0, Math.floor(msg.limit))),
      });
    case 'stats':
      return msg.replyTo.tell({
        nodes: dir.nodeCount,
        edges: dir.edgeCount,
        version: o.hub.version,
        shards: s.shards.length,
        journal: o.journal.stats(),
      });
    default:
      return subscriptions(s, msg);
  }
}

function subscriptions(s: RouterState, msg: ChangeSubscription | TopologySubscription | MsgOf<'change-subscriber-stopped'>): void {
  const { o } = s;
  switch (msg.type) {
    case 'subscribe-changes':
      if (o.changes?.subscribe(msg.subscriber) === true) watchChanges(s, msg.subscriber);
      return;
    case 'unsubscribe-changes':
      o.changes?.unsubscribe(msg.subscriber);
      try {
        s.ctx.unwatch(msg.subscriber);
      } catch {
        // not local: never watched
      }
      return;
    case 'change-subscriber-stopped':
      o.changes?.drop(msg.subscriber);
      return;
    case 'subscribe-topology':
      o.hub.subscribe(msg.subscriber);
      return;
    case 'unsubscribe-topology':
      o.hub.unsubscribe(msg.subscriber);
      return;
    default:
      return unreachable(msg);
  }
}

function getNode(s: RouterState, msg: MsgOf<'get-node'>): void {
  if (Number.isInteger(msg.id) && msg.id >= 0)
    s.shards[s.o.partitioner.shardOfNode(msg.id)]!.tell({ type: 'get-node', id: msg.id, replyTo: msg.replyTo });
  else msg.replyTo.tell(undefined);
}

function getEdge(s: RouterState, msg: MsgOf<'get-edge'>): void {
  const ends = typeof msg.id === 'bigint' ? s.dir.edge(msg.id) : undefined;
  if (ends === undefined) msg.replyTo.tell(undefined);
  else s.shards[s.o.partitioner.shardOfEdge(ends.source)]!.tell({ type: 'get-edge', id: msg.id, replyTo: msg.replyTo });
}

/** Validates a command, opens its journal unit and hands each shard its part. */
function update(s: RouterState, msg: MsgOf<'update'>): void {
  const { o } = s;
  const asker: Asker = { replyTo: msg.replyTo, answer: msg.answer };
  const planned = planCommand(s, msg.command);
  if (!planned.ok) return refuse(s, asker, planned.refusal);
  const plan = planned.plan;
  if (plan.parts.size === 0) {
    return reply(asker, {
      ok: true,
      unit: undefined,
      atMs: undefined,
      version: o.hub.version,
      results: plan.results.map((r) => r ?? UNCHANGED),
    });
  }
  for (const shard of plan.parts.keys()) {
    const down = o.health.unavailable(shard);
    if (down === undefined) continue;
    undoAll(plan.undo);
    return refuse(s, asker, { code: 'shard-unavailable', message: down });
  }
  const ticket = o.journal.open(plan.parts.keys(), plan.order, plan.access.after);
  if (!('unit' in ticket)) {
    undoAll(plan.undo);
    return refuse(s, asker, { code: ticket.reason, message: ticket.message });
  }
  s.pending.add(ticket, plan.access, plan.undo);
  const origin = typeof msg.origin === 'string' ? msg.origin : undefined;
  const unit: UnitInFlight = { ticket, asker, origin, reports: [], results: plan.results, orderToIndex: plan.orderToIndex };
  const handle = { ticket, report: (r: (typeof unit.reports)[number]) => void unit.reports.push(r) };
  for (const [shard, routed] of plan.parts) s.shards[shard]!.tell({ type: 'apply', unit: handle, ops: routed });
  // The journal settles units in commit order, so these messages arrive in it; a full mailbox
  // does not refuse them (pipeToSelf), or a committed change would never be published.
  s.ctx.pipeToSelf(
    ticket.done,
    (info): GraphRouterMsg => ({ type: 'unit-committed', unit, info }),
    (error): GraphRouterMsg => ({ type: 'unit-failed', ticket, error: error as JournalError, unit }),
  );
}

/** Answers a refused command; an edge-id conflict's answer carries the edge that holds the id. */
function refuse(s: RouterState, asker: Asker, refusal: CommandRefusal): void {
  const { code, message, op, edge } = refusal;
  const ack: GraphAck = { ok: false, error: op === undefined ? { code, message } : { code, message, op } };
  if (edge === undefined || asker.answer === undefined) return reply(asker, ack);
  asker.replyTo?.tell(ack);
  answerEdgeClash(s, asker.answer, ack, edge);
}

/** Reads the edge that holds `id` for a refusal's answer; the read ends in a message to self. */
function answerEdgeClash(s: RouterState, answer: GraphAnswerTo, ack: GraphAck, id: bigint): void {
  const ends = s.dir.edge(id);
  const version = s.o.hub.version;
  if (ends === undefined) return answer.to.tell({ type: 'graph-applied', answerTo: answer.tag, result: applyResult(ack) });
  const self = s.ctx.self;
  askShard<LwwRegister<EdgeValue> | undefined>(s, s.o.partitioner.shardOfEdge(ends.source), (r) => ({
    type: 'get-edge',
    id,
    replyTo: r,
  })).then(
    (edge) => self.tell({ type: 'edge-clash-read', answer, ack, edge, version }),
    () => self.tell({ type: 'edge-clash-read', answer, ack, edge: undefined, version }),
  );
}

/** Publishes a committed unit's events (in the order the shards applied them) and answers. */
function unitCommitted(s: RouterState, msg: MsgOf<'unit-committed'>): void {
  const { o } = s;
  const { unit, info } = msg;
  const results = [...unit.results];
  const events: (readonly [number, GraphEvent])[] = [];
  for (const r of unit.reports) {
    for (const [ord, outcome] of r.outcomes) {
      const index = unit.orderToIndex[ord]!;
      // A cascaded edge removal shares its node removal's index.
      results[index] = mergeOutcome(results[index], outcome);
    }
    events.push(...r.events);
  }
  events.sort((a, b) => a[0] - b[0]);
  const committed = events.map(([, e]) => e);
  const outcomes = results.map((r) => r ?? UNCHANGED);
  if (committed.length === 0) {
    return reply(unit.asker, { ok: true, unit: info.unit, atMs: info.atMs, version: o.hub.version, results: outcomes });
  }
  const scopes = o.hub.publish(committed, info.seq);
  o.changes?.publish(o.hub.version, committed, scopes, unit.origin);
  reply(unit.asker, {
    ok: true,
    unit: info.unit,
    atMs: info.atMs,
    version: o.hub.version,
    stamp: commitStamp(committed),
    results: outcomes,
  });
}

/** Its directory changes were undone on the way in (receive); a shard that did not answer is probed. */
function unitFailed(s: RouterState, msg: MsgOf<'unit-failed'>): void {
  const { error } = msg;
  refuse(s, msg.unit.asker, { code: error.reason, message: error.message });
  if (error.reason !== 'part-timeout') return;
  for (const shard of error.shards) {
    s.o.health.notAnswering(shard, error.message);
    probe(s, shard);
  }
}

/** Asks a shard that did not answer until it does; the answer ends in a message to self. */
function probe(s: RouterState, shard: number): void {
  const ref = s.shards[shard];
  if (s.probing.has(shard) || ref === undefined) return;
  s.probing.add(shard);
  const self = s.ctx.self;
  s.ctx
    .ask<GraphShardMsg, number>(ref, (replyTo) => ({ type: 'ping', replyTo }), s.o.probeTimeoutMs ?? 30_000)
    .then(
      () => self.tell({ type: 'probe-done', shard, answered: true }),
      () => self.tell({ type: 'probe-done', shard, answered: false }),
    );
}

function probeDone(s: RouterState, msg: MsgOf<'probe-done'>): void {
  s.probing.delete(msg.shard);
  if (msg.answered) s.o.health.answered(msg.shard);
  else if (s.o.health.condition(msg.shard) === 'not-answering') probe(s, msg.shard);
}

function watchAllChanges(s: RouterState): void {
  for (const subscriber of s.o.changes?.refs() ?? []) watchChanges(s, subscriber);
}

function watchChanges(s: RouterState, subscriber: Ref<GraphChanged>): void {
  try {
    s.ctx.watch(subscriber, { type: 'change-subscriber-stopped', subscriber });
  } catch {
    // Not a local actor: no death watch; it stays until it unsubscribes.
  }
}

/** A node removal's own outcome wins over the outcomes of the edge removals it cascaded. */
function mergeOutcome(current: OpOutcome | undefined, next: OpOutcome): OpOutcome {
  if (current === undefined) return next;
  if (current.status === 'conflict') return current;
  return next.status === 'conflict' ? next : current.status === 'applied' || next.status === 'applied' ? { status: 'applied' } : next;
}

function unreachable(value: never): never {
  throw new Error(`graph router: unhandled message ${String((value as { type?: unknown }).type)}`);
}
