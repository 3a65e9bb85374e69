// Shortest paths as the viewer shows them: the distances from a picked source (colouring every
// reached node along the ramp) and the path from the source to a picked target (parent links).
import type { SsspResultT } from '../../src/protocol/index.ts';
import { BUCKET, RAMP_STEPS } from './colours.ts';

export class SsspState {
  source: number | undefined;
  target: number | undefined;
  private distance = new Map<number, number>();
  private parent = new Map<number, number>();
  private maxDistance = 0;
  readonly path = new Set<number>();
  /** Bumped on every change, for whoever caches a colouring. */
  version = 0;

  /** Asks for distances from `source` (the caller sends the request). */
  pickSource(source: number): void {
    this.source = source;
    this.target = undefined;
    this.distance.clear();
    this.parent.clear();
    this.path.clear();
    this.version++;
  }

  clear(): void {
    this.source = undefined;
    this.target = undefined;
    this.distance.clear();
    this.parent.clear();
    this.path.clear();
    this.version++;
  }

  get hasResult(): boolean {
    return this.distance.size > 0;
  }

  accept(result: SsspResultT): void {
    if (result.source !== this.source) return;
    // Another client's query that stopped at its targets: this viewer asked for the whole tree.
    if (!result.complete) return;
    this.distance.clear();
    this.parent.clear();
    this.maxDistance = 0;
    result.nodes.forEach((id, i) => {
      const d = result.distances[i] ?? Infinity;
      if (!Number.isFinite(d)) return;
      this.distance.set(id, d);
      this.parent.set(id, result.parents[i] ?? id);
      this.maxDistance = Math.max(this.maxDistance, d);
    });
    if (this.target !== undefined) this.pickTarget(this.target);
    this.version++;
  }

  distanceOf(id: number): number | undefined {
    return this.distance.get(id);
  }

  /** Highlights the path from the source to `target`; false when it is not reachable. */
  pickTarget(target: number): boolean {
    this.target = target;
    this.path.clear();
    this.version++;
    if (!this.distance.has(target)) return false;
    let at = target;
    for (let guard = 0; guard <= this.distance.size; guard++) {
      this.path.add(at);
      const p = this.parent.get(at);
      if (p === undefined || p === at) break;
      at = p;
    }
    return this.path.has(this.source ?? -1);
  }

  /** The bucket a node is drawn in while a result is shown; undefined: no result. */
  bucketOf(id: number): number | undefined {
    if (!this.hasResult) return undefined;
    if (id === this.source) return BUCKET.source;
    if (this.path.has(id)) return BUCKET.path;
    const d = this.distance.get(id);
    if (d === undefined) return BUCKET.unreachable;
    const step = this.maxDistance === 0 ? 0 : Math.min(RAMP_STEPS - 1, Math.floor((d / this.maxDistance) * RAMP_STEPS));
    return BUCKET.ramp + step;
  }
}
