// The graph as the SSSP engines read it: a gapped CSR that is kept up to date change by change.
//
// Node ids (u32 wire ids) map to dense indices; a removed node's index goes on a free list and is
// reused. Every index owns a row [rowStart, rowStart + rowCap) in the arc arrays, of which the
// first rowLen entries are its out-arcs (target index in `col`, length in `weight`). Adding an arc
// to a full row moves the row to the end with twice the room (amortised O(1)); removing one swaps
// the row's last arc into its place (O(1)); a weight change writes the arc in place (O(1)). The
// holes that moved rows leave behind are squeezed out by `compact()` once they outweigh the arcs.
// A query reads rowStart/rowLen/col/weight directly: nothing is rebuilt per query.
//
// Direction is a property of each edge: a directed edge is one arc (in its source's row), an
// undirected one two arcs (one per endpoint row; a self-loop one). A query's loop therefore reads
// arcs and nothing else, whatever the mix. A CSR made with the 'undirected' reading lays every
// edge out as two arcs, whatever its direction: the graph as a whole read undirected, which the
// SSSP actor keeps beside the main one only while someone asks for that reading.
// Weights are stored as given; weights that are negative or NaN are counted so that a query can
// refuse the graph with a clear error instead of computing a wrong answer.
import type { TopologyChange, TopologyEdge, TopologyNode } from '../graph/topology.ts';
import { IdIndex } from './id-index.ts';
import { WeightExponents, type WeightScale } from './weight-scale.ts';

/** 'as-stored': each edge as its direction says; 'undirected': every edge both ways. */
export type EdgeReading = 'as-stored' | 'undirected';

/** Which edges of a bulk load are directed: all of them, none, or edge k where `directed[k]` is non-zero. */
export type LoadDirection = boolean | ArrayLike<number>;

/** What a kernel reads: indices 0..size-1, row i is col/weight[rowStart[i] .. rowStart[i] + rowLen[i]). */
export interface CsrView {
  readonly size: number;
  readonly rowStart: Int32Array;
  readonly rowLen: Int32Array;
  readonly col: Int32Array;
  readonly weight: Float64Array;
  /** One past the last arc slot in use (holes included): what a device copy must hold. */
  readonly arcTop: number;
}

/** A change that does not fit the graph as it stands; the graph is left as it was before the change. */
export class TopologyError extends Error {
  readonly code = 'topology-mismatch';
  constructor(message: string) {
    super(message);
    this.name = 'TopologyError';
  }
}

const MIN_ROW = 4;
/** Items of work between the yields of a sliced load (a few milliseconds' worth). */
const CHUNK_MASK = (1 << 14) - 1;
const NO_ARC = -1;

/** Edge ids are u64 bigints on the wire; safe-integer ones are keyed as numbers (the typed IdIndex), the rest as bigints. */
export type EdgeKey = number | bigint;
function keyOf(id: bigint): EdgeKey {
  return id <= BigInt(Number.MAX_SAFE_INTEGER) && id >= 0n ? Number(id) : id;
}

function normalKey(key: EdgeKey): EdgeKey {
  return typeof key === 'bigint' ? keyOf(key) : key;
}

export function isBadWeight(w: number): boolean {
  return !(w >= 0);
}

export class DynamicCsr implements CsrView {
  /** Every edge laid out both ways, whatever its direction (the 'undirected' reading). */
  readonly bothWays: boolean;
  /** Graph version of the last change applied; -1 before the first reset. */
  version = -1;
  size = 0;
  arcTop = 0;
  /** Arc slots inside rows' capacity that hold nothing (moved-away rows, removed arcs excluded). */
  private holes = 0;

  // The four arrays a query reads live in SharedArrayBuffers, so that a worker thread can run the
  // query on them in place (worker-engine.ts); nothing changes them while a query runs.
  rowStart = sharedInt32(16);
  rowLen = sharedInt32(16);
  private rowCap = new Int32Array(16);
  /**
   * Wire id per index; meaningful only where `alive` is 1. Shared as well: the worker gathers a
   * result's wire vectors (ids, not indices) beside the query.
   */
  idOf = sharedUint32(16);
  alive = new Uint8Array(16);
  private indexOfId = new IdIndex();
  private freeIndices: number[] = [];

