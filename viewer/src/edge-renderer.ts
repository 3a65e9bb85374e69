// Edges as one line mesh, rebuilt from the drawn node positions every frame (the endpoints' slots
// are resolved only when the edge set or the id table changes).
import * as pc from 'playcanvas';
import type { GraphStore } from './graph-store.ts';
import type { PositionStore } from './position-store.ts';

export class EdgeRenderer {
  private readonly entity = new pc.Entity('edges');
  private readonly mesh: pc.Mesh;
  private readonly material = new pc.StandardMaterial();
  private readonly instance: pc.MeshInstance;
  private ends = new Int32Array(0);
  private positions = new Float32Array(0);
  private capacity = 0;
  private builtFor = '';
  visible = true;

  constructor(app: pc.AppBase, parent: pc.Entity) {
    this.mesh = new pc.Mesh(app.graphicsDevice);
    const m = this.material;
    m.useLighting = false;
    m.diffuse = new pc.Color(0, 0, 0);
    m.emissive = new pc.Color(0.56, 0.64, 0.68);
    m.opacity = 0.35;
    m.blendType = pc.BLEND_NORMAL;
    m.depthWrite = false;
    m.update();
    this.instance = new pc.MeshInstance(this.mesh, m);
    this.instance.cull = false;
    this.instance.visible = false;
    this.entity.addComponent('render', { meshInstances: [this.instance] });
    parent.addChild(this.entity);
  }

  setStyle(colour: readonly [number, number, number], opacity: number): void {
    this.material.emissive = new pc.Color(colour[0], colour[1], colour[2]);
    this.material.opacity = opacity;
    this.material.update();
  }

  get count(): number {
    return this.ends.length / 2;
  }

  update(graph: GraphStore, store: PositionStore): void {
    const key = `${graph.version}/${store.epoch}/${store.count}`;
    if (key !== this.builtFor) {
      this.builtFor = key;
      const ends: number[] = [];
      for (const e of graph.edges.values()) {
        const a = store.slotOf.get(e.source);
        const b = store.slotOf.get(e.target);
        if (a !== undefined && b !== undefined) ends.push(a, b);
      }
      this.ends = Int32Array.from(ends);
    }
    const n = this.ends.length;
    this.instance.visible = this.visible && n > 0;
    if (!this.instance.visible) return;
    if (n > this.capacity) {
      this.capacity = 2 ** Math.ceil(Math.log2(n));
      this.positions = new Float32Array(3 * this.capacity);
      this.mesh.clear(true, false, this.capacity);
    }
    const d = store.display;
    const out = this.positions;
    for (let i = 0; i < n; i++) {
      const s = 3 * this.ends[i]!;
      out[3 * i] = d[s]!;
      out[3 * i + 1] = d[s + 1]!;
      out[3 * i + 2] = d[s + 2]!;
    }
    this.mesh.setPositions(out, 3, n);
    this.mesh.update(pc.PRIMITIVE_LINES);
  }
}
