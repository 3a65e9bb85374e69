// What the per-client position filters need to know of each node beyond its kind: its type (the
// node's free-form type, interned as a small code), its degree, and where it folds. Folding is how a
// notes graph reads at page level, as Logseq's and Obsidian's graph views show it: a node of type
// "block" folds into the nearest node above it that is not a block (its page), following the first
// edge that points at it (in the markdown import, the "contains" edge from its page or parent
// block). A block with no such node above it does not fold.
//
// Follows the topology stream. Types are kept as they arrive; degrees and folds are recomputed in
// one pass over the edges, at most every MIN_RECOMPUTE_MS and never more than 1/COST_SHARE of the
// time (a big graph under constant change recomputes less often), so the frame path only ever
// reads the last result. Edges are held (by reference, the hub's objects: a map entry an edge) only
// once a filter needs them: a degree asked for, or a fold on a graph that has blocks. Until then a
// big graph without types costs nothing here; when they are first needed, `wantsReset` asks the
// owner for a fresh topology snapshot that carries them.
import type { TopologyChange, TopologyEdge } from '../graph/topology.ts';

/** The type that folds. */
export const FOLDED_TYPE = 'block';

/** Distinct types given a code of their own; nodes of later types count as untyped (code 0). */
export const MAX_TYPES = 1024;

const MIN_RECOMPUTE_MS = 250;
const COST_SHARE = 20;

export interface NodeFacets {
  /** Changes whenever degrees or folds may have changed (types are read live). */
  readonly version: number;
  /** Type names by code; code 0 is "no type" (""). Codes never change while the relay lives. */
  readonly typeNames: readonly string[];
  typeOf(id: number): number;
  /**
   * Unfolded: the node's edge ends (a self-loop counts twice), as the viewer counts them. Folded:
   * the distinct nodes it is joined to once every block is replaced by the node it folds into.
   */
  degreeOf(id: number, folded: boolean): number;
  /** The node a block folds into; undefined for a node that does not fold. */
  foldsInto(id: number): number | undefined;
  /**
   * Whether degrees and folds reflect the edges; false until the snapshot that brings them has
   * arrived and been counted (a folding filter then leaves every block out rather than show them).
   */
  readonly edgesKnown: boolean;
}

interface Computed {
  readonly degree: ReadonlyMap<number, number>;
  readonly foldInto: ReadonlyMap<number, number>;
  /** Made on first use: most clients never ask for folded degrees. */
  folded: Map<number, number> | undefined;
}

export class FacetTracker {
  private readonly typeCode = new Map<number, number>();
  private readonly names: string[] = [''];
  private readonly codes = new Map<string, number>([['', 0]]);
  private readonly edges = new Map<bigint, TopologyEdge>();
  private dirty = true;
  private version = 0;
  private computedAt = -Infinity;
  private costMs = 0;
  private computed: Computed = { degree: new Map(), foldInto: new Map(), folded: undefined };
  /** The last pass counted a complete edge set. */
  private computedWithEdges = false;
  private view: NodeFacets | undefined;
  /** Edges are kept (a filter needs degrees or folds), and a reset since then has brought them all. */
  private keepEdges = false;
  private edgesComplete = false;

  /** A filter needs the edges and they are not all here: the owner should subscribe afresh (a reset). */
  get wantsReset(): boolean {
    return this.keepEdges && !this.edgesComplete;
  }

  apply(change: TopologyChange): void {
    switch (change.type) {
      case 'reset':
        this.typeCode.clear();
        this.edges.clear();
        for (const n of change.nodes) this.setType(n.id, n.type);
        if (this.keepEdges) for (const e of change.edges) this.edges.set(e.id, e);
        this.edgesComplete = this.keepEdges;
        break;
      case 'nodes-added':
        for (const n of change.nodes) this.setType(n.id, n.type);
        break;
      case 'nodes-removed':
        for (const id of change.ids) this.typeCode.delete(id);
        break;
      case 'edges-added':
        if (this.keepEdges) for (const e of change.edges) this.edges.set(e.id, e);
        break;
      case 'edges-removed':
        for (const id of change.ids) this.edges.delete(id);
        break;
      default:
        return; // moves and weights change neither degrees nor folds
    }
    this.dirty = true;
  }