  col = sharedInt32(64);
  weight = sharedFloat64(64);
  /** The edge slot each arc belongs to. */
  private arcEdge = new Int32Array(64);

  private edgeSrc = new Int32Array(16);
  private edgeDst = new Int32Array(16);
  private edgeArc = new Int32Array(16);
  private edgeRev = new Int32Array(16);
  private edgeW = new Float64Array(16);
  /** 1 where the edge is directed (kept in either reading: edges() reports it). */
  private edgeDir = new Uint8Array(16);
  /**
   * Per index: live directed edges from another node ending here. Their arcs live in the other
   * rows, so removing a node with some must look for them; with none it need not scan.
   */
  private inDirected = new Int32Array(16);
  private directedLive = 0;
  private edgeKeys: (EdgeKey | undefined)[] = [];
  /** Edge slot by id: safe-integer ids in a typed index, the rare larger ones in a Map. */
  private slotOfEdge = new IdIndex();
  private readonly slotOfBigEdge = new Map<bigint, number>();
  private freeEdgeSlots: number[] = [];
  private edgeTop = 0;
  private readonly badEdges = new Set<number>();
  private readonly weightExponents = new WeightExponents();

  constructor(reading: EdgeReading = 'as-stored') {
    this.bothWays = reading === 'undirected';
  }

  get nodeCount(): number {
    return this.indexOfId.size;
  }

  get edgeCount(): number {
    return this.slotOfEdge.size + this.slotOfBigEdge.size;
  }

  /** Live directed edges: with none, reading the graph undirected changes nothing. */
  get directedEdgeCount(): number {
    return this.directedLive;
  }

  /** Arc slots reserved, used or not: for tests of compaction. */
  get arcCapacityInUse(): number {
    return this.arcTop;
  }

  indexOf(id: number): number | undefined {
    const i = Number.isInteger(id) && id >= 0 ? this.indexOfId.get(id) : -1;
    return i < 0 ? undefined : i;
  }

  private edgeSlot(key: EdgeKey): number {
    return typeof key === 'number' ? this.slotOfEdge.get(key) : (this.slotOfBigEdge.get(key) ?? -1);
  }

  private hasEdge(key: EdgeKey): boolean {
    return this.edgeSlot(key) >= 0;
  }

  /** An edge whose weight no shortest-path algorithm here may use (negative or NaN), if any. */
  badEdge(): { id: bigint; weight: number } | undefined {
    for (const slot of this.badEdges) return { id: BigInt(this.edgeKeys[slot]!), weight: this.edgeW[slot]! };
    return undefined;
  }

  /** Powers of two around the live weights (what the bucket queue sizes itself by); undefined without a finite weight. */
  weightScale(): WeightScale | undefined {
    return this.weightExponents.scale();
  }

  // ---- changes ------------------------------------------------------------------------------------

  /**
   * Applies one topology change. Versions never decrease (the changes of one committed unit share
   * one); a change that does not fit (unknown or duplicate ids, an older version) throws
   * TopologyError before anything is modified.
   */
  apply(change: TopologyChange): void {
    if (change.type === 'reset') {
      this.reset(change.version, change.nodes, change.edges);
      return;
    }
    if (this.version < 0) throw new TopologyError(`${change.type} before any reset`);
    // One committed unit may arrive as several changes of the same version; older is stale.
    if (!(change.version >= this.version)) throw new TopologyError(`version ${change.version} after ${this.version}`);
    switch (change.type) {
      case 'nodes-added': {
        const seen = new Set<number>();
        for (const n of change.nodes) {
          checkNodeId(n.id);
          if (this.indexOfId.has(n.id) || seen.has(n.id)) throw new TopologyError(`node ${n.id} already exists`);
          seen.add(n.id);
        }
        for (const n of change.nodes) this.addNode(n.id);
        break;
      }
      case 'nodes-removed': {
        const seen = new Set<number>();
        for (const id of change.ids) {
          if (!this.indexOfId.has(id) || seen.has(id)) throw new TopologyError(`node ${id} does not exist`);
          seen.add(id);
        }
        for (const id of change.ids) this.removeNode(id);
        break;
      }
      case 'nodes-moved':
        break;
      case 'edges-added': {
        const seen = new Set<EdgeKey>();
        for (const e of change.edges) {
          const key = keyOf(e.id);
          if (this.hasEdge(key) || seen.has(key)) throw new TopologyError(`edge ${e.id} already exists`);
          if (!this.indexOfId.has(e.source) || !this.indexOfId.has(e.target)) {
            throw new TopologyError(`edge ${e.id} joins unknown node(s) ${e.source} -> ${e.target}`);
          }
          seen.add(key);
        }
        for (const e of change.edges) this.addEdge(e);
        break;
      }
      case 'edges-removed': {
        const seen = new Set<EdgeKey>();
        for (const id of change.ids) {
          const key = keyOf(id);
          if (!this.hasEdge(key) || seen.has(key)) throw new TopologyError(`edge ${id} does not exist`);
          seen.add(key);
        }
        for (const id of change.ids) this.removeEdgeSlot(this.edgeSlot(keyOf(id)));
        break;
      }
      case 'edge-weights-changed': {
        for (const e of change.edges) if (!this.hasEdge(keyOf(e.id))) throw new TopologyError(`edge ${e.id} does not exist`);
        for (const e of change.edges) this.setWeight(this.edgeSlot(keyOf(e.id)), e.weight);
        break;
      }
    }
    this.version = change.version;
    if (this.holes > 1024 && this.holes > this.arcTop >> 1) this.compact();
  }

