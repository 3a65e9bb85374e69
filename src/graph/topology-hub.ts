// The graph's topology as committed, and its subscribers (the physics and SSSP actors). Changes are
// published in commit order, one version per committed unit (the router passes the journal seq of
// the unit's last event, so versions grow with commit order and across restarts); a new subscriber
// first gets a 'reset'.
// The hub outlives router restarts on purpose: subscriptions survive them, and a restarted router
// re-seeds the view from the recovered shards and sends every subscriber a fresh 'reset'.
import type { ChangeScope } from './changes.ts';
import type { Recipient } from '../shared/recipient.ts';
import type { GraphEvent } from './events.ts';
import {
  NODE_KINDS,
  topologyEdgeOf,
  topologyNodeOf,
  type NodeKind,
  type TopologyChange,
  type TopologyEdge,
  type TopologyNode,
  type Vec3,
} from './topology.ts';

const WIRE_KIND = new Map<NodeKind, number>(NODE_KINDS.map((k, i) => [k, i]));

export class TopologyHub {
  private readonly subscribers = new Set<Recipient<TopologyChange>>();
  private readonly nodes = new Map<number, TopologyNode>();
  private readonly edges = new Map<bigint, TopologyEdge>();
  version = 0;
  /** Changes sent so far (TopologyChange.seq): subscribers tell a lost change by a skipped number. */
  private seq = 0;

  subscribe(ref: Recipient<TopologyChange>): void {
    this.subscribers.add(ref);
    ref.tell(this.snapshot());
  }

