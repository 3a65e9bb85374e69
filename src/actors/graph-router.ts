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
// place, so that it follows its change and precedes the next commit's. Queries fan out to the
// shards and never block the router: it sends them on and the answers are gathered outside its
// handler. A node's neighbours come from this
// directory (which indexes incoming and outgoing edges alike, wherever the edge lives) and their
// values from the shards that own them; a title search asks every shard for its best matches and
// merges them.
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { aheadOf, ClockSkewError, compareHlc, successor, type Hlc, type HybridClock } from '../crdt/hlc.ts';
import type { LwwRegister } from '../crdt/lww-register.ts';
import { opsOf, parseCommand, type GraphOp } from '../graph/commands.ts';
import { Directory, type EdgeListEntry } from '../graph/directory.ts';
import type { GraphEvent } from '../graph/events.ts';
import { commitStamp, type ChangeHub } from '../graph/change-hub.ts';
import { applyResult } from '../graph/apply-result.ts';
import type { GraphAck, GraphErrorCode } from '../graph/ack.ts';
import type { EdgeValue, NodeValue } from '../graph/model.ts';
import { MAX_QUERY_LENGTH, MAX_RESULTS, TopHits, type SearchHit } from '../graph/search.ts';
import type { GraphApplied, GraphChanged } from '../gateway/ports.ts';
import type { Partitioner } from '../graph/partition.ts';
import { preprocess } from '../graph/preprocess.ts';
import type { OpOutcome } from '../graph/shard-state.ts';
import type { TopologyHub } from '../graph/topology-hub.ts';
import type { TopologySubscription } from '../graph/topology.ts';
import { PendingWrites } from '../graph/pending-writes.ts';
import type { ShardHealth } from './shard-health.ts';
import type { GroupCommitJournal, JournalError, JournalStats, Ticket } from '../storage/group-commit.ts';
import { recoverShard } from '../graph/recover.ts';
import type { SqlQueryable } from '../storage/sql.ts';
import { shardSlice, type GraphShardMsg, type PartResult, type RoutedOp, type ShardSlice } from './graph-shard.ts';

export type { GraphAck, GraphErrorCode } from '../graph/ack.ts';

export interface QueryFailure {
  readonly ok: false;
  readonly code: 'invalid' | 'unavailable';
  readonly message: string;
}

/** `nodes` undefined: no such node. */
export type NeighboursReply = { readonly ok: true; readonly nodes: readonly NodeValue[] | undefined } | QueryFailure;
/** A page of the edge list (the router's directory, in the order edges were added). */
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
  | { readonly type: 'update'; readonly command: unknown; readonly replyTo?: Ref<GraphAck>; readonly origin?: string; readonly answer?: GraphAnswerTo }
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
  /** To self: a unit failed (`error` says why): undo what failed, and probe a shard that did not answer. */
  | { readonly type: 'unit-failed'; readonly ticket: Ticket; readonly error: JournalError }
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

class CommandError extends Error {
  constructor(
    readonly code: GraphErrorCode,
    message: string,
    readonly op?: number,
    /** For an edge-id conflict: the id. */
    readonly edge?: bigint,
  ) {
    super(message);
  }
}

const STRUCTURAL = new Set<GraphOp['op']>(['add-node', 'remove-node', 'add-edge', 'remove-edge']);

/** The node or edge an op writes, as a key for the stamps given within one command. */
function entityKey(op: GraphOp): string {
  switch (op.op) {
    case 'add-node':
      return `n${op.node.id}`;
    case 'add-edge':
      return `e${op.edge.id}`;
    case 'remove-edge':
    case 'set-edge-weight':
      return `e${op.id}`;
    default:
      return `n${op.id}`;
  }
}

const UNCHANGED: OpOutcome = { status: 'unchanged' };

/** Its name under the graph's core supervisor (the application tree, src/supervisors/app-tree.ts). */
export const GRAPH_ROUTER_NAME = 'router';

