// The state the physics actor owns: which node sits in which slot, positions and velocities, edges,
// pins and constraints, and the per-node and per-spring coefficients derived from the parameters.
// Nodes are appended and swap-removed, so slots stay dense; every change of the slot order bumps
// `epoch` (the id table of the position stream). The step arrays live in a SimBuffers that grows
// by reallocation (`generation` bumps) and is rebuilt lazily by prepare() before a step.
import type { TopologyEdge, TopologyNode, Vec3 } from '../graph/topology.ts';
import { allocSimBuffers, type SimBuffers } from './buffers.ts';
import type { GroupParams, PhysicsParams } from './params.ts';

export interface DistanceConstraint {
  readonly id: string;
  readonly a: number;
  readonly b: number;
  /** The pair is pushed apart below `min` and pulled together beyond `max`. */
  readonly min: number;
  readonly max: number;
  /** Defaults to the parameters' constraintStiffness. */
  readonly stiffness?: number;
}

export interface PositionConstraint {
  readonly position: Vec3;
  /** Defaults to the parameters' constraintStiffness. */
  readonly stiffness?: number;
}

/** What one subscriber frame carries: arrays are copies, never written again. */
export interface LayoutSnapshot {
  readonly epoch: number;
  /** Completed simulation ticks when it was taken. */
  readonly tick: number;
  /** Frame index i stands for node ids[i] (shared by all snapshots of one epoch). */
  readonly ids: Uint32Array;
  readonly positions: Float32Array;
  readonly velocities: Float32Array;
}

const SPRING_KNOWLEDGE = 0;
const SPRING_AGENT = 1;
const SPRING_CONSTRAINT = 2;
/** k * dt^2 / m stays below this per node, so explicit integration cannot blow up, however heavy the weights. */
const STABLE_KDT2 = 0.5;

/** A weight as a spring sees it: clamped to [0, max]; +Infinity is max, NaN and negatives are 1 and 0. */
export function sanitizeWeight(w: number, max: number): number {
  if (Number.isNaN(w)) return 1;
  return Math.min(max, Math.max(0, w));
}

function finiteVec(v: Vec3 | undefined): v is Vec3 {
  return v !== undefined && Number.isFinite(v.x) && Number.isFinite(v.y) && Number.isFinite(v.z);
}

export class Layout {
  epoch = 0;
  /** Bumped when coefficients or springs changed (the GPU engine re-uploads them). */
  structureVersion = 0;
  /** Bumped when positions or velocities were written outside a step (the GPU engine re-uploads them). */
  positionsVersion = 0;

  private buf: SimBuffers;
  private count = 0;
  private ids = new Uint32Array(0);
  private isAgent = new Uint8Array(0);
  private readonly slotOf = new Map<number, number>();
  private readonly edges = new Map<bigint, TopologyEdge>();
  private readonly distance = new Map<string, DistanceConstraint>();
  private readonly anchors = new Map<number, PositionConstraint>();
  private readonly pins = new Set<number>();
  private springCount = 0;
  private springClass = new Uint8Array(0);
  /** Edge weight (sanitized) or a constraint's own stiffness (NaN: the default). */
  private springW = new Float32Array(0);
  private springsDirty = true;
  private coefficientsFor: PhysicsParams | undefined;
  private idsCache: { epoch: number; ids: Uint32Array } | undefined;

  constructor(
    private readonly random: () => number,
    /** Radius scale for nodes that arrive without a position. */
    public placementScale = 10,
  ) {
    this.buf = allocSimBuffers(16, 64, 0);
    this.growHostArrays(16);
  }

  get n(): number {
    return this.count;
  }

  get edgeCount(): number {
    return this.edges.size;
  }

  get buffers(): SimBuffers {
    return this.buf;
  }

  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  slot(id: number): number | undefined {
    return this.slotOf.get(id);
  }

  idAt(slot: number): number {
    return this.ids[slot]!;
  }

  isPinned(id: number): boolean {
    return this.pins.has(id);
  }

  position(id: number): Vec3 | undefined {
    const s = this.slotOf.get(id);
    if (s === undefined) return undefined;
    const p = this.buf.pos;
    return { x: p[3 * s]!, y: p[3 * s + 1]!, z: p[3 * s + 2]! };
  }

  // ---- topology -----------------------------------------------------------------------------------

