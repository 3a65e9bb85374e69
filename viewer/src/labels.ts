// Labels drawn over the canvas for the hovered and selected nodes, agents, the hubs (the nodes
// with the most edges: in a notes graph, its main pages) and the nodes nearest the orbit target,
// up to a limit from the settings. Titles come from the node details cache; an
// agent's label carries its status and current task. Text only (textContent), never markup.
import * as pc from 'playcanvas';
import type { NodeDetails } from './titles.ts';
import type { PositionStore } from './position-store.ts';

const screen = new pc.Vec3();
const world = new pc.Vec3();
const NEARBY = 12;
/** Past this many nodes the per-frame scan for the nearest is skipped (one pass, O(n·NEARBY) at worst). */
const NEARBY_SCAN_MAX = 50_000;

export class Labels {
  private readonly pool: HTMLDivElement[] = [];
  visible = true;
  maxVisible = 50;

  constructor(private readonly layer: HTMLElement) {}

  update(
    camera: pc.CameraComponent,
    store: PositionStore,
    details: NodeDetails,
    focus: readonly (number | undefined)[],
    agents: readonly number[],
    hubIds: readonly number[],
    target: pc.Vec3,
    caption: (id: number) => string | undefined,
  ): void {
    const wanted: number[] = [];
    const add = (id: number | undefined): void => {
      if (id !== undefined && !wanted.includes(id) && store.slotOf.has(id)) wanted.push(id);
    };
    if (this.visible) {
      for (const id of focus) add(id);
      for (const id of agents) if (wanted.length < this.maxVisible) add(id);
      for (const id of hubIds) if (wanted.length < this.maxVisible) add(id);
      if (store.count <= NEARBY_SCAN_MAX && wanted.length < this.maxVisible) {
        for (const id of nearest(store, target, NEARBY)) if (wanted.length < this.maxVisible) add(id);
      }
    }
    let used = 0;
    for (const id of wanted) {
      const p = store.positionOf(id);
      if (p === undefined) continue;
      world.set(p[0], p[1], p[2]);
      camera.worldToScreen(world, screen);
      if (screen.z <= 0) continue;
      const view = details.peek(id);
      const div = this.pool[used] ?? this.make();
      used++;
      const extra = caption(id);
      const title = view?.title ?? `#${id}`;
      const text = extra === undefined ? title : `${title} · ${extra}`;
      if (div.textContent !== text) div.textContent = text;
      div.className = `label${focus.includes(id) ? ' focus' : ''}${extra === undefined ? '' : ' agent'}`;
      div.style.transform = `translate(${Math.round(screen.x + 8)}px, ${Math.round(screen.y - 8)}px)`;
      div.style.display = '';
    }
    for (let i = used; i < this.pool.length; i++) this.pool[i]!.style.display = 'none';
  }

  private make(): HTMLDivElement {
    const div = document.createElement('div');
    div.className = 'label';
    this.layer.append(div);
    this.pool.push(div);
    return div;
  }
}

/** The `k` indices in [0, n) with the smallest keys, smallest first, in one pass (no sort of all). */
export function smallestK(n: number, key: (i: number) => number, k: number): number[] {
  const keys: number[] = [];
  const out: number[] = [];
  if (k <= 0) return out;
  for (let s = 0; s < n; s++) {
    const d = key(s);
    if (keys.length === k && d >= keys[k - 1]!) continue;
    let i = keys.length === k ? k - 1 : keys.length;
    while (i > 0 && keys[i - 1]! > d) {
      keys[i] = keys[i - 1]!;
      out[i] = out[i - 1]!;
      i--;
    }
    keys[i] = d;
    out[i] = s;
  }
  return out;
}

/** The ids of the `k` nodes drawn nearest `target`, nearest first. */
export function nearest(store: Pick<PositionStore, 'count' | 'display' | 'ids'>, target: { x: number; y: number; z: number }, k: number): number[] {
  const p = store.display;
  return smallestK(store.count, (s) => (p[3 * s]! - target.x) ** 2 + (p[3 * s + 1]! - target.y) ** 2 + (p[3 * s + 2]! - target.z) ** 2, k).map((s) => store.ids[s]!);
}

/** The ids of the `k` nodes with the most edges (ties: the smaller id), most first; nodes without edges are never hubs. */
export function hubs(degree: ReadonlyMap<number, number>, k: number): number[] {
  const ids = [...degree.keys()].filter((id) => degree.get(id)! > 0);
  return smallestK(ids.length, (i) => -degree.get(ids[i]!)! * 2 ** 32 + ids[i]!, k).map((i) => ids[i]!);
}
