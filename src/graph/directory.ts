// The router's directory: which nodes are live, each live edge's endpoints, and each node's
// incident edges. Enough to validate a unit before any shard applies it (endpoints exist, ids do
// not clash) and to expand a node removal into the removal of its edges on whichever shards own
// them. Changes record an undo so a unit that fails validation half-way leaves no trace. Each edge's
// direction rides along for the edge list (it plays no part in validation).

export interface EdgeEnds {
  readonly source: number;
  readonly target: number;
  /** Absent: undirected. */
  readonly directed?: boolean;
}

export interface EdgeListEntry {
  readonly id: bigint;
  readonly source: number;
  readonly target: number;
  readonly directed: boolean;
}

export class Directory {
  private readonly nodes = new Set<number>();
  private readonly edges = new Map<bigint, EdgeEnds>();
  private readonly incident = new Map<number, Set<bigint>>();

  hasNode(id: number): boolean {
    return this.nodes.has(id);
  }

  edge(id: bigint): EdgeEnds | undefined {
    return this.edges.get(id);
  }

  /** Live edges touching `id`, in or out. */
  edgesOf(id: number): readonly bigint[] {
    return [...(this.incident.get(id) ?? [])];
  }

  /**
   * Up to `limit` distinct nodes joined to `id` by a live edge, in or out (the node itself, for a
   * self-loop, is not its own neighbour), in the order their edges were added. O(limit + loops).
   */
  neighbours(id: number, limit: number): number[] {
    const out = new Set<number>();
    for (const edgeId of this.incident.get(id) ?? []) {
      if (out.size >= limit) break;
      const ends = this.edges.get(edgeId)!;
      const other = ends.source === id ? ends.target : ends.source;
      if (other !== id) out.add(other);
    }
    return [...out];
  }

  /**
   * A page of the live edges in the order they were added: up to `limit` from position `offset`.
   * Offsets shift when earlier edges are removed; a reader that also follows the change stream
   * (as the viewer does) loses nothing it needs.
   */
  edgePage(offset: number, limit: number): EdgeListEntry[] {
    const out: EdgeListEntry[] = [];
    if (offset >= this.edges.size || limit <= 0) return out;
    let i = 0;
    for (const [id, ends] of this.edges) {
      if (i++ < offset) continue;
      out.push({ id, source: ends.source, target: ends.target, directed: ends.directed === true });
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Up to `limit` live node ids from position `offset` of the node list, in insertion order: as
   * edgePage, a page walk while the graph changes may miss or repeat a node, never invent one.
   */
  nodePage(offset: number, limit: number): number[] {
    const out: number[] = [];
    if (offset >= this.nodes.size || limit <= 0) return out;
    let i = 0;
    for (const id of this.nodes) {
      if (i++ < offset) continue;
      out.push(id);
      if (out.length >= limit) break;
    }
    return out;
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  get edgeCount(): number {
    return this.edges.size;
  }

  addNode(id: number, undo: (() => void)[]): void {
    if (this.nodes.has(id)) return;
    this.nodes.add(id);
    undo.push(() => this.nodes.delete(id));
  }

  removeNode(id: number, undo: (() => void)[]): void {
    if (!this.nodes.delete(id)) return;
    undo.push(() => this.nodes.add(id));
  }

  /**
   * Adds an edge; an existing one keeps its endpoints, and takes the direction of `ends` only when
   * `upsert` (an upsert replaces the value, which a plain add of a different value never does).
   */
  addEdge(id: bigint, ends: EdgeEnds, undo: (() => void)[], upsert = false): void {
    const existing = this.edges.get(id);
    if (existing !== undefined) {
      if (upsert && (existing.directed === true) !== (ends.directed === true)) {
        // Same key: the edge keeps its place in the edge list.
        this.edges.set(id, { ...existing, directed: ends.directed === true });
        undo.push(() => this.edges.set(id, existing));
      }
      return;
    }
    this.edges.set(id, ends);
    this.link(ends.source, id);
    this.link(ends.target, id);
    undo.push(() => this.removeEdge(id, []));
  }

  removeEdge(id: bigint, undo: (() => void)[]): void {
    const ends = this.edges.get(id);
    if (ends === undefined) return;
    this.edges.delete(id);
    this.unlink(ends.source, id);
    this.unlink(ends.target, id);
    undo.push(() => this.addEdge(id, ends, []));
  }

  private link(node: number, edge: bigint): void {
    let set = this.incident.get(node);
    if (set === undefined) this.incident.set(node, (set = new Set()));
    set.add(edge);
  }

  private unlink(node: number, edge: bigint): void {
    const set = this.incident.get(node);
    if (set === undefined) return;
    set.delete(edge);
    if (set.size === 0) this.incident.delete(node);
  }
}