  clear(): void {
    this.count = 0;
    this.slotOf.clear();
    this.edges.clear();
    this.distance.clear();
    this.anchors.clear();
    this.pins.clear();
    this.epoch++;
    this.springsDirty = true;
    this.positionsVersion++;
  }

  addNodes(nodes: readonly TopologyNode[]): void {
    const fresh = nodes.filter((node) => !this.slotOf.has(node.id)).length;
    this.ensureCapacity(this.count + fresh);
    const { pos, vel, pinned } = this.buf;
    let added = false;
    for (const node of nodes) {
      let s = this.slotOf.get(node.id);
      if (s === undefined) {
        s = this.count++;
        this.slotOf.set(node.id, s);
        this.ids[s] = node.id;
        added = true;
        const p = finiteVec(node.position) ? node.position : this.placement();
        pos[3 * s] = p.x;
        pos[3 * s + 1] = p.y;
        pos[3 * s + 2] = p.z;
        vel.fill(0, 3 * s, 3 * s + 3);
        pinned[s] = 0;
      } else if (finiteVec(node.position)) {
        this.setPosition(s, node.position);
      }
      const agent = node.kind === 'agent' ? 1 : 0;
      if (this.isAgent[s] !== agent) this.springsDirty = true;
      this.isAgent[s] = agent;
    }
    if (added) {
      this.epoch++;
      this.springsDirty = true;
    }
    this.positionsVersion++;
  }

  removeNodes(ids: readonly number[]): void {
    const { pos, vel, pinned } = this.buf;
    let removed = false;
    for (const id of ids) {
      const s = this.slotOf.get(id);
      if (s === undefined) continue;
      removed = true;
      this.slotOf.delete(id);
      this.pins.delete(id);
      this.anchors.delete(id);
      const last = --this.count;
      if (s !== last) {
        const lastId = this.ids[last]!;
        this.ids[s] = lastId;
        this.isAgent[s] = this.isAgent[last]!;
        pos.copyWithin(3 * s, 3 * last, 3 * last + 3);
        vel.copyWithin(3 * s, 3 * last, 3 * last + 3);
        pinned[s] = pinned[last]!;
        this.slotOf.set(lastId, s);
      }
    }
    if (!removed) return;
    for (const [key, c] of this.distance) if (!this.slotOf.has(c.a) || !this.slotOf.has(c.b)) this.distance.delete(key);
    this.epoch++;
    this.springsDirty = true;
    this.positionsVersion++;
  }

  moveNodes(nodes: readonly { readonly id: number; readonly position: Vec3 }[]): void {
    for (const node of nodes) {
      const s = this.slotOf.get(node.id);
      if (s !== undefined && finiteVec(node.position)) this.setPosition(s, node.position);
    }
    this.positionsVersion++;
  }

  addEdges(edges: readonly TopologyEdge[]): void {
    for (const e of edges) this.edges.set(e.id, e);
    if (edges.length > 0) this.springsDirty = true;
  }

  /** Every edge replaced by `edges` (a topology reset). */
  replaceEdges(edges: readonly TopologyEdge[]): void {
    this.edges.clear();
    this.springsDirty = true;
    this.addEdges(edges);
  }

  /** Every node id, in slot order. */
  nodeIds(): number[] {
    return Array.from(this.ids.subarray(0, this.count));
  }

  removeEdges(ids: readonly bigint[]): void {
    for (const id of ids) if (this.edges.delete(id)) this.springsDirty = true;
  }

  setWeights(changes: readonly { readonly id: bigint; readonly weight: number }[]): void {
    for (const c of changes) {
      const e = this.edges.get(c.id);
      if (e === undefined) continue;
      this.edges.set(c.id, { ...e, weight: c.weight });
      this.springsDirty = true;
    }
  }

  // ---- pins and constraints -----------------------------------------------------------------------

  /** Pins a node (optionally moving it first); false when the node is unknown. */
  pin(id: number, position?: Vec3): boolean {
    const s = this.slotOf.get(id);
    if (s === undefined) return false;
    if (finiteVec(position)) this.setPosition(s, position);
    this.pins.add(id);
    this.buf.pinned[s] = 1;
    this.buf.vel.fill(0, 3 * s, 3 * s + 3);
    this.positionsVersion++;
    this.structureVersion++;
    return true;
  }

  unpin(id: number): boolean {
    const s = this.slotOf.get(id);
    if (s === undefined || !this.pins.delete(id)) return false;
    this.buf.pinned[s] = 0;
    this.structureVersion++;
    return true;
  }

  pinnedIds(): number[] {
    return [...this.pins];
  }

