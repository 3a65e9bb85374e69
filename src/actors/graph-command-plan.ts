// The first steps of the update pipeline for one command, run by the graph router: parse it,
// pre-process its ops, stamp each on the node's hybrid logical clock, check it against the
// directory (endpoints exist, ids do not clash) and split it into one part per shard, a node
// removal expanded into the removal of its edges. The directory takes the command's changes at
// once; `undo` takes them back when the command is refused or its unit fails.
import { aheadOf, ClockSkewError, compareHlc, successor, type Hlc, type HybridClock } from '../crdt/hlc.ts';
import { opsOf, parseCommand, type GraphOp } from '../graph/commands.ts';
import type { UnitAccess } from '../graph/pending-writes.ts';
import { preprocess } from '../graph/preprocess.ts';
import type { OpOutcome } from '../graph/shard-state.ts';
import type { RoutedOp } from './graph-shard.ts';
import type { GraphErrorCode } from './graph-router.ts';
import { UNCHANGED, type RouterState } from './graph-router-state.ts';

export interface CommandPlan {
  /** The ops for each shard involved, in command order. */
  readonly parts: Map<number, RoutedOp[]>;
  readonly results: (OpOutcome | undefined)[];
  /** From a routed op's order to its op's index in the command. */
  readonly orderToIndex: number[];
  readonly undo: (() => void)[];
  readonly access: UnitAccess;
  /** How many ops were routed. */
  order: number;
}

export interface CommandRefusal {
  readonly code: GraphErrorCode;
  readonly message: string;
  readonly op?: number;
  /** For an edge-id conflict: the id. */
  readonly edge?: bigint;
}

export type Planned = { readonly ok: true; readonly plan: CommandPlan } | { readonly ok: false; readonly refusal: CommandRefusal };

class CommandError extends Error {
  constructor(readonly refusal: CommandRefusal) {
    super(refusal.message);
  }
}

const STRUCTURAL = new Set<GraphOp['op']>(['add-node', 'remove-node', 'add-edge', 'remove-edge']);

/** Takes back the directory changes of a command, last first. */
export function undoAll(undo: readonly (() => void)[]): void {
  for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
}

export function planCommand(s: RouterState, input: unknown): Planned {
  const parsed = parseCommand(input);
  if (!parsed.ok) return { ok: false, refusal: { code: 'invalid', message: parsed.error } };
  const ops = opsOf(parsed.command).map(preprocess);
  const plan: CommandPlan = {
    parts: new Map(),
    results: new Array(ops.length),
    orderToIndex: [],
    undo: [],
    access: s.pending.begin(),
    order: 0,
  };
  const stamps = new CommandStamps(s.o.clock);
  try {
    ops.forEach((op, index) => planOp(s, plan, op, index, stamps.stampOf(op)));
  } catch (error) {
    undoAll(plan.undo);
    if (error instanceof CommandError) return { ok: false, refusal: error.refusal };
    if (error instanceof ClockSkewError) return { ok: false, refusal: { code: 'clock-skew', message: error.message } };
    throw error;
  }
  return { ok: true, plan };
}

function route(plan: CommandPlan, shard: number, op: GraphOp, stamp: Hlc, index: number): void {
  let part = plan.parts.get(shard);
  if (part === undefined) plan.parts.set(shard, (part = []));
  part.push({ op, stamp, order: plan.order++ });
  plan.orderToIndex.push(index);
}

