// What the linker, summariser and curator need of the whole graph: every edge, and the title and
// type of every node from the node list, but the swarm's own (agents, their tasks, the knowledge
// agents shared: they are no pages to link or curate). Read once and kept for a short while, so
// that the tasks of one planned job share one read.
import type { EdgeInfo, GraphClient, NodeInfo } from './graph-client.ts';

export interface GraphSnapshot {
  readonly edges: readonly EdgeInfo[];
  readonly nodes: ReadonlyMap<number, NodeInfo>;
  /** Outgoing neighbours (both ends of an undirected edge). */
  readonly out: ReadonlyMap<number, readonly number[]>;
  readonly degree: ReadonlyMap<number, number>;
}

export function snapshotOf(edges: readonly EdgeInfo[], nodes: Iterable<NodeInfo>): GraphSnapshot {
  const out = new Map<number, number[]>();
  const degree = new Map<number, number>();
  const add = (from: number, to: number): void => {
    const list = out.get(from);
    if (list === undefined) out.set(from, [to]);
    else list.push(to);
  };
  for (const e of edges) {
    add(e.source, e.target);
    if (!e.directed) add(e.target, e.source);
    degree.set(e.source, (degree.get(e.source) ?? 0) + 1);
    degree.set(e.target, (degree.get(e.target) ?? 0) + 1);
  }
  return { edges, nodes: new Map([...nodes].map((n) => [n.id, n])), out, degree };
}

/** Node types the swarms write: left out of the snapshot. */
const SWARM_TYPES: ReadonlySet<string> = new Set(['agent', 'task', 'knowledge']);

export class SnapshotCache {
  private cached: { at: number; snapshot: Promise<GraphSnapshot> } | undefined;

  constructor(
    private readonly client: GraphClient,
    private readonly maxAgeMs = 30_000,
  ) {}

  get(signal?: AbortSignal): Promise<GraphSnapshot> {
    const now = Date.now();
    if (this.cached !== undefined && now - this.cached.at < this.maxAgeMs) return this.cached.snapshot;
    const snapshot = this.read(signal);
    this.cached = { at: now, snapshot };
    // A failed read is not kept: the next task tries again.
    snapshot.catch(() => {
      if (this.cached?.snapshot === snapshot) this.cached = undefined;
    });
    return snapshot;
  }

  private async read(signal?: AbortSignal): Promise<GraphSnapshot> {
    const edges = await this.client.edges(signal);
    const nodes = await this.client.list(signal);
    return snapshotOf(
      edges,
      nodes.filter((n) => !SWARM_TYPES.has(n.type ?? '')),
    );
  }
}
