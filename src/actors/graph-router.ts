// The graph's front door. For each command it runs the first steps of the update pipeline,
// validate (zod, then the directory: endpoints exist, ids do not clash) and physics
// pre-processing, stamps each op on the node's hybrid logical clock, expands a node removal into
// the removal of its edges, opens one journal unit for the shards involved and hands each shard its
// part. The reply goes out when the unit has committed, and the committed events are broadcast to
// the topology subscribers in commit order. Any failure of a shard or of a commit restarts the
// whole graph (one-for-all): every actor recovers from storage and this directory is rebuilt.
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { ClockSkewError, type Hlc, type HybridClock } from '../crdt/hlc.ts';
import type { LwwRegister } from '../crdt/lww-register.ts';
import { opsOf, parseCommand, type GraphOp } from '../graph/commands.ts';
import { Directory } from '../graph/directory.ts';
import type { GraphEvent } from '../graph/events.ts';
import type { NodeValue } from '../graph/model.ts';
import type { Partitioner } from '../graph/partition.ts';
import { preprocess } from '../graph/preprocess.ts';
import type { OpOutcome } from '../graph/shard-state.ts';
import type { TopologyHub } from '../graph/topology-hub.ts';
import type { TopologySubscription } from '../graph/topology.ts';
import type { GroupCommitJournal, JournalError, JournalStats } from '../storage/group-commit.ts';
import type { GraphShardMsg, PartResult, RoutedOp, ShardSlice } from './graph-shard.ts';

export type GraphErrorCode = 'invalid' | 'not-found' | 'endpoint-missing' | 'edge-id-conflict' | 'clock-skew' | JournalError['reason'];

export type GraphAck =
  | {
      readonly ok: true;
      /** The journal unit; undefined when nothing had to be written. */
      readonly unit: number | undefined;
      readonly atMs: number | undefined;
      /** Topology version after this unit. */
      readonly version: number;
      /** One per op, in command order. */
      readonly results: readonly OpOutcome[];
    }
  | { readonly ok: false; readonly error: { readonly code: GraphErrorCode; readonly message: string } };

export interface GraphStats {
  readonly nodes: number;
  readonly edges: number;
  readonly version: number;
  readonly shards: number;
  readonly journal: JournalStats;
}

export type GraphRouterMsg =
  /** `command` is untrusted input: validated here, whoever sends it. */
  | { readonly type: 'update'; readonly command: unknown; readonly replyTo?: Ref<GraphAck> }
  | { readonly type: 'get-node'; readonly id: number; readonly replyTo: Ref<LwwRegister<NodeValue> | undefined> }
  | { readonly type: 'stats'; readonly replyTo: Ref<GraphStats> }
  | TopologySubscription;

export interface GraphRouterOptions {
  readonly shardPaths: readonly string[];
  readonly partitioner: Partitioner;
  readonly journal: GroupCommitJournal;
  readonly hub: TopologyHub;
  readonly clock: HybridClock;
  /** How long recovery waits for each shard's slice. */
  readonly recoveryTimeoutMs?: number;
}