  /** Replaces everything with a snapshot: rows packed tight, in index order. */
  reset(version: number, nodes: readonly TopologyNode[], edges: readonly TopologyEdge[]): void {
    drain(this.resetting(version, nodes, edges));
  }

  /**
   * The same, a slice at a time: between slices of about `sliceMs` it awaits `yieldTo()`, so a
   * million-edge snapshot does not hold the event loop for seconds. The graph must not be read or
   * changed until the promise settles; on a TopologyError it is left as it was.
   */
  resetInSlices(
    version: number,
    nodes: readonly TopologyNode[],
    edges: readonly TopologyEdge[],
    yieldTo: () => Promise<void>,
    sliceMs = 8,
  ): Promise<void> {
    return inSlices(this.resetting(version, nodes, edges), yieldTo, sliceMs);
  }

  private *resetting(version: number, nodes: readonly TopologyNode[], edges: readonly TopologyEdge[]): Generator<void, void, void> {
    const m = edges.length;
    const source = new Float64Array(m);
    const target = new Float64Array(m);
    const weight = new Float64Array(m);
    const directed = new Uint8Array(m);
    const ids: EdgeKey[] = new Array<EdgeKey>(m);
    for (let k = 0; k < m; k++) {
      const e = edges[k]!;
      source[k] = e.source;
      target[k] = e.target;
      weight[k] = e.weight;
      directed[k] = e.directed === true ? 1 : 0;
      ids[k] = keyOf(e.id);
      if ((k & CHUNK_MASK) === CHUNK_MASK) yield;
    }
    yield* this.loading(
      version,
      nodes.map((n) => n.id),
      source,
      target,
      weight,
      { edgeIds: ids, directed },
    );
  }

  /**
   * `graph`'s live nodes and edges (directions kept) into this CSR, a slice at a time as in
   * resetInSlices, at `graph`'s version: how the SSSP actor makes its undirected reading of the
   * graph it holds. `graph` must not change until the promise settles.
   */
  copyInSlices(graph: DynamicCsr, yieldTo: () => Promise<void>, sliceMs = 8): Promise<void> {
    return inSlices(this.copying(graph), yieldTo, sliceMs);
  }

  private *copying(graph: DynamicCsr): Generator<void, void, void> {
    const m = graph.edgeCount;
    const source = new Float64Array(m);
    const target = new Float64Array(m);
    const weight = new Float64Array(m);
    const directed = new Uint8Array(m);
    const ids: EdgeKey[] = new Array<EdgeKey>(m);
    let k = 0;
    for (let s = 0; s < graph.edgeTop; s++) {
      const key = graph.edgeKeys[s];
      if (key === undefined) continue;
      source[k] = graph.idOf[graph.edgeSrc[s]!]!;
      target[k] = graph.idOf[graph.edgeDst[s]!]!;
      weight[k] = graph.edgeW[s]!;
      directed[k] = graph.edgeDir[s]!;
      ids[k++] = key;
      if ((k & CHUNK_MASK) === CHUNK_MASK) yield;
    }
    yield* this.loading(graph.version, graph.nodeIds(), source, target, weight, { edgeIds: ids, directed });
  }

