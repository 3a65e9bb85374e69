// Shortest paths as the viewer shows them: the distances from a picked source (colouring every
// reached node along the ramp) and the path from the source to a picked target (parent links).
// Directed edges are followed one way unless the user asks to ignore direction: on a graph of
// references (a Logseq page links to another, not back) that is what makes "distances from here"
// reach the pages that link to this one.
import { SsspRequestT, type SsspResultT } from '../../src/protocol/index.ts';
import { BUCKET, RAMP_STEPS } from './colours.ts';

export class SsspState {
  source: number | undefined;
  target: number | undefined;
  /** Follow every edge both ways (the request's `undirected`). */
  ignoreDirection = false;
  /** The seq of the request whose answer is wanted: an answer to an earlier one (another reading, another source) is stale. */
  private awaiting: number | undefined;
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

  /** The request for the current source, in the current reading. */
  request(): SsspRequestT | undefined {
    return this.source === undefined ? undefined : new SsspRequestT(this.source, 0, [], this.ignoreDirection);
  }

  /** The request was sent with `seq` (0: not sent, the connection is down): only its answer is taken. */
  sent(seq: number): void {
    this.awaiting = seq > 0 ? seq : undefined;
  }

  /**
   * Switches the reading; true when there is a source to ask again for (the caller sends
   * request()). The distances shown stay until the new answer replaces them, the path too.
   */
  setIgnoreDirection(on: boolean): boolean {
    if (this.ignoreDirection === on) return false;
    this.ignoreDirection = on;
    this.version++;
    return this.source !== undefined;
  }

  clear(): void {
    this.awaiting = undefined;
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

  /** `answerTo`: the answer's correlation id, when it is known. */
  accept(result: SsspResultT, answerTo?: number): void {
    if (result.source !== this.source) return;
    if (answerTo !== undefined && this.awaiting !== undefined && answerTo !== this.awaiting) return;
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

  /** The path's nodes from the start to the end, when a path is shown. */
  pathInOrder(): number[] {
    if (this.target === undefined || this.path.size === 0) return [];
    const out: number[] = [];
    let at = this.target;
    for (let guard = 0; guard <= this.path.size; guard++) {
      out.push(at);
      const p = this.parent.get(at);
      if (p === undefined || p === at) break;
      at = p;
    }
    return out.reverse();
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