class CommandError extends Error {
  constructor(
    readonly code: GraphErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const UNCHANGED: OpOutcome = { status: 'unchanged' };

export function graphRouter(o: GraphRouterOptions): ActorFactory<GraphRouterMsg> {
  return (ctx) => {
    const dir = new Directory();
    let shards: Ref<GraphShardMsg>[] = [];

    const route = (replyTo: Ref<GraphAck> | undefined, input: unknown): void => {
      const fail = (code: GraphErrorCode, message: string): void => replyTo?.tell({ ok: false, error: { code, message } });
      const parsed = parseCommand(input);
      if (!parsed.ok) return fail('invalid', parsed.error);
      const ops = opsOf(parsed.command).map(preprocess);
      const undo: (() => void)[] = [];
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
          if (op.stamp !== undefined) o.clock.observe(op.stamp);
          // Adds and removes are stamped by the server so that they win; edits keep the client's
          // stamp so that concurrent optimistic edits are settled last-writer-wins.
          const edit = op.op === 'update-node' || op.op === 'move-node' || op.op === 'set-edge-weight';
          const stamp = edit && op.stamp !== undefined ? op.stamp : o.clock.tick();
          switch (op.op) {
            case 'add-node':
              dir.addNode(op.node.id, undo);
              return send(o.partitioner.shardOfNode(op.node.id), op, stamp, index);
            case 'update-node':
            case 'move-node':
              if (!dir.hasNode(op.id)) throw new CommandError('not-found', `op ${index}: no node ${op.id}`);
              return send(o.partitioner.shardOfNode(op.id), op, stamp, index);
            case 'remove-node': {
              if (!dir.hasNode(op.id)) {
                results[index] = UNCHANGED;
                return;
              }
              for (const edgeId of dir.edgesOf(op.id)) {
                const ends = dir.edge(edgeId)!;
                dir.removeEdge(edgeId, undo);
                send(o.partitioner.shardOfEdge(ends.source), { op: 'remove-edge', id: edgeId }, stamp, index);
              }
              dir.removeNode(op.id, undo);
              return send(o.partitioner.shardOfNode(op.id), op, stamp, index);
            }
            case 'add-edge': {
              const e = op.edge;
              for (const end of [e.source, e.target]) {
                if (!dir.hasNode(end)) throw new CommandError('endpoint-missing', `op ${index}: edge ${e.id} needs node ${end}, which does not exist`);
              }
              const existing = dir.edge(e.id);
              if (existing !== undefined && (existing.source !== e.source || existing.target !== e.target)) {
                throw new CommandError('edge-id-conflict', `op ${index}: edge ${e.id} already joins ${existing.source} -> ${existing.target}`);
              }
              dir.addEdge(e.id, { source: e.source, target: e.target }, undo);
              return send(o.partitioner.shardOfEdge(e.source), op, stamp, index);
            }
            case 'remove-edge': {
              const ends = dir.edge(op.id);
              if (ends === undefined) {
                results[index] = UNCHANGED;
                return;
              }
              dir.removeEdge(op.id, undo);
              return send(o.partitioner.shardOfEdge(ends.source), op, stamp, index);
            }
            case 'set-edge-weight': {
              const ends = dir.edge(op.id);
              if (ends === undefined) throw new CommandError('not-found', `op ${index}: no edge ${op.id}`);
              return send(o.partitioner.shardOfEdge(ends.source), op, stamp, index);
            }
          }
        });
      } catch (error) {
        for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
        if (error instanceof CommandError) return fail(error.code, error.message);
        if (error instanceof ClockSkewError) return fail('clock-skew', error.message);
        throw error;
      }
      if (parts.size === 0) {
        replyTo?.tell({ ok: true, unit: undefined, atMs: undefined, version: o.hub.version, results: results.map((r) => r ?? UNCHANGED) });
        return;
      }
      const ticket = o.journal.open(parts.keys(), order);
      if (!('unit' in ticket)) {
        for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
        return fail(ticket.reason, ticket.message);
      }
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
          o.hub.publish(events.map(([, e]) => e));
          replyTo?.tell({ ok: true, unit: info.unit, atMs: info.atMs, version: o.hub.version, results: results.map((r) => r ?? UNCHANGED) });
        },
        (error: JournalError) => fail(error.reason, error.message),
      );
    };

    return {
      async preStart() {
        shards = o.shardPaths.map((p) => {
          const ref = ctx.system.lookup<GraphShardMsg>(p);
          if (ref === undefined) throw new Error(`graph router: no shard at ${p}`);
          return ref;
        });
        await o.journal.reset();
        const timeout = o.recoveryTimeoutMs ?? 120_000;
        const slices = await Promise.all(shards.map((s) => ctx.ask<GraphShardMsg, ShardSlice>(s, (replyTo) => ({ type: 'slice', replyTo }), timeout)));
        const undo: (() => void)[] = [];
        for (const s of slices) {
          o.clock.observeTrusted(s.maxStamp);
          for (const n of s.nodes) dir.addNode(n.id, undo);
        }
        for (const s of slices) for (const e of s.edges) dir.addEdge(e.id, { source: e.source, target: e.target }, undo);
        o.hub.reseed(
          slices.flatMap((s) => s.nodes),
          slices.flatMap((s) => s.edges),
        );
      },
      receive(msg) {
        switch (msg.type) {
          case 'update':
            route(msg.replyTo, msg.command);
            return;
          case 'get-node':
            if (Number.isInteger(msg.id) && msg.id >= 0) shards[o.partitioner.shardOfNode(msg.id)]!.tell({ type: 'get-node', id: msg.id, replyTo: msg.replyTo });
            else msg.replyTo.tell(undefined);
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
