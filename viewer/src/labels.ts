// Labels drawn over the canvas for the hovered and selected nodes, agents, and the nodes nearest
// the orbit target, up to a limit from the settings. Titles come from the node details cache; an
// agent's label carries its status and current task. Text only (textContent), never markup.
import * as pc from 'playcanvas';
import type { NodeDetails } from './titles.ts';
import type { PositionStore } from './position-store.ts';

const screen = new pc.Vec3();
const world = new pc.Vec3();
const NEARBY = 12;

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
      if (store.count <= 5_000 && wanted.length < this.maxVisible) {
        const near: [number, number][] = [];
        for (let s = 0; s < store.count; s++) {
          const d = (store.display[3 * s]! - target.x) ** 2 + (store.display[3 * s + 1]! - target.y) ** 2 + (store.display[3 * s + 2]! - target.z) ** 2;
          near.push([d, store.ids[s]!]);
        }
        near.sort((a, b) => a[0] - b[0]);
        for (const [, id] of near.slice(0, NEARBY)) if (wanted.length < this.maxVisible) add(id);
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