  /**
   * The same from parallel arrays (edge k joins node ids source[k] -> target[k]); edge ids are
   * 0..m-1 unless given, and edges are undirected unless `directed` says. Bulk loads skip the
   * per-edge objects of a topology snapshot.
   */
  load(
    version: number,
    nodeIds: ArrayLike<number>,
    source: ArrayLike<number>,
    target: ArrayLike<number>,
    weight: ArrayLike<number>,
    options: { readonly edgeIds?: readonly EdgeKey[]; readonly directed?: LoadDirection } = {},
  ): void {
    drain(this.loading(version, nodeIds, source, target, weight, options));
  }

  /** load() as steps: it yields every CHUNK items of work; the graph changes only after validation. */
  private *loading(
    version: number,
    nodeIds: ArrayLike<number>,
    source: ArrayLike<number>,
    target: ArrayLike<number>,
    weight: ArrayLike<number>,
    options: { readonly edgeIds?: readonly EdgeKey[]; readonly directed?: LoadDirection },
  ): Generator<void, void, void> {
    const m = source.length;
    const { edgeIds } = options;
    const given = options.directed ?? false;
    const perEdge = typeof given === 'boolean' ? undefined : given;
    const all = given === true ? 1 : 0;
    if (
      target.length !== m ||
      weight.length !== m ||
      (edgeIds !== undefined && edgeIds.length !== m) ||
      (perEdge !== undefined && perEdge.length !== m)
    ) {
      throw new TopologyError('edge arrays of different lengths');
    }
    const index = new IdIndex(nodeIds.length);
    for (let i = 0; i < nodeIds.length; i++) {
      const id = nodeIds[i]!;
      checkNodeId(id);
      if (index.has(id)) throw new TopologyError(`node ${id} twice in the snapshot`);
      index.set(id, i);
      if ((i & CHUNK_MASK) === CHUNK_MASK) yield;
    }
    const s = new Int32Array(m);
    const t = new Int32Array(m);
    // Slot k is edge k's: the index built while checking for duplicates is the one kept.
    const slots = new IdIndex(m);
    const bigSlots = new Map<bigint, number>();
    for (let k = 0; k < m; k++) {
      const si = index.get(source[k]!);
      const ti = index.get(target[k]!);
      const key = normalKey(edgeIds?.[k] ?? k);
      if (si < 0 || ti < 0) throw new TopologyError(`edge ${key} joins unknown node(s) ${source[k]} -> ${target[k]}`);
      if (typeof key === 'number') {
        if (slots.has(key)) throw new TopologyError(`edge ${key} twice in the snapshot`);
        slots.set(key, k);
      } else {
        if (bigSlots.has(key)) throw new TopologyError(`edge ${key} twice in the snapshot`);
        bigSlots.set(key, k);
      }
      s[k] = si;
      t[k] = ti;
      if ((k & CHUNK_MASK) === CHUNK_MASK) yield;
    }
    const dir = new Uint8Array(m);
    for (let k = 0; k < m; k++) dir[k] = perEdge === undefined ? all : perEdge[k] ? 1 : 0;
    this.clear();
    this.ensureNodes(nodeIds.length);
    for (let i = 0; i < nodeIds.length; i++) {
      this.idOf[i] = nodeIds[i]!;
      this.alive[i] = 1;
      this.rowLen[i] = 0;
      this.inDirected[i] = 0;
    }
    this.size = nodeIds.length;
    this.indexOfId = index;
    // Count arcs per row first so that each row is allocated once, exactly.
    const degree = new Int32Array(this.size);
    for (let k = 0; k < m; k++) {
      degree[s[k]!]!++;
      if ((this.bothWays || dir[k] === 0) && s[k] !== t[k]) degree[t[k]!]!++;
    }
    let top = 0;
    for (let i = 0; i < this.size; i++) {
      this.rowStart[i] = top;
      this.rowCap[i] = degree[i]!;
      top += degree[i]!;
    }
    this.ensureArcs(top);
    this.arcTop = top;
    this.ensureEdges(m);
    this.slotOfEdge = slots;
    for (const [key, slot] of bigSlots) this.slotOfBigEdge.set(key, slot);
    for (let k = 0; k < m; k++) {
      this.placeEdge(k, normalKey(edgeIds?.[k] ?? k), s[k]!, t[k]!, weight[k]!, dir[k] === 1);
      if ((k & CHUNK_MASK) === CHUNK_MASK) yield;
    }
    this.edgeTop = m;
    this.version = version;
  }