  setPositionConstraint(id: number, c: PositionConstraint | undefined): void {
    if (c === undefined) this.anchors.delete(id);
    else if (finiteVec(c.position)) this.anchors.set(id, c);
    this.coefficientsFor = undefined;
  }

  setDistanceConstraint(c: DistanceConstraint): void {
    if (!(c.min >= 0 && c.max >= c.min && Number.isFinite(c.max)))
      throw new RangeError('a distance constraint needs 0 <= min <= max < Infinity');
    this.distance.set(c.id, c);
    this.springsDirty = true;
  }

  removeDistanceConstraint(id: string): void {
    if (this.distance.delete(id)) this.springsDirty = true;
  }

  // ---- the step arrays ----------------------------------------------------------------------------

  /** Brings springs and coefficients up to date for `params`; cheap when nothing changed. */
  prepare(params: PhysicsParams): SimBuffers {
    if (this.springsDirty) this.rebuildSprings();
    if (this.springsDirty || this.coefficientsFor !== params) {
      this.computeCoefficients(params);
      this.coefficientsFor = params;
      this.structureVersion++;
    }
    this.springsDirty = false;
    return this.buf;
  }

  get springs(): number {
    return this.springCount;
  }

  /** Copies of the current positions and velocities, with the id table of this epoch. */
  snapshot(tick: number): LayoutSnapshot {
    const n = this.count;
    if (this.idsCache?.epoch !== this.epoch) this.idsCache = { epoch: this.epoch, ids: this.ids.slice(0, n) };
    return {
      epoch: this.epoch,
      tick,
      ids: this.idsCache.ids,
      positions: this.buf.pos.slice(0, 3 * n),
      velocities: this.buf.vel.slice(0, 3 * n),
    };
  }

  // ---- internals ----------------------------------------------------------------------------------

  private setPosition(s: number, p: Vec3): void {
    const { pos, vel } = this.buf;
    pos[3 * s] = p.x;
    pos[3 * s + 1] = p.y;
    pos[3 * s + 2] = p.z;
    vel.fill(0, 3 * s, 3 * s + 3);
  }

  private placement(): Vec3 {
    // Uniform in a ball whose volume grows with the node count: new nodes neither pile up nor
    // land far away. Never two at the same point, so repulsion has a direction from the start.
    const r = this.placementScale * Math.cbrt(this.count + 1) * Math.cbrt(this.random());
    const zc = 2 * this.random() - 1;
    const phi = 2 * Math.PI * this.random();
    const rho = Math.sqrt(Math.max(0, 1 - zc * zc));
    return { x: r * rho * Math.cos(phi), y: r * rho * Math.sin(phi), z: r * zc };
  }

  private ensureCapacity(nodes: number, springs = this.buf.springCapacity): void {
    const b = this.buf;
    if (nodes <= b.capacity && springs <= b.springCapacity) return;
    const capacity = nodes <= b.capacity ? b.capacity : Math.max(nodes, Math.ceil(b.capacity * 1.5));
    const springCapacity = springs <= b.springCapacity ? b.springCapacity : Math.max(springs, Math.ceil(b.springCapacity * 1.5));
    const next = allocSimBuffers(capacity, springCapacity, b.generation + 1);
    next.pos.set(b.pos.subarray(0, 3 * this.count));
    next.vel.set(b.vel.subarray(0, 3 * this.count));
    next.pinned.set(b.pinned.subarray(0, this.count));
    this.buf = next;
    this.growHostArrays(capacity);
    this.springsDirty = true;
    this.positionsVersion++;
  }

  private growHostArrays(capacity: number): void {
    if (this.ids.length >= capacity) return;
    const ids = new Uint32Array(capacity);
    ids.set(this.ids);
    this.ids = ids;
    const agent = new Uint8Array(capacity);
    agent.set(this.isAgent);
    this.isAgent = agent;
  }

