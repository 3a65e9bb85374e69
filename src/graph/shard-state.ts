// What one shard holds: a last-writer-wins register per node and per edge (tombstones included),
// how a routed change is decided against them (applied, unchanged, or a conflict answered with the
// winning value) and how an event is applied. Pure and synchronous: the shard actor adds the
// journal, recovery and the mailbox; replay uses it as it is.
import type { Hlc } from '../crdt/hlc.ts';
import { LwwMap } from '../crdt/lww-map.ts';
import { wins, type LwwRegister } from '../crdt/lww-register.ts';
import type { GraphOp } from './commands.ts';
import type { GraphEvent } from './events.ts';
import { sameValue, type EdgeValue, type NodeValue } from './model.ts';
import { patchNode, seedPosition } from './preprocess.ts';
import { topologyEdgeOf, topologyNodeOf, type TopologyEdge, type TopologyNode } from './topology.ts';

export type OpOutcome =
  | { readonly status: 'applied' }
  | { readonly status: 'unchanged' }
  /** The write lost to a newer one: here is the winner (`value` undefined: removed) to reconcile with. */
  | { readonly status: 'conflict'; readonly winner: LwwRegister<NodeValue | EdgeValue> };

/** What applying one event overwrote: the register as it was before, to put back on a rollback. */
export type UndoEntry =
  | { readonly node: number; readonly before: LwwRegister<NodeValue> | undefined }
  | { readonly edge: bigint; readonly before: LwwRegister<EdgeValue> | undefined };

export interface Decision {
  readonly outcome: OpOutcome;
  readonly event: GraphEvent | undefined;
}

const APPLIED: OpOutcome = { status: 'applied' };
const UNCHANGED: OpOutcome = { status: 'unchanged' };

export class ShardState {
  readonly nodes = new LwwMap<number, NodeValue>();
  readonly edges = new LwwMap<bigint, EdgeValue>();

  /**
   * Decides `op` stamped `stamp` and applies the resulting event, if any; `undo` gets what the
   * event overwrote, so that the unit can be rolled back if it does not commit.
   */
  decide(op: GraphOp, stamp: Hlc, undo?: UndoEntry[]): Decision {
    const d = this.decision(op, stamp);
    if (d.event !== undefined) {
      undo?.push(this.before(d.event));
      this.apply(d.event);
    }
    return d;
  }

  /** Puts back what `undo` recorded, newest first. */
  rollback(undo: readonly UndoEntry[]): void {
    for (let i = undo.length - 1; i >= 0; i--) {
      const u = undo[i]!;
      if ('node' in u) this.nodes.restore(u.node, u.before);
      else this.edges.restore(u.edge, u.before);
    }
  }

  private before(e: GraphEvent): UndoEntry {
    switch (e.type) {
      case 'node-added':
      case 'node-updated':
        return { node: e.node.id, before: this.nodes.register(e.node.id) };
      case 'node-moved':
      case 'node-removed':
        return { node: e.id, before: this.nodes.register(e.id) };
      case 'edge-created':
        return { edge: e.edge.id, before: this.edges.register(e.edge.id) };
      case 'edge-deleted':
      case 'edge-weight-changed':
        return { edge: e.id, before: this.edges.register(e.id) };
    }
  }