  private clear(): void {
    // No version while a load fills the arrays: the graph is not one the topology ever had.
    this.version = -1;
    this.size = 0;
    this.arcTop = 0;
    this.holes = 0;
    this.indexOfId = new IdIndex();
    this.freeIndices = [];
    this.slotOfEdge = new IdIndex();
    this.slotOfBigEdge.clear();
    this.freeEdgeSlots = [];
    this.edgeKeys = [];
    this.edgeTop = 0;
    this.directedLive = 0;
    this.badEdges.clear();
    this.weightExponents.clear();
  }

  private addNode(id: number): number {
    let i = this.freeIndices.pop();
    if (i === undefined) {
      i = this.size++;
      this.ensureNodes(this.size);
    }
    this.idOf[i] = id;
    this.alive[i] = 1;
    this.rowStart[i] = 0;
    this.rowLen[i] = 0;
    this.rowCap[i] = 0;
    this.inDirected[i] = 0;
    this.indexOfId.set(id, i);
    return i;
  }

  private removeNode(id: number): void {
    const i = this.indexOfId.get(id);
    // The topology stream removes a node's edges first; should it not, they go here. Directed edges
    // into the node have no arc in its row: found by a scan, needed only when there are some.
    while (this.rowLen[i]! > 0) this.removeEdgeSlot(this.arcEdge[this.rowStart[i]!]!);
    if (this.inDirected[i]! > 0) {
      for (let s = 0; s < this.edgeTop; s++) if (this.edgeKeys[s] !== undefined && this.edgeDst[s] === i) this.removeEdgeSlot(s);
    }
    this.holes += this.rowCap[i]!;
    this.rowCap[i] = 0;
    this.rowStart[i] = 0;
    this.alive[i] = 0;
    this.indexOfId.delete(id);
    this.freeIndices.push(i);
  }

  private addEdge(e: TopologyEdge): void {
    this.addArcs(keyOf(e.id), this.indexOfId.get(e.source), this.indexOfId.get(e.target), e.weight, e.directed === true);
  }

  private addArcs(key: EdgeKey, s: number, t: number, w: number, directed: boolean): void {
    let slot = this.freeEdgeSlots.pop();
    if (slot === undefined) {
      slot = this.edgeTop++;
      this.ensureEdges(this.edgeTop);
    }
    if (typeof key === 'number') this.slotOfEdge.set(key, slot);
    else this.slotOfBigEdge.set(key, slot);
    this.placeEdge(slot, key, s, t, w, directed);
  }

  /** Fills edge slot `slot` (already indexed under `key`) and pushes its arcs: one if it is read directed, else two. */
  private placeEdge(slot: number, key: EdgeKey, s: number, t: number, w: number, directed: boolean): void {
    this.edgeSrc[slot] = s;
    this.edgeDst[slot] = t;
    this.edgeW[slot] = w;
    this.edgeKeys[slot] = key;
    this.edgeDir[slot] = directed ? 1 : 0;
    if (directed) this.directedLive++;
    const oneWay = directed && !this.bothWays;
    if (oneWay && s !== t) this.inDirected[t]!++;
    if (isBadWeight(w)) this.badEdges.add(slot);
    this.weightExponents.add(w, 1);
    this.edgeArc[slot] = this.pushArc(s, t, w, slot);
    this.edgeRev[slot] = !oneWay && s !== t ? this.pushArc(t, s, w, slot) : NO_ARC;
  }

