// What the eye is drawn to: the focused node (the hovered one, else the selected one), its edges and
// its neighbours stand out and the rest of the graph dims; in isolate mode only the selected node's
// neighbourhood within `hops` edges is drawn at all. Recomputed when the focus or the drawn graph
// changes, never per frame.
import type { PositionStore } from './position-store.ts';
import type { VisibleGraph } from './visible-graph.ts';

/** Most nodes an isolated neighbourhood holds (a hub's 3-hop neighbourhood can be the whole graph). */
export const MAX_ISOLATED = 20_000;
export const MAX_HOPS = 3;

export type FocusState = 'focus' | 'near' | 'dim' | 'normal' | 'hidden';

export class Focus {
  isolate = false;
  hops = 1;
  private focusId: number | undefined;
  private near = new Set<number>();
  private isolated: Set<number> | undefined;
  private builtFor = '';
  /** Slot pairs of the focused node's edges. */
  litPairs = new Int32Array(0);
  /** Slot pairs of the drawn edges inside the isolated neighbourhood (isolate mode only). */
  isolatedPairs: Int32Array | undefined;
  /** Bumped whenever any node's state may have changed. */
  version = 0;

  /** Once per rendered frame: cheap unless something changed. */
  update(hovered: number | undefined, selected: number | undefined, graph: VisibleGraph, store: PositionStore): void {
    const focus = hovered ?? selected;
    const key = `${focus}/${selected}/${this.isolate ? this.hops : 0}/${graph.version}/${store.tables}`;
    if (key === this.builtFor) return;
    this.builtFor = key;
    this.version++;
    this.focusId = focus;
    this.near = new Set(focus === undefined ? [] : [focus, ...graph.neighbours(focus)]);
    const lit: number[] = [];
    const from = focus === undefined ? undefined : store.slotOf.get(focus);
    if (focus !== undefined && from !== undefined) {
      for (const n of graph.neighbours(focus)) {
        const to = store.slotOf.get(n);
        if (to !== undefined) lit.push(from, to);
      }
    }
    this.litPairs = Int32Array.from(lit);
    this.isolated = this.isolate && selected !== undefined ? neighbourhood(selected, this.hops, graph) : undefined;
    if (this.isolated === undefined) this.isolatedPairs = undefined;
    else {
      const inside = this.isolated;
      const ids = store.ids;
      const pairs = graph.pairs;
      const kept: number[] = [];
      for (let i = 0; i < pairs.length; i += 2)
        if (inside.has(ids[pairs[i]!]!) && inside.has(ids[pairs[i + 1]!]!)) kept.push(pairs[i]!, pairs[i + 1]!);
      this.isolatedPairs = Int32Array.from(kept);
    }
  }

  /** Whether anything is focused (the rest of the graph is dimmed). */
  get active(): boolean {
    return this.focusId !== undefined;
  }

  /** The isolated neighbourhood, when isolate mode is on and a node is selected. */
  get isolatedSet(): ReadonlySet<number> | undefined {
    return this.isolated;
  }

  state(id: number): FocusState {
    if (this.isolated !== undefined && !this.isolated.has(id)) return 'hidden';
    if (this.focusId === undefined) return 'normal';
    if (id === this.focusId) return 'focus';
    return this.near.has(id) ? 'near' : 'dim';
  }
}

/** The nodes within `hops` drawn edges of `start` (start included), breadth first, capped. */
export function neighbourhood(start: number, hops: number, graph: Pick<VisibleGraph, 'neighbours'>): Set<number> {
  const seen = new Set<number>([start]);
  let frontier = [start];
  for (let h = 0; h < hops && frontier.length > 0 && seen.size < MAX_ISOLATED; h++) {
    const next: number[] = [];
    for (const id of frontier) {
      for (const n of graph.neighbours(id)) {
        if (seen.has(n)) continue;
        seen.add(n);
        next.push(n);
        if (seen.size >= MAX_ISOLATED) break;
      }
    }
    frontier = next;
  }
  return seen;
}