  /** The topology changed since the last pass. */
  get stale(): boolean {
    return this.dirty;
  }

  /** The facets as of the last pass; a new pass first when the topology changed and it is due. */
  facets(now: number): NodeFacets {
    if (this.dirty && now - this.computedAt >= Math.max(MIN_RECOMPUTE_MS, COST_SHARE * this.costMs)) {
      const started = performance.now();
      this.computed = this.compute();
      this.computedWithEdges = this.edgesComplete;
      this.costMs = performance.now() - started;
      this.computedAt = now;
      this.dirty = false;
      this.version++;
      this.view = undefined;
    }
    return (this.view ??= this.makeView());
  }

  private setType(id: number, type: string | undefined): void {
    if (type === undefined || type === '') {
      this.typeCode.delete(id);
      return;
    }
    let code = this.codes.get(type);
    if (code === undefined) {
      if (this.names.length >= MAX_TYPES) return;
      code = this.names.length;
      this.names.push(type);
      this.codes.set(type, code);
    }
    this.typeCode.set(id, code);
  }

  private compute(): Computed {
    const degree = new Map<number, number>();
    const bump = (id: number): void => void degree.set(id, (degree.get(id) ?? 0) + 1);
    const block = this.codes.get(FOLDED_TYPE);
    const parent = new Map<number, number>();
    for (const e of this.edges.values()) {
      bump(e.source);
      bump(e.target);
      if (block !== undefined && this.typeCode.get(e.target) === block && e.source !== e.target && !parent.has(e.target))
        parent.set(e.target, e.source);
    }
    const foldInto = new Map<number, number>();
    for (const start of parent.keys()) {
      if (foldInto.has(start)) continue;
      // Up the chain to the first node that is not a block; every block on the way folds there.
      const chain: number[] = [];
      let at = start;
      let root: number | undefined;
      for (;;) {
        chain.push(at);
        const up = parent.get(at);
        if (up === undefined) break; // a block with nothing above: the chain does not fold
        if (this.typeCode.get(up) !== block) {
          root = up;
          break;
        }
        const known = foldInto.get(up);
        if (known !== undefined) {
          root = known;
          break;
        }
        if (chain.length > parent.size) break; // a cycle of blocks
        at = up;
      }
      if (root !== undefined) for (const b of chain) foldInto.set(b, root);
    }
    return { degree, foldInto, folded: undefined };
  }

  private foldedDegrees(c: Computed): Map<number, number> {
    const neighbours = new Map<number, Set<number>>();
    const link = (a: number, b: number): void => {
      let set = neighbours.get(a);
      if (set === undefined) neighbours.set(a, (set = new Set()));
      set.add(b);
    };
    for (const e of this.edges.values()) {
      const a = c.foldInto.get(e.source) ?? e.source;
      const b = c.foldInto.get(e.target) ?? e.target;
      if (a === b) continue;
      link(a, b);
      link(b, a);
    }
    return new Map([...neighbours].map(([id, set]) => [id, set.size]));
  }

  /** A filter reads degrees or folds: from now on the edges are kept. */
  private needEdges(): void {
    if (this.keepEdges) return;
    this.keepEdges = true;
    this.dirty = true;
  }

  private makeView(): NodeFacets {
    const c = this.computed;
    const typeCode = this.typeCode;
    const blocks = this.codes.has(FOLDED_TYPE);
    return {
      version: this.version,
      typeNames: this.names.slice(),
      edgesKnown: this.computedWithEdges,
      typeOf: (id) => typeCode.get(id) ?? 0,
      degreeOf: (id, folded) => {
        this.needEdges();
        return (folded ? (c.folded ??= this.foldedDegrees(c)) : c.degree).get(id) ?? 0;
      },
      foldsInto: (id) => {
        if (!blocks) return undefined;
        this.needEdges();
        return c.foldInto.get(id);
      },
    };
  }
}
