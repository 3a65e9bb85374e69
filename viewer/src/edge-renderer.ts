// Edges as one line mesh, rebuilt from the drawn node positions every frame, for a list of slot
// pairs (visible-graph.ts says which). The viewer keeps two: every drawn edge, and over it the
// edges of the focused node, lit (drawn last, brighter, through the dimmed rest).
import * as pc from 'playcanvas';

export class EdgeRenderer {
  private readonly entity = new pc.Entity('edges');
  private readonly mesh: pc.Mesh;
  private readonly material = new pc.StandardMaterial();
  private readonly instance: pc.MeshInstance;
  private positions = new Float32Array(0);
  private capacity = 0;
  private drawn = 0;
  visible = true;

  constructor(app: pc.AppBase, parent: pc.Entity, name = 'edges') {
    this.entity.name = name;
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

  /** Drawn after everything else (lit edges over dimmed nodes). */
  drawLast(): void {
    this.instance.drawOrder = 1_000;
    this.material.depthTest = false;
    this.material.update();
  }

  /** Edges drawn in the last frame. */
  get count(): number {
    return this.drawn;
  }

  /** `pairs`: slot pairs; `display`: x y z per slot. Once per rendered frame. */
  update(pairs: Int32Array, display: Float32Array): void {
    const n = pairs.length;
    this.instance.visible = this.visible && n > 0;
    this.drawn = this.instance.visible ? n / 2 : 0;
    if (!this.instance.visible) return;
    if (n > this.capacity) {
      this.capacity = 2 ** Math.ceil(Math.log2(n));
      this.positions = new Float32Array(3 * this.capacity);
      this.mesh.clear(true, false, this.capacity);
    }
    const out = this.positions;
    for (let i = 0; i < n; i++) {
      const s = 3 * pairs[i]!;
      out[3 * i] = display[s]!;
      out[3 * i + 1] = display[s + 1]!;
      out[3 * i + 2] = display[s + 2]!;
    }
    this.mesh.setPositions(out, 3, n);
    this.mesh.update(pc.PRIMITIVE_LINES);
  }
}