  private rebuildSprings(): void {
    const n = this.count;
    const maxPairs = this.edges.size + this.distance.size;
    const ends = new Int32Array(2 * maxPairs);
    const w = new Float32Array(maxPairs);
    const cls = new Uint8Array(maxPairs);
    const lo = new Float32Array(maxPairs);
    const hi = new Float32Array(maxPairs);
    let pairs = 0;
    for (const e of this.edges.values()) {
      const a = this.slotOf.get(e.source);
      const b = this.slotOf.get(e.target);
      if (a === undefined || b === undefined || a === b) continue;
      ends[2 * pairs] = a;
      ends[2 * pairs + 1] = b;
      w[pairs] = e.weight;
      cls[pairs] = this.isAgent[a] === 1 || this.isAgent[b] === 1 ? SPRING_AGENT : SPRING_KNOWLEDGE;
      pairs++;
    }
    for (const c of this.distance.values()) {
      const a = this.slotOf.get(c.a);
      const b = this.slotOf.get(c.b);
      if (a === undefined || b === undefined || a === b) continue;
      ends[2 * pairs] = a;
      ends[2 * pairs + 1] = b;
      w[pairs] = c.stiffness ?? NaN;
      cls[pairs] = SPRING_CONSTRAINT;
      lo[pairs] = c.min;
      hi[pairs] = c.max;
      pairs++;
    }
    this.ensureCapacity(n, 2 * pairs);
    const { springStart, springTo, springLo, springHi, pinned } = this.buf;
    if (this.springClass.length < this.buf.springCapacity) {
      this.springClass = new Uint8Array(this.buf.springCapacity);
      this.springW = new Float32Array(this.buf.springCapacity);
    }
    const springClass = this.springClass;
    const springW = this.springW;
    springStart.fill(0, 0, n + 1);
    for (let e = 0; e < 2 * pairs; e++) springStart[ends[e]! + 1]!++;
    for (let i = 0; i < n; i++) springStart[i + 1]! += springStart[i]!;
    const cursor = springStart.slice(0, n);
    for (let e = 0; e < 2 * pairs; e++) {
      const from = ends[e]!;
      const to = ends[e ^ 1]!;
      const pair = e >> 1;
      const at = cursor[from]!++;
      springTo[at] = to;
      springClass[at] = cls[pair]!;
      springW[at] = w[pair]!;
      springLo[at] = lo[pair]!;
      springHi[at] = hi[pair]!;
    }
    this.springCount = 2 * pairs;
    for (let i = 0; i < n; i++) pinned[i] = this.pins.has(this.ids[i]!) ? 1 : 0;
  }

  private computeCoefficients(p: PhysicsParams): void {
    const n = this.count;
    const { charge, mass, gravity, anchor, springStart, springTo, springK, springLo, springHi } = this.buf;
    const dt2 = p.timeStep * p.timeStep;
    const group = (s: number): GroupParams => (this.isAgent[s] === 1 ? p.agent : p.knowledge);
    for (let i = 0; i < n; i++) {
      const g = group(i);
      const degree = springStart[i + 1]! - springStart[i]!;
      const m = g.mass * (1 + degree / 3);
      mass[i] = m;
      charge[i] = g.charge;
      gravity[i] = g.gravity * m;
      anchor[4 * i + 3] = 0;
    }
    // Per spring: the stiffness the group and weight ask for, capped so that the springs of a node
    // together keep k dt^2 / m below STABLE_KDT2 (each of its `degree` springs gets its share).
    const share = (s: number): number => mass[s]! / Math.max(1, springStart[s + 1]! - springStart[s]!);
    for (let i = 0; i < n; i++) {
      for (let e = springStart[i]!; e < springStart[i + 1]!; e++) {
        const j = springTo[e]!;
        const cls = this.springClass[e]!;
        let k: number;
        if (cls === SPRING_CONSTRAINT) {
          const own = this.springW[e]!;
          k = Number.isNaN(own) ? p.constraintStiffness : Math.max(0, own);
        } else {
          const g = cls === SPRING_AGENT ? p.agent : p.knowledge;
          k = g.springStiffness * sanitizeWeight(this.springW[e]!, p.maxWeight);
          springLo[e] = g.springLength;
          springHi[e] = g.springLength;
        }
        const cap = (STABLE_KDT2 * Math.min(share(i), share(j))) / dt2;
        springK[e] = Number.isFinite(k) ? Math.min(k, cap) : cap;
      }
    }
    for (const [id, c] of this.anchors) {
      const s = this.slotOf.get(id);
      if (s === undefined) continue;
      const k = c.stiffness ?? p.constraintStiffness;
      const cap = (STABLE_KDT2 * mass[s]!) / dt2;
      anchor[4 * s] = c.position.x;
      anchor[4 * s + 1] = c.position.y;
      anchor[4 * s + 2] = c.position.z;
      anchor[4 * s + 3] = Number.isFinite(k) ? Math.min(Math.max(0, k), cap) : cap;
    }
  }
}