function planOp(s: RouterState, plan: CommandPlan, op: GraphOp, index: number, stamp: Hlc): void {
  const { dir, o } = s;
  const { access, undo } = plan;
  switch (op.op) {
    case 'add-node':
      dir.addNode(op.node.id, undo);
      access.writeNode(op.node.id);
      return route(plan, o.partitioner.shardOfNode(op.node.id), op, stamp, index);
    case 'update-node':
    case 'move-node':
      if (!dir.hasNode(op.id)) throw new CommandError({ code: 'not-found', message: `op ${index}: no node ${op.id}`, op: index });
      access.writeNode(op.id);
      return route(plan, o.partitioner.shardOfNode(op.id), op, stamp, index);
    case 'remove-node':
      return planRemoveNode(s, plan, op, index, stamp);
    case 'add-edge':
      return planAddEdge(s, plan, op, index, stamp);
    case 'remove-edge': {
      const ends = dir.edge(op.id);
      if (ends === undefined) {
        plan.results[index] = UNCHANGED;
        return;
      }
      dir.removeEdge(op.id, undo);
      access.writeEdge(op.id);
      return route(plan, o.partitioner.shardOfEdge(ends.source), op, stamp, index);
    }
    case 'set-edge-weight': {
      const ends = dir.edge(op.id);
      if (ends === undefined) throw new CommandError({ code: 'not-found', message: `op ${index}: no edge ${op.id}`, op: index });
      access.writeEdge(op.id);
      return route(plan, o.partitioner.shardOfEdge(ends.source), op, stamp, index);
    }
  }
}

function planRemoveNode(s: RouterState, plan: CommandPlan, op: Extract<GraphOp, { op: 'remove-node' }>, index: number, stamp: Hlc): void {
  const { dir, o } = s;
  if (!dir.hasNode(op.id)) {
    plan.results[index] = UNCHANGED;
    return;
  }
  for (const edgeId of dir.edgesOf(op.id)) {
    const ends = dir.edge(edgeId)!;
    dir.removeEdge(edgeId, plan.undo);
    plan.access.writeEdge(edgeId);
    route(plan, o.partitioner.shardOfEdge(ends.source), { op: 'remove-edge', id: edgeId }, stamp, index);
  }
  dir.removeNode(op.id, plan.undo);
  plan.access.writeNode(op.id);
  route(plan, o.partitioner.shardOfNode(op.id), op, stamp, index);
}

function planAddEdge(s: RouterState, plan: CommandPlan, op: Extract<GraphOp, { op: 'add-edge' }>, index: number, stamp: Hlc): void {
  const { dir, o } = s;
  const e = op.edge;
  for (const end of [e.source, e.target]) {
    if (!dir.hasNode(end))
      throw new CommandError({
        code: 'endpoint-missing',
        message: `op ${index}: edge ${e.id} needs node ${end}, which does not exist`,
        op: index,
      });
  }
  const existing = dir.edge(e.id);
  if (existing !== undefined && (existing.source !== e.source || existing.target !== e.target)) {
    throw new CommandError({
      code: 'edge-id-conflict',
      message: `op ${index}: edge ${e.id} already joins ${existing.source} -> ${existing.target}`,
      op: index,
      edge: e.id,
    });
  }
  dir.addEdge(e.id, { source: e.source, target: e.target, directed: e.directed === true }, plan.undo, op.upsert === true);
  plan.access.readNode(e.source);
  plan.access.readNode(e.target);
  plan.access.writeEdge(e.id);
  route(plan, o.partitioner.shardOfEdge(e.source), op, stamp, index);
}

/**
 * The stamps of one command's ops. An op that carries the client's HLC stamp is merged into this
 * node's clock (refused when too far ahead of it). Edits keep the client's stamp; adds and removes
 * keep it only when it is newer than every stamp this clock has seen, and get a fresh tick
 * otherwise. A later op on the same node or edge gets a stamp after the earlier one's.
 */
class CommandStamps {
  /** The stamps given so far in this command, by node or edge. */
  private readonly given = new Map<string, Hlc>();

  constructor(private readonly clock: HybridClock) {}

  stampOf(op: GraphOp): Hlc {
    const clock = this.clock;
    if (op.stamp === undefined) return clock.tick();
    const latest = clock.peek();
    clock.observe(op.stamp);
    let stamp = STRUCTURAL.has(op.op) && !aheadOf(op.stamp, latest) ? clock.tick() : op.stamp;
    const key = entityKey(op);
    const before = this.given.get(key);
    if (before !== undefined && compareHlc(stamp, before) <= 0) {
      stamp = successor(before);
      clock.observeTrusted(stamp);
    }
    this.given.set(key, stamp);
    return stamp;
  }
}

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