  private decision(op: GraphOp, stamp: Hlc): Decision {
    switch (op.op) {
      case 'add-node': {
        const cur = this.nodes.register(op.node.id);
        if (cur?.value === undefined) {
          if (!wins(stamp, cur)) return conflict(cur!);
          const node = op.node.position === undefined ? { ...op.node, position: seedPosition(op.node.id) } : op.node;
          return { outcome: APPLIED, event: { type: 'node-added', stamp, node } };
        }
        const node =
          op.node.position === undefined && cur.value.position !== undefined ? { ...op.node, position: cur.value.position } : op.node;
        if (sameValue(node, cur.value)) return { outcome: UNCHANGED, event: undefined };
        if (op.upsert !== true || !wins(stamp, cur)) return conflict(cur);
        return { outcome: APPLIED, event: { type: 'node-updated', stamp, node } };
      }
      case 'update-node': {
        const cur = this.nodes.register(op.id);
        if (cur?.value === undefined || !wins(stamp, cur)) return conflict(cur ?? { stamp, value: undefined });
        const node = patchNode(cur.value, op.patch);
        if (sameValue(node, cur.value)) return { outcome: UNCHANGED, event: undefined };
        return { outcome: APPLIED, event: { type: 'node-updated', stamp, node } };
      }
      case 'move-node': {
        const cur = this.nodes.register(op.id);
        if (cur?.value === undefined || !wins(stamp, cur)) return conflict(cur ?? { stamp, value: undefined });
        const p = cur.value.position;
        if (p !== undefined && p.x === op.position.x && p.y === op.position.y && p.z === op.position.z)
          return { outcome: UNCHANGED, event: undefined };
        return { outcome: APPLIED, event: { type: 'node-moved', stamp, id: op.id, position: op.position } };
      }
      case 'remove-node': {
        const cur = this.nodes.register(op.id);
        if (cur?.value === undefined) return { outcome: UNCHANGED, event: undefined };
        if (!wins(stamp, cur)) return conflict(cur);
        return { outcome: APPLIED, event: { type: 'node-removed', stamp, id: op.id } };
      }
      case 'add-edge': {
        const cur = this.edges.register(op.edge.id);
        if (cur?.value === undefined) {
          if (!wins(stamp, cur)) return conflict(cur!);
          return { outcome: APPLIED, event: { type: 'edge-created', stamp, edge: op.edge } };
        }
        if (sameValue(op.edge, cur.value)) return { outcome: UNCHANGED, event: undefined };
        if (op.upsert !== true || !wins(stamp, cur)) return conflict(cur);
        // Endpoints never change under one id (the router refuses that), so an upsert is a
        // delete and a create in one: replay sees the new value whole.
        return { outcome: APPLIED, event: { type: 'edge-created', stamp, edge: op.edge } };
      }
      case 'remove-edge': {
        const cur = this.edges.register(op.id);
        if (cur?.value === undefined) return { outcome: UNCHANGED, event: undefined };
        if (!wins(stamp, cur)) return conflict(cur);
        return { outcome: APPLIED, event: { type: 'edge-deleted', stamp, id: op.id } };
      }
      case 'set-edge-weight': {
        const cur = this.edges.register(op.id);
        if (cur?.value === undefined || !wins(stamp, cur)) return conflict(cur ?? { stamp, value: undefined });
        if (cur.value.weight === op.weight) return { outcome: UNCHANGED, event: undefined };
        return { outcome: APPLIED, event: { type: 'edge-weight-changed', stamp, id: op.id, weight: op.weight } };
      }
    }
  }

  /** Applies one event (from a decision or from the journal); stale events change nothing. */
  apply(e: GraphEvent): void {
    switch (e.type) {
      case 'node-added':
      case 'node-updated':
        this.nodes.set(e.node.id, e.node, e.stamp);
        return;
      case 'node-moved': {
        const cur = this.nodes.get(e.id);
        if (cur !== undefined) this.nodes.set(e.id, { ...cur, position: e.position }, e.stamp);
        return;
      }
      case 'node-removed':
        this.nodes.remove(e.id, e.stamp);
        return;
      case 'edge-created':
        this.edges.set(e.edge.id, e.edge, e.stamp);
        return;
      case 'edge-deleted':
        this.edges.remove(e.id, e.stamp);
        return;
      case 'edge-weight-changed': {
        const cur = this.edges.get(e.id);
        if (cur !== undefined) this.edges.set(e.id, { ...cur, weight: e.weight }, e.stamp);
        return;
      }
    }
  }

  topologyNodes(): TopologyNode[] {
    const out: TopologyNode[] = [];
    for (const [id, n] of this.nodes.live()) out.push(topologyNodeOf({ ...n, id }));
    return out;
  }

  topologyEdges(): TopologyEdge[] {
    const out: TopologyEdge[] = [];
    for (const [id, e] of this.edges.live()) out.push(topologyEdgeOf(id, e));
    return out;
  }
}

function conflict(winner: LwwRegister<NodeValue | EdgeValue>): Decision {
  return { outcome: { status: 'conflict', winner }, event: undefined };
}
