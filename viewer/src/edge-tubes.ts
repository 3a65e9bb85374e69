// Edges drawn thick: one instanced box per edge, stretched from one end to the other, lit and drawn
// over everything (a shortest path's hops stand out of any tangle). Line primitives are one pixel
// wide on WebGL, so thickness needs geometry; a path has few edges, so a box each is cheap. The
// thickness follows the distance to the camera: never thinner than a few pixels, never fatter
// than the nodes up close.
import * as pc from 'playcanvas';

const FLOATS = 16;

export class EdgeTubes {
  private readonly entity = new pc.Entity('edge-tubes');
  private readonly material = new pc.StandardMaterial();
  private readonly instance: pc.MeshInstance;
  private readonly format: pc.VertexFormat;
  private vb: pc.VertexBuffer | undefined;
  private data = new Float32Array(0);
  private capacity = 0;
  /** Tubes drawn in the last frame. */
  count = 0;

  constructor(
    private readonly app: pc.AppBase,
    parent: pc.Entity,
    colour: readonly [number, number, number],
  ) {
    const device = app.graphicsDevice;
    this.format = pc.VertexFormat.getDefaultInstancingFormat(device);
    const mesh = pc.Mesh.fromGeometry(device, new pc.BoxGeometry({ halfExtents: new pc.Vec3(0.5, 0.5, 0.5) }));
    const m = this.material;
    m.useLighting = false;
    m.diffuse = new pc.Color(0, 0, 0);
    m.emissive = new pc.Color(colour[0], colour[1], colour[2]);
    m.depthTest = false;
    m.depthWrite = false;
    m.update();
    this.instance = new pc.MeshInstance(mesh, m);
    this.instance.cull = false;
    this.instance.visible = false;
    this.instance.drawOrder = 2_000;
    this.entity.addComponent('render', { meshInstances: [this.instance] });
    parent.addChild(this.entity);
  }

  /** `segments`: slot pairs; `display`: x y z per slot; `eye`: the camera; `minWidth`: world units. */
  update(segments: readonly number[], display: Float32Array, eye: pc.Vec3, pixelsPerUnitAt1: number, minWidth: number): void {
    const n = segments.length / 2;
    this.count = n;
    this.instance.visible = n > 0;
    if (n === 0) return;
    this.reserve(n);
    const m = this.data;
    for (let i = 0; i < n; i++) {
      const a = 3 * segments[2 * i]!;
      const b = 3 * segments[2 * i + 1]!;
      const ax = display[a]!,
        ay = display[a + 1]!,
        az = display[a + 2]!;
      let dx = display[b]! - ax,
        dy = display[b + 1]! - ay,
        dz = display[b + 2]! - az;
      const length = Math.hypot(dx, dy, dz) || 1e-6;
      dx /= length;
      dy /= length;
      dz /= length;
      const mx = ax + (dx * length) / 2,
        my = ay + (dy * length) / 2,
        mz = az + (dz * length) / 2;
      // About 4 pixels wide where it is, and at least minWidth.
      const away = Math.hypot(mx - eye.x, my - eye.y, mz - eye.z);
      const width = Math.max(minWidth, (4 * away) / Math.max(1, pixelsPerUnitAt1));
      // Any axis not along the edge, then two across it.
      const [ux, uy, uz] = Math.abs(dy) < 0.9 ? [0, 1, 0] : [1, 0, 0];
      let xx = uy * dz - uz * dy,
        xy = uz * dx - ux * dz,
        xz = ux * dy - uy * dx;
      const xl = Math.hypot(xx, xy, xz) || 1;
      xx /= xl;
      xy /= xl;
      xz /= xl;
      const yx = dy * xz - dz * xy,
        yy = dz * xx - dx * xz,
        yz = dx * xy - dy * xx;
      const o = FLOATS * i;
      m[o] = xx * width;
      m[o + 1] = xy * width;
      m[o + 2] = xz * width;
      m[o + 3] = 0;
      m[o + 4] = yx * width;
      m[o + 5] = yy * width;
      m[o + 6] = yz * width;
      m[o + 7] = 0;
      m[o + 8] = dx * length;
      m[o + 9] = dy * length;
      m[o + 10] = dz * length;
      m[o + 11] = 0;
      m[o + 12] = mx;
      m[o + 13] = my;
      m[o + 14] = mz;
      m[o + 15] = 1;
    }
    this.vb!.setData(this.data);
    this.instance.instancingCount = n;
  }

  private reserve(n: number): void {
    if (n <= this.capacity && this.vb !== undefined) return;
    const capacity = Math.max(16, 2 ** Math.ceil(Math.log2(n)));
    this.vb?.destroy();
    this.data = new Float32Array(FLOATS * capacity);
    this.vb = new pc.VertexBuffer(this.app.graphicsDevice, this.format, capacity, { usage: pc.BUFFER_DYNAMIC, data: this.data });
    this.capacity = capacity;
    this.instance.setInstancing(this.vb);
    this.instance.cull = false;
  }
}
