// Labels drawn over the canvas, chosen the way a map chooses its place names: the nodes that must
// be named (hovered, selected, search hits, a path's hops, the path's ends) always are; then the
// most important nodes (most links on the drawn graph) and the nodes nearest the orbit target, each
// only once it is drawn large enough on screen, fading in as the camera comes closer (the more
// important, the sooner); and none where it would cover another label: each is tried right, left,
// above and below its node and left out where all four collide. At most maxVisible besides the
// ones that must be named. Titles come from the node details cache; an agent's label carries its
// status and task. Text only (textContent), never markup.
import * as pc from 'playcanvas';
import type { PositionStore } from './position-store.ts';
import type { NodeDetails } from './titles.ts';

const screen = new pc.Vec3();
const world = new pc.Vec3();
const NEARBY = 16;
/** Past this many nodes the per-frame scan for the nearest is skipped (O(n·NEARBY) at worst). */
const NEARBY_SCAN_MAX = 100_000;
/** Ranked candidates looked at per frame. */
export const RANKED = 400;
const HEIGHT = 17;
const CELL = 64;
/** The labels' font (viewer.css .label, .label.focus) and their padding, for measuring. */
const FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
const PADDING = 12;
/** Widths measured and kept; past this many the cache starts over. */
const MEASURED_MAX = 10_000;

const widths = new Map<string, number>();
let measurer: CanvasRenderingContext2D | null | undefined;

/** A label's width in CSS pixels, as the browser lays the text out. */
export function labelWidth(text: string, bold: boolean): number {
  const key = bold ? `b${text}` : `n${text}`;
  let w = widths.get(key);
  if (w === undefined) {
    measurer ??= document.createElement('canvas').getContext('2d');
    if (measurer === null) w = text.length * 6.8;
    else {
      measurer.font = bold ? `600 ${FONT}` : FONT;
      w = measurer.measureText(text).width;
    }
    if (widths.size >= MEASURED_MAX) widths.clear();
    widths.set(key, w);
  }
  return w + PADDING;
}