export function graphRouter(o: GraphRouterOptions): ActorFactory<GraphRouterMsg> {
  return (ctx) => {
    const dir = new Directory();
    const pending = new PendingWrites();
    /** The journal's failed-unit count when this router last undid failed units. */
    let failuresSeen = o.journal.failedUnits;
    /** Shards with a probe out. */
    const probing = new Set<number>();
    let shards: Ref<GraphShardMsg>[] = [];

    const queryTimeout = o.queryTimeoutMs ?? 5_000;

    /** Asks a shard that did not answer until it does; the answer ends in a message to self. */
    const probe = (shard: number): void => {
      if (probing.has(shard) || shards[shard] === undefined) return;
      probing.add(shard);
      ctx.ask<GraphShardMsg, number>(shards[shard], (replyTo) => ({ type: 'ping', replyTo }), o.probeTimeoutMs ?? 30_000).then(
        () => ctx.self.tell({ type: 'probe-done', shard, answered: true }),
        () => ctx.self.tell({ type: 'probe-done', shard, answered: false }),
      );
    };

    const route = (replyTo: Ref<GraphAck> | undefined, input: unknown, origin: string | undefined, answer: GraphAnswerTo | undefined): void => {
      const reply = (ack: GraphAck): void => {
        replyTo?.tell(ack);
        answer?.to.tell({ type: 'graph-applied', answerTo: answer.tag, result: applyResult(ack) });
      };
      const fail = (code: GraphErrorCode, message: string, op?: number, edge?: bigint): void => {
        const ack: GraphAck = { ok: false, error: op === undefined ? { code, message } : { code, message, op } };
        if (edge === undefined || answer === undefined) return reply(ack);
        replyTo?.tell(ack);
        answerEdgeClash(answer, ack, edge);
      };
      // The stamps given so far in this command, by node or edge.
      const given = new Map<string, Hlc>();
      const stampOf = (op: GraphOp): Hlc => {
        if (op.stamp === undefined) return o.clock.tick();
        const latest = o.clock.peek();
        o.clock.observe(op.stamp);
        let stamp = STRUCTURAL.has(op.op) && !aheadOf(op.stamp, latest) ? o.clock.tick() : op.stamp;
        const key = entityKey(op);
        const before = given.get(key);
        if (before !== undefined && compareHlc(stamp, before) <= 0) {
          stamp = successor(before);
          o.clock.observeTrusted(stamp);
        }
        given.set(key, stamp);
        return stamp;
      };
      const parsed = parseCommand(input);
      if (!parsed.ok) return fail('invalid', parsed.error);
      const ops = opsOf(parsed.command).map(preprocess);
      const undo: (() => void)[] = [];
      const access = pending.begin();
      const parts = new Map<number, RoutedOp[]>();
      const results: (OpOutcome | undefined)[] = new Array(ops.length);
      let order = 0;
      const send = (shard: number, op: GraphOp, stamp: Hlc, index: number): void => {
        let part = parts.get(shard);
        if (part === undefined) parts.set(shard, (part = []));
        part.push({ op, stamp, order: order++ });
        orderToIndex.push(index);
      };
      const orderToIndex: number[] = [];
      try {
        ops.forEach((op, index) => {
          const stamp = stampOf(op);
          switch (op.op) {
            case 'add-node':
              dir.addNode(op.node.id, undo);
              access.writeNode(op.node.id);
              return send(o.partitioner.shardOfNode(op.node.id), op, stamp, index);
            case 'update-node':
            case 'move-node':
              if (!dir.hasNode(op.id)) throw new CommandError('not-found', `op ${index}: no node ${op.id}`, index);
              access.writeNode(op.id);
              return send(o.partitioner.shardOfNode(op.id), op, stamp, index);
            case 'remove-node': {
              if (!dir.hasNode(op.id)) {
                results[index] = UNCHANGED;
                return;
              }
              for (const edgeId of dir.edgesOf(op.id)) {
                const ends = dir.edge(edgeId)!;
                dir.removeEdge(edgeId, undo);
                access.writeEdge(edgeId);
                send(o.partitioner.shardOfEdge(ends.source), { op: 'remove-edge', id: edgeId }, stamp, index);
              }
              dir.removeNode(op.id, undo);
              access.writeNode(op.id);
              return send(o.partitioner.shardOfNode(op.id), op, stamp, index);
            }
            case 'add-edge': {
              const e = op.edge;
              for (const end of [e.source, e.target]) {
                if (!dir.hasNode(end)) throw new CommandError('endpoint-missing', `op ${index}: edge ${e.id} needs node ${end}, which does not exist`, index);
              }
              const existing = dir.edge(e.id);
              if (existing !== undefined && (existing.source !== e.source || existing.target !== e.target)) {
                throw new CommandError('edge-id-conflict', `op ${index}: edge ${e.id} already joins ${existing.source} -> ${existing.target}`, index, e.id);
              }
              dir.addEdge(e.id, { source: e.source, target: e.target, directed: e.directed === true }, undo, op.upsert === true);
              access.readNode(e.source);
              access.readNode(e.target);
              access.writeEdge(e.id);
              return send(o.partitioner.shardOfEdge(e.source), op, stamp, index);
            }
            case 'remove-edge': {
              const ends = dir.edge(op.id);
              if (ends === undefined) {
                results[index] = UNCHANGED;
                return;
              }
              dir.removeEdge(op.id, undo);
              access.writeEdge(op.id);
              return send(o.partitioner.shardOfEdge(ends.source), op, stamp, index);
            }
            case 'set-edge-weight': {
              const ends = dir.edge(op.id);
              if (ends === undefined) throw new CommandError('not-found', `op ${index}: no edge ${op.id}`, index);
              access.writeEdge(op.id);
              return send(o.partitioner.shardOfEdge(ends.source), op, stamp, index);
            }
          }
        });
      } catch (error) {
        for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
        if (error instanceof CommandError) return fail(error.code, error.message, error.op, error.edge);
        if (error instanceof ClockSkewError) return fail('clock-skew', error.message);
        throw error;
      }
      if (parts.size === 0) {
        reply({ ok: true, unit: undefined, atMs: undefined, version: o.hub.version, results: results.map((r) => r ?? UNCHANGED) });
        return;
      }
      for (const shard of parts.keys()) {
        const down = o.health.unavailable(shard);
        if (down === undefined) continue;
        for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
        return fail('shard-unavailable', down);
      }
      const ticket = o.journal.open(parts.keys(), order, access.after);
      if (!('unit' in ticket)) {
        for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
        return fail(ticket.reason, ticket.message);
      }
      pending.add(ticket, access, undo);
      const reports: PartResult[] = [];
      const unit = { ticket, report: (r: PartResult) => void reports.push(r) };
      for (const [shard, routed] of parts) shards[shard]!.tell({ type: 'apply', unit, ops: routed });
      ticket.done.then(
        (info) => {
          const events: (readonly [number, GraphEvent])[] = [];
          for (const r of reports) {
            for (const [ord, outcome] of r.outcomes) {
              const index = orderToIndex[ord]!;
              // A cascaded edge removal shares its node removal's index.
              results[index] = mergeOutcome(results[index], outcome);
            }
            events.push(...r.events);
          }
          events.sort((a, b) => a[0] - b[0]);
          const committed = events.map(([, e]) => e);
          const outcomes = results.map((r) => r ?? UNCHANGED);
          if (committed.length === 0) {
            reply({ ok: true, unit: info.unit, atMs: info.atMs, version: o.hub.version, results: outcomes });
            return;
          }
          const scopes = o.hub.publish(committed, info.seq);
          o.changes?.publish(o.hub.version, committed, scopes, origin);
          reply({ ok: true, unit: info.unit, atMs: info.atMs, version: o.hub.version, stamp: commitStamp(committed), results: outcomes });
        },
        (error: JournalError) => {
          fail(error.reason, error.message);
          ctx.self.tell({ type: 'unit-failed', ticket, error });
        },
      );
    };

    /** Reads the edge that holds `id` for a refusal's answer; the read ends in a message to self. */
    const answerEdgeClash = (answer: GraphAnswerTo, ack: GraphAck, id: bigint): void => {
      const ends = dir.edge(id);
      const version = o.hub.version;
      if (ends === undefined) return answer.to.tell({ type: 'graph-applied', answerTo: answer.tag, result: applyResult(ack) });
      askShard<LwwRegister<EdgeValue> | undefined>(o.partitioner.shardOfEdge(ends.source), (r) => ({ type: 'get-edge', id, replyTo: r })).then(
        (edge) => ctx.self.tell({ type: 'edge-clash-read', answer, ack, edge, version }),
        () => ctx.self.tell({ type: 'edge-clash-read', answer, ack, edge: undefined, version }),
      );
    };

    /**
     * Fans a query out to the shards that must answer it; never awaited inside the handler. A shard
     * that cannot answer now fails it at once, with the reason naming it.
     */
    const askShard = <R>(shard: number, build: (replyTo: Ref<R>) => GraphShardMsg): Promise<R> => {
      const down = o.health.unavailable(shard);
      if (down !== undefined) return Promise.reject(new Error(down));
      return ctx.ask<GraphShardMsg, R>(shards[shard]!, build, queryTimeout);
    };
    const unavailable = (what: string, error: unknown): QueryFailure => ({
      ok: false,
      code: 'unavailable',
      message: `${what}: ${error instanceof Error ? error.message : String(error)}`,
    });
    const badLimit = (limit: number): QueryFailure | undefined =>
      Number.isInteger(limit) && limit >= 1 && limit <= MAX_RESULTS ? undefined : { ok: false, code: 'invalid', message: `limit must be an integer in [1, ${MAX_RESULTS}]` };

    const neighbours = (id: number, limit: number, replyTo: Ref<NeighboursReply>): void => {
      const bad = badLimit(limit);
      if (bad !== undefined) return replyTo.tell(bad);
      if (!Number.isInteger(id) || !dir.hasNode(id)) return replyTo.tell({ ok: true, nodes: undefined });
      const ids = dir.neighbours(id, limit);
      const byShard = new Map<number, number[]>();
      for (const n of ids) {
        const s = o.partitioner.shardOfNode(n);
        let list = byShard.get(s);
        if (list === undefined) byShard.set(s, (list = []));
        list.push(n);
      }
      const asks = [...byShard].map(([s, list]) =>
        askShard<readonly (NodeValue | undefined)[]>(s, (r) => ({ type: 'get-nodes', ids: list, replyTo: r })).then((values) => values.map((v, i) => [list[i]!, v] as const)),
      );
      Promise.all(asks).then(
        (answers) => {
          const values = new Map<number, NodeValue | undefined>(answers.flat());
          const nodes: NodeValue[] = [];
          for (const n of ids) {
            const v = values.get(n);
            if (v !== undefined) nodes.push(v);
          }
          replyTo.tell({ ok: true, nodes });
        },
        (error: unknown) => replyTo.tell(unavailable('neighbours', error)),
      );
    };

    const nodesById = (ids: readonly number[], replyTo: Ref<NodesReply>): void => {
      if (!Array.isArray(ids) || ids.length > MAX_RESULTS) return replyTo.tell({ ok: false, code: 'invalid', message: `at most ${MAX_RESULTS} ids` });
      const live = [...new Set(ids)].filter((id) => Number.isInteger(id) && dir.hasNode(id));
      const byShard = new Map<number, number[]>();
      for (const n of live) {
        const s = o.partitioner.shardOfNode(n);
        let list = byShard.get(s);
        if (list === undefined) byShard.set(s, (list = []));
        list.push(n);
      }
      Promise.all(
        [...byShard].map(([s, list]) =>
          askShard<readonly (NodeValue | undefined)[]>(s, (r) => ({ type: 'get-nodes', ids: list, replyTo: r })).then((values) => values.map((v, i) => [list[i]!, v] as const)),
        ),
      ).then(
        (answers) => {
          const values = new Map<number, NodeValue | undefined>(answers.flat());
          replyTo.tell({ ok: true, nodes: live.flatMap((id) => values.get(id) ?? []) });
        },
        (error: unknown) => replyTo.tell(unavailable('nodes', error)),
      );
    };

    const search = (query: string, limit: number, replyTo: Ref<SearchReply>): void => {
      const bad = badLimit(limit);
      if (bad !== undefined) return replyTo.tell(bad);
      if (typeof query !== 'string' || query.length === 0 || query.length > MAX_QUERY_LENGTH) {
        return replyTo.tell({ ok: false, code: 'invalid', message: `a query is 1 to ${MAX_QUERY_LENGTH} characters` });
      }
      const q = query.toLowerCase();
      Promise.all(shards.map((_, s) => askShard<readonly SearchHit[]>(s, (r) => ({ type: 'search', query: q, limit, replyTo: r })))).then(
        (lists) => {
          const top = new TopHits(limit);
          for (const list of lists) for (const hit of list) top.add(hit);
          replyTo.tell({ ok: true, nodes: top.result().map((h) => h.node) });
        },
        (error: unknown) => replyTo.tell(unavailable('search', error)),
      );
    };

    const watchChanges = (subscriber: Ref<GraphChanged>): void => {
      try {
        ctx.watch(subscriber, { type: 'change-subscriber-stopped', subscriber });
      } catch {
        // Not a local actor: no death watch; it stays until it unsubscribes.
      }
    };

    return {
      async preStart() {
        shards = o.shardPaths.map((p) => {
          const ref = ctx.system.lookup<GraphShardMsg>(p);
          if (ref === undefined) throw new Error(`graph router: no shard at ${p}`);
          return ref;
        });
        o.health.attach(ctx.system);
        // Units an earlier incarnation opened settle first (those still waiting for parts fail:
        // nobody would answer them): the shards and storage then hold exactly what committed, which
        // is what the directory is built from.
        o.journal.failIncomplete('the graph router restarted before this update was complete');
        await o.journal.whenIdle();
        // Each shard's slice from the shard, or from storage when it cannot give it (restarting
        // over and over, stalled, or not in time), so that no shard holds up the router's recovery.
        const timeout = o.recoveryTimeoutMs ?? 15_000;
        const answered = new Set<number>();
        const fromStorage = async (s: number): Promise<ShardSlice> => {
          const recovered = await recoverShard(o.db, s);
          return shardSlice(recovered.state, recovered.lastUnit);
        };
        const sliceOf = async (ref: Ref<GraphShardMsg>, s: number): Promise<ShardSlice> => {
          if (o.health.unavailable(s) !== undefined) return fromStorage(s);
          // A shard that fails meanwhile has lost the question with the failed message.
          const failure = o.health.nextFailure(s);
          const asked = ctx.ask<GraphShardMsg, ShardSlice>(ref, (replyTo) => ({ type: 'slice', replyTo }), timeout);
          asked.catch(() => undefined);
          const slice = await Promise.race([asked, failure.failed.then(() => undefined)]).catch(() => undefined);
          failure.cancel();
          if (slice === undefined) return fromStorage(s);
          answered.add(s);
          return slice;
        };
        const slices = await Promise.all(shards.map(sliceOf));
        const undo: (() => void)[] = [];
        for (const s of slices) {
          o.clock.observeTrusted(s.maxStamp);
          for (const n of s.nodes) dir.addNode(n.id, undo);
        }
        for (const s of slices) for (const e of s.edges) dir.addEdge(e.id, { source: e.source, target: e.target, directed: e.directed === true }, undo);
        o.hub.reseed(
          slices.flatMap((s) => s.nodes),
          slices.flatMap((s) => s.edges),
          o.journal.committedSeq,
        );
        // A shard that was not answering before this restart and answered its slice is back.
        for (const s of answered) o.health.answered(s);
        // Subscriptions outlive restarts; so do death watches, but renewing one is harmless.
        for (const s of o.changes?.refs() ?? []) watchChanges(s);
      },
      receive(msg) {
        // A unit failed since the router last looked: its directory changes go before anything else
        // is validated or read (the notice may still be on its way, or lost to a full mailbox).
        if (o.journal.failedUnits !== failuresSeen) {
          failuresSeen = o.journal.failedUnits;
          pending.rollBackFailed();
        }
        switch (msg.type) {
          case 'update':
            route(msg.replyTo, msg.command, typeof msg.origin === 'string' ? msg.origin : undefined, msg.answer);
            return;
          case 'version':
            msg.replyTo.tell(o.hub.version);
            return;
          case 'edge-clash-read':
            msg.answer.to.tell({ type: 'graph-applied', answerTo: msg.answer.tag, result: applyResult(msg.ack, { edge: msg.edge, version: msg.version }) });
            return;
          case 'get-node':
            if (Number.isInteger(msg.id) && msg.id >= 0) shards[o.partitioner.shardOfNode(msg.id)]!.tell({ type: 'get-node', id: msg.id, replyTo: msg.replyTo });
            else msg.replyTo.tell(undefined);
            return;
          case 'node-value': {
            if (!Number.isInteger(msg.id) || msg.id < 0 || !dir.hasNode(msg.id)) return msg.replyTo.tell({ ok: true, node: undefined });
            const replyTo = msg.replyTo;
            askShard<LwwRegister<NodeValue> | undefined>(o.partitioner.shardOfNode(msg.id), (r) => ({ type: 'get-node', id: msg.id, replyTo: r })).then(
              (reg) => replyTo.tell({ ok: true, node: reg?.value }),
              (error: unknown) => replyTo.tell(unavailable('node', error)),
            );
            return;
          }
          case 'unit-failed':
            // Its directory changes were undone above; a shard that did not answer is probed.
            if (msg.error.reason === 'part-timeout') {
              for (const shard of msg.error.shards) {
                o.health.notAnswering(shard, msg.error.message);
                probe(shard);
              }
            }
            return;
          case 'probe-done':
            probing.delete(msg.shard);
            if (msg.answered) o.health.answered(msg.shard);
            else if (o.health.condition(msg.shard) === 'not-answering') probe(msg.shard);
            return;
          case 'get-edge': {
            const ends = typeof msg.id === 'bigint' ? dir.edge(msg.id) : undefined;
            if (ends === undefined) msg.replyTo.tell(undefined);
            else shards[o.partitioner.shardOfEdge(ends.source)]!.tell({ type: 'get-edge', id: msg.id, replyTo: msg.replyTo });
            return;
          }
          case 'neighbours':
            neighbours(msg.id, msg.limit, msg.replyTo);
            return;
          case 'search':
            search(msg.query, msg.limit, msg.replyTo);
            return;
          case 'nodes':
            nodesById(msg.ids, msg.replyTo);
            return;
          case 'edges':
            msg.replyTo.tell({ total: dir.edgeCount, edges: dir.edgePage(Math.max(0, Math.floor(msg.offset)), Math.max(0, Math.floor(msg.limit))) });
            return;
          case 'subscribe-changes':
            if (o.changes?.subscribe(msg.subscriber) === true) watchChanges(msg.subscriber);
            return;
          case 'unsubscribe-changes':
            o.changes?.unsubscribe(msg.subscriber);
            try {
              ctx.unwatch(msg.subscriber);
            } catch {
              // not local: never watched
            }
            return;
          case 'change-subscriber-stopped':
            o.changes?.drop(msg.subscriber);
            return;
          case 'stats':
            msg.replyTo.tell({ nodes: dir.nodeCount, edges: dir.edgeCount, version: o.hub.version, shards: shards.length, journal: o.journal.stats() });
            return;
          case 'subscribe-topology':
            o.hub.subscribe(msg.subscriber);
            return;
          case 'unsubscribe-topology':
            o.hub.unsubscribe(msg.subscriber);
            return;
        }
      },
    };
  };
}

/** A node removal's own outcome wins over the outcomes of the edge removals it cascaded. */
function mergeOutcome(current: OpOutcome | undefined, next: OpOutcome): OpOutcome {
  if (current === undefined) return next;
  if (current.status === 'conflict') return current;
  return next.status === 'conflict' ? next : current.status === 'applied' || next.status === 'applied' ? { status: 'applied' } : next;
}