  private removeEdgeSlot(slot: number): void {
    const rev = this.edgeRev[slot]!;
    // Remove the reverse arc first: removing the forward one may move it within the same row.
    if (rev !== NO_ARC) this.popArc(this.edgeDst[slot]!, rev);
    this.popArc(this.edgeSrc[slot]!, this.edgeArc[slot]!);
    if (this.edgeDir[slot] === 1) {
      this.directedLive--;
      if (!this.bothWays && this.edgeSrc[slot] !== this.edgeDst[slot]) this.inDirected[this.edgeDst[slot]!]!--;
    }
    const key = this.edgeKeys[slot]!;
    if (typeof key === 'number') this.slotOfEdge.delete(key);
    else this.slotOfBigEdge.delete(key);
    this.edgeKeys[slot] = undefined;
    this.badEdges.delete(slot);
    this.weightExponents.add(this.edgeW[slot]!, -1);
    this.freeEdgeSlots.push(slot);
  }

  private setWeight(slot: number, w: number): void {
    this.weightExponents.add(this.edgeW[slot]!, -1);
    this.weightExponents.add(w, 1);
    this.edgeW[slot] = w;
    this.weight[this.edgeArc[slot]!] = w;
    const rev = this.edgeRev[slot]!;
    if (rev !== NO_ARC) this.weight[rev] = w;
    if (isBadWeight(w)) this.badEdges.add(slot);
    else this.badEdges.delete(slot);
  }

  /** Appends an arc to row `r`, moving the row to the end when it is full; returns its position. */
  private pushArc(r: number, target: number, w: number, slot: number): number {
    const len = this.rowLen[r]!;
    if (len === this.rowCap[r]!) this.moveRow(r, Math.max(MIN_ROW, 2 * len));
    const at = this.rowStart[r]! + len;
    this.col[at] = target;
    this.weight[at] = w;
    this.arcEdge[at] = slot;
    this.rowLen[r] = len + 1;
    return at;
  }

  /** Removes the arc at `at` from row `r` by moving the row's last arc into its place. */
  private popArc(r: number, at: number): void {
    const last = this.rowStart[r]! + this.rowLen[r]! - 1;
    if (at !== last) {
      this.col[at] = this.col[last]!;
      this.weight[at] = this.weight[last]!;
      const moved = this.arcEdge[last]!;
      this.arcEdge[at] = moved;
      this.repoint(moved, last, at);
    }
    this.rowLen[r] = this.rowLen[r]! - 1;
  }

  private repoint(slot: number, from: number, to: number): void {
    if (this.edgeArc[slot] === from) this.edgeArc[slot] = to;
    else if (this.edgeRev[slot] === from) this.edgeRev[slot] = to;
  }

  private moveRow(r: number, cap: number): void {
    const from = this.rowStart[r]!;
    const len = this.rowLen[r]!;
    this.ensureArcs(this.arcTop + cap);
    const to = this.arcTop;
    this.col.copyWithin(to, from, from + len);
    this.weight.copyWithin(to, from, from + len);
    this.arcEdge.copyWithin(to, from, from + len);
    for (let k = 0; k < len; k++) this.repoint(this.arcEdge[to + k]!, from + k, to + k);
    this.holes += this.rowCap[r]!;
    this.rowStart[r] = to;
    this.rowCap[r] = cap;
    this.arcTop += cap;
  }

  /** Packs every row tight in index order (each keeps a little room), dropping the holes. */
  compact(): void {
    let total = 0;
    for (let i = 0; i < this.size; i++) total += this.rowLen[i]! + (this.rowLen[i]! >> 3);
    const col = sharedInt32(Math.max(64, total));
    const weight = sharedFloat64(col.length);
    const arcEdge = new Int32Array(col.length);
    // Old arc position -> new one, applied to the edges afterwards. Repointing edge by edge as rows
    // move would confuse old and new positions: an edge's second arc may sit, in old numbering,
    // where its first arc has just been moved to.
    const moved = new Int32Array(this.arcTop);
    let top = 0;
    for (let i = 0; i < this.size; i++) {
      const from = this.rowStart[i]!;
      const len = this.rowLen[i]!;
      col.set(this.col.subarray(from, from + len), top);
      weight.set(this.weight.subarray(from, from + len), top);
      arcEdge.set(this.arcEdge.subarray(from, from + len), top);
      for (let k = 0; k < len; k++) moved[from + k] = top + k;
      this.rowStart[i] = top;
      this.rowCap[i] = len + (len >> 3);
      top += this.rowCap[i]!;
    }
    for (let slot = 0; slot < this.edgeTop; slot++) {
      if (this.edgeKeys[slot] === undefined) continue;
      this.edgeArc[slot] = moved[this.edgeArc[slot]!]!;
      const rev = this.edgeRev[slot]!;
      if (rev !== NO_ARC) this.edgeRev[slot] = moved[rev]!;
    }
    this.col = col;
    this.weight = weight;
    this.arcEdge = arcEdge;
    this.arcTop = top;
    this.holes = 0;
  }