export interface LabelInputs {
  readonly camera: pc.CameraComponent;
  readonly store: PositionStore;
  readonly details: NodeDetails;
  /** Named whatever the space: hovered, selected, search hits, the path. */
  readonly always: readonly number[];
  /** Named when they fit, best first (agents, then the most linked). */
  readonly ranked: readonly number[];
  readonly target: pc.Vec3;
  /** A node's radius in world units. */
  radiusOf(id: number): number;
  /** Whether a node may be labelled at all (not hidden, not dimmed). */
  labelled(id: number): boolean;
  caption(id: number): string | undefined;
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export class Labels {
  private readonly pool: {
    div: HTMLDivElement;
    last: Record<'text' | 'className' | 'id' | 'transform' | 'width' | 'opacity' | 'display', string>;
  }[] = [];
  visible = true;
  maxVisible = 50;
  /** What the last frame placed, for tests and the PNG export: id, text, box, opacity. */
  placed: { id: number; text: string; x: number; y: number; w: number; h: number; opacity: number; always: boolean }[] = [];

  constructor(private readonly layer: HTMLElement) {}

  update(input: LabelInputs): void {
    const { camera, store, details } = input;
    this.placed = [];
    const device = camera.system.app.graphicsDevice;
    const width = device.clientRect.width;
    const height = device.clientRect.height;
    const pixelsPerUnit = height / (2 * Math.tan((camera.fov * Math.PI) / 360));
    const eye = camera.entity.getPosition();
    const grid = new Map<number, Rect[]>();
    const cellKeys = (r: Rect): number[] => {
      const keys: number[] = [];
      for (let cx = Math.floor(r.x / CELL); cx <= Math.floor((r.x + r.w) / CELL); cx++) {
        for (let cy = Math.floor(r.y / CELL); cy <= Math.floor((r.y + r.h) / CELL); cy++) keys.push(cx * 65_536 + cy);
      }
      return keys;
    };
    const collides = (r: Rect): boolean =>
      cellKeys(r).some((k) => (grid.get(k) ?? []).some((o) => r.x < o.x + o.w && o.x < r.x + r.w && r.y < o.y + o.h && o.y < r.y + r.h));
    const occupy = (r: Rect): void => {
      for (const k of cellKeys(r)) {
        let list = grid.get(k);
        if (list === undefined) grid.set(k, (list = []));
        list.push(r);
      }
    };
    const seen = new Set<number>();
    let optional = 0;
    const consider = (id: number, always: boolean, importance: number): void => {
      if (seen.has(id)) return;
      seen.add(id);
      if (!always && (optional >= this.maxVisible || !input.labelled(id))) return;
      const p = store.positionOf(id);
      if (p === undefined) return;
      world.set(p[0], p[1], p[2]);
      camera.worldToScreen(world, screen);
      if (screen.z <= 0 || screen.x < -50 || screen.y < -20 || screen.x > width + 50 || screen.y > height + 20) return;
      const distance = Math.max(1e-3, world.distance(eye));
      const rPx = (input.radiusOf(id) * pixelsPerUnit) / distance;
      // Fade in with the node's size on screen; important nodes are named from further away.
      const opacity = always ? 1 : Math.min(1, Math.max(0, (rPx * (0.6 + 2.4 * importance) - 2.2) / 2.5));
      if (opacity < 0.08) return;
      const view = details.peek(id);
      const extra = input.caption(id);
      const title = view?.title ?? `#${id}`;
      const text = extra === undefined ? title : `${title} · ${extra}`;
      const w = Math.min(extra === undefined ? 232 : 332, labelWidth(text, always));
      const gap = rPx + 4;
      const spots: Rect[] = [
        { x: screen.x + gap, y: screen.y - HEIGHT / 2, w, h: HEIGHT },
        { x: screen.x - gap - w, y: screen.y - HEIGHT / 2, w, h: HEIGHT },
        { x: screen.x - w / 2, y: screen.y - gap - HEIGHT, w, h: HEIGHT },
        { x: screen.x - w / 2, y: screen.y + gap, w, h: HEIGHT },
      ];
      let spot = spots.find((r) => !collides(r));
      if (spot === undefined) {
        if (!always) return;
        spot = spots[0]!;
      }
      occupy(spot);
      if (!always) optional++;
      this.placed.push({ id, text, x: spot.x, y: spot.y, w: spot.w, h: spot.h, opacity, always });
    };
    if (this.visible) {
      for (const id of input.always) consider(id, true, 1);
      const ranked = input.ranked;
      ranked.forEach((id, i) => consider(id, false, 1 - i / Math.max(1, ranked.length)));
      if (store.count <= NEARBY_SCAN_MAX && optional < this.maxVisible)
        for (const id of nearest(store, input.target, NEARBY)) consider(id, false, 0.5);
    } else {
      for (const id of input.always) consider(id, true, 1);
    }
    this.draw(input);
  }

  /** Writes only what changed since the last frame: every style write costs the page a restyle. */
  private draw(input: LabelInputs): void {
    let used = 0;
    for (const label of this.placed) {
      const slot = this.pool[used] ?? this.make();
      used++;
      const { div, last } = slot;
      if (last.text !== label.text) div.textContent = last.text = label.text;
      const agent = input.caption(label.id) !== undefined;
      const className = `label${label.always ? ' focus' : ''}${agent ? ' agent' : ''}`;
      if (last.className !== className) div.className = last.className = className;
      const id = String(label.id);
      if (last.id !== id) div.dataset.id = last.id = id;
      const transform = `translate(${Math.round(label.x)}px, ${Math.round(label.y)}px)`;
      if (last.transform !== transform) div.style.transform = last.transform = transform;
      // The box it was placed as: text that runs longer ends in an ellipsis, never over a neighbour.
      const width = `${Math.floor(label.w)}px`;
      if (last.width !== width) div.style.width = last.width = width;
      const opacity = label.opacity >= 0.99 ? '' : label.opacity.toFixed(2);
      if (last.opacity !== opacity) div.style.opacity = last.opacity = opacity;
      if (last.display !== '') div.style.display = last.display = '';
    }
    for (let i = used; i < this.pool.length; i++) {
      const { div, last } = this.pool[i]!;
      if (last.display !== 'none') div.style.display = last.display = 'none';
    }
  }

  private make(): {
    div: HTMLDivElement;
    last: Record<'text' | 'className' | 'id' | 'transform' | 'width' | 'opacity' | 'display', string>;
  } {
    const div = document.createElement('div');
    div.className = 'label';
    this.layer.append(div);
    const slot = { div, last: { text: '', className: 'label', id: '', transform: '', width: '', opacity: '', display: '' } };
    this.pool.push(slot);
    return slot;
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
export function nearest(
  store: Pick<PositionStore, 'count' | 'display' | 'ids'>,
  target: { x: number; y: number; z: number },
  k: number,
): number[] {
  const p = store.display;
  return smallestK(
    store.count,
    (s) => (p[3 * s]! - target.x) ** 2 + (p[3 * s + 1]! - target.y) ** 2 + (p[3 * s + 2]! - target.z) ** 2,
    k,
  ).map((s) => store.ids[s]!);
}

/** The ids of the `k` nodes with the most edges (ties: the smaller id), most first; nodes without edges are never hubs. */
export function hubs(degree: ReadonlyMap<number, number>, k: number): number[] {
  const ids = [...degree.keys()].filter((id) => degree.get(id)! > 0);
  return smallestK(ids.length, (i) => -degree.get(ids[i]!)! * 2 ** 32 + ids[i]!, k).map((i) => ids[i]!);
}

/** The shown ids ranked by `degreeOf`, most first (ties: the smaller id), the top `k`. */
export function ranked(ids: ArrayLike<number>, degreeOf: (id: number) => number, k: number): number[] {
  return smallestK(ids.length, (i) => -degreeOf(ids[i]!) * 2 ** 32 + ids[i]!, k).map((i) => ids[i]!);
}