  unsubscribe(ref: Recipient<TopologyChange>): void {
    this.subscribers.delete(ref);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  nodeCount(): number {
    return this.nodes.size;
  }

  edgeCount(): number {
    return this.edges.size;
  }

  /**
   * Replaces the view (after recovery) and resets every subscriber. `version`: the version the
   * recovered view reflects; the hub's version never goes back, and without one it moves on by one.
   */
  reseed(nodes: readonly TopologyNode[], edges: readonly TopologyEdge[], version?: number): void {
    this.nodes.clear();
    this.edges.clear();
    for (const n of nodes) this.nodes.set(n.id, n);
    for (const e of edges) this.edges.set(e.id, e);
    this.version = version === undefined ? this.version + 1 : Math.max(this.version, version);
    const reset = this.snapshot();
    for (const s of this.subscribers) s.tell(reset);
  }

  /**
   * One committed unit's events, in order: applied to the view and published as one version, `at`
   * when it is above the current one (the journal seq of the unit's last event), else the next.
   * Returns what each event touched (ChangeScope), read from the view as it stood just before that
   * event: a removed node's kind and a deleted edge's endpoints are known only here.
   */
  publish(events: readonly GraphEvent[], at?: number): ChangeScope[] {
    const scopes: ChangeScope[] = [];
    if (events.length === 0) return scopes;
    const version = (this.version = Math.max(this.version + 1, at ?? 0));
    const changes: TopologyChange[] = [];
    const push = (c: TopologyChange): void => {
      const last = changes[changes.length - 1];
      if (last !== undefined && last.type === c.type && last.type !== 'reset' && c.type !== 'reset') {
        changes[changes.length - 1] = merge(last, c);
      } else changes.push(c);
    };
    for (const e of events) {
      scopes.push(this.scopeOf(e));
      switch (e.type) {
        case 'node-added': {
          const n: TopologyNode = topologyNodeOf(e.node);
          this.nodes.set(n.id, n);
          push({ type: 'nodes-added', version, nodes: [n] });
          break;
        }
        case 'node-updated': {
          const prev = this.nodes.get(e.node.id);
          const n: TopologyNode = topologyNodeOf(e.node);
          this.nodes.set(n.id, n);
          if (n.position !== undefined && !samePos(prev?.position, n.position))
            push({ type: 'nodes-moved', version, nodes: [{ id: n.id, position: n.position }] });
          break;
        }
        case 'node-moved': {
          const prev = this.nodes.get(e.id);
          if (prev !== undefined) this.nodes.set(e.id, { ...prev, position: e.position });
          push({ type: 'nodes-moved', version, nodes: [{ id: e.id, position: e.position }] });
          break;
        }
        case 'node-removed':
          this.nodes.delete(e.id);
          push({ type: 'nodes-removed', version, ids: [e.id] });
          break;
        case 'edge-created': {
          const before = this.edges.get(e.edge.id);
          const edge = topologyEdgeOf(e.edge.id, e.edge);
          this.edges.set(edge.id, edge);
          if (before === undefined) push({ type: 'edges-added', version, edges: [edge] });
          else if ((before.directed === true) !== (edge.directed === true)) {
            // An upsert that turned the edge around: subscribers rebuild its arcs (the router keeps
            // its endpoints, so only the direction can differ besides the weight).
            push({ type: 'edges-removed', version, ids: [edge.id] });
            push({ type: 'edges-added', version, edges: [edge] });
          } else push({ type: 'edge-weights-changed', version, edges: [{ id: edge.id, weight: edge.weight }] });
          break;
        }
        case 'edge-deleted':
          this.edges.delete(e.id);
          push({ type: 'edges-removed', version, ids: [e.id] });
          break;
        case 'edge-weight-changed': {
          const prev = this.edges.get(e.id);
          if (prev !== undefined) this.edges.set(e.id, { ...prev, weight: e.weight });
          push({ type: 'edge-weights-changed', version, edges: [{ id: e.id, weight: e.weight }] });
          break;
        }
      }
    }
    for (const c of changes) {
      const numbered: TopologyChange = { ...c, seq: ++this.seq };
      for (const s of this.subscribers) s.tell(numbered);
    }
    return scopes;
  }

  /** The wire NodeKind of a node in the view, -1 when it is not there. */
  wireKind(id: number): number {
    const n = this.nodes.get(id);
    return n === undefined ? -1 : (WIRE_KIND.get(n.kind) ?? -1);
  }

  private scopeOf(e: GraphEvent): ChangeScope {
    switch (e.type) {
      case 'node-added':
      case 'node-updated': {
        const kind = WIRE_KIND.get(e.node.kind) ?? -1;
        const before = this.nodes.has(e.node.id) ? this.wireKind(e.node.id) : undefined;
        const scope = { ids: [e.node.id], kinds: [kind], adds: before === undefined && e.type === 'node-added' };
        return before === undefined || before === kind ? scope : { ...scope, formerKind: before };
      }
      case 'node-moved':
      case 'node-removed':
        return { ids: [e.id], kinds: [this.wireKind(e.id)], adds: false };
      case 'edge-created':
        return this.endpoints(e.edge.source, e.edge.target);
      case 'edge-deleted':
      case 'edge-weight-changed': {
        const edge = this.edges.get(e.id);
        return edge === undefined ? { ids: [], kinds: [], adds: false } : this.endpoints(edge.source, edge.target);
      }
    }
  }

  private endpoints(source: number, target: number): ChangeScope {
    if (source === target) return { ids: [source], kinds: [this.wireKind(source)], adds: false };
    return { ids: [source, target], kinds: [this.wireKind(source), this.wireKind(target)], adds: false };
  }

  private snapshot(): TopologyChange {
    return { type: 'reset', version: this.version, seq: this.seq, nodes: [...this.nodes.values()], edges: [...this.edges.values()] };
  }
}

function samePos(a: Vec3 | undefined, b: Vec3): boolean {
  return a !== undefined && a.x === b.x && a.y === b.y && a.z === b.z;
}

type Incremental = Exclude<TopologyChange, { type: 'reset' }>;

function merge(a: Incremental, b: Incremental): Incremental {
  switch (a.type) {
    case 'nodes-added':
      return { ...a, nodes: [...a.nodes, ...(b as typeof a).nodes] };
    case 'nodes-removed':
      return { ...a, ids: [...a.ids, ...(b as typeof a).ids] };
    case 'nodes-moved':
      return { ...a, nodes: [...a.nodes, ...(b as typeof a).nodes] };
    case 'edges-added':
      return { ...a, edges: [...a.edges, ...(b as typeof a).edges] };
    case 'edges-removed':
      return { ...a, ids: [...a.ids, ...(b as typeof a).ids] };
    case 'edge-weights-changed':
      return { ...a, edges: [...a.edges, ...(b as typeof a).edges] };
  }
}