  /** Unused arc slots below arcTop: removed arcs' room plus moved rows' holes. */
  get slack(): number {
    let used = 0;
    for (let i = 0; i < this.size; i++) used += this.rowLen[i]!;
    return this.arcTop - used;
  }

  // ---- snapshots (tests, debugging, the reference) ------------------------------------------------

  /** The live edges, each once, as the topology would list them (direction as stored, whatever the reading). */
  edges(): TopologyEdge[] {
    const out: TopologyEdge[] = [];
    for (let s = 0; s < this.edgeTop; s++) {
      const key = this.edgeKeys[s];
      if (key === undefined) continue;
      const edge = { id: BigInt(key), source: this.idOf[this.edgeSrc[s]!]!, target: this.idOf[this.edgeDst[s]!]!, weight: this.edgeW[s]! };
      out.push(this.edgeDir[s] === 1 ? { ...edge, directed: true } : edge);
    }
    return out;
  }

  /** Live node ids in index order. */
  nodeIds(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.alive[i] === 1) out.push(this.idOf[i]!);
    return out;
  }

  // ---- growth -------------------------------------------------------------------------------------

  private ensureNodes(n: number): void {
    if (n <= this.rowStart.length) return;
    const cap = Math.max(n, 2 * this.rowStart.length);
    this.rowStart = growShared(this.rowStart, cap);
    this.rowLen = growShared(this.rowLen, cap);
    this.rowCap = grow(this.rowCap, cap);
    this.idOf = growShared(this.idOf, cap);
    this.alive = grow(this.alive, cap);
    this.inDirected = grow(this.inDirected, cap);
  }

  private ensureArcs(n: number): void {
    if (n <= this.col.length) return;
    const cap = Math.max(n, 2 * this.col.length);
    this.col = growShared(this.col, cap);
    this.weight = growShared(this.weight, cap);
    this.arcEdge = grow(this.arcEdge, cap);
  }

  private ensureEdges(n: number): void {
    if (n <= this.edgeSrc.length) return;
    const cap = Math.max(n, 2 * this.edgeSrc.length);
    this.edgeSrc = grow(this.edgeSrc, cap);
    this.edgeDst = grow(this.edgeDst, cap);
    this.edgeArc = grow(this.edgeArc, cap);
    this.edgeRev = grow(this.edgeRev, cap);
    this.edgeW = grow(this.edgeW, cap);
    this.edgeDir = grow(this.edgeDir, cap);
  }
}

function checkNodeId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new TopologyError(`node id ${id} is not a u32`);
}

type Typed = Int32Array | Uint32Array | Uint8Array | Float64Array;
function grow<T extends Typed>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

function sharedInt32(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

function sharedUint32(n: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(4 * n));
}

function sharedFloat64(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(8 * n));
}

/** grow() into a SharedArrayBuffer. */
function growShared<T extends Int32Array | Uint32Array | Float64Array>(a: T, cap: number): T {
  const b = (a instanceof Int32Array ? sharedInt32(cap) : a instanceof Uint32Array ? sharedUint32(cap) : sharedFloat64(cap)) as T;
  b.set(a);
  return b;
}

/** Runs a generator of work steps to its end in one go. */
function drain(work: Generator<void, void, void>): void {
  while (!work.next().done);
}

/** Runs a generator of work steps to its end, awaiting `yieldTo()` about every `sliceMs`. */
async function inSlices(work: Generator<void, void, void>, yieldTo: () => Promise<void>, sliceMs: number): Promise<void> {
  let sliceStart = performance.now();
  while (!work.next().done) {
    if (performance.now() - sliceStart < sliceMs) continue;
    await yieldTo();
    sliceStart = performance.now();
  }
}
