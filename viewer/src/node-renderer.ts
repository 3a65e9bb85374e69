// Nodes as instanced low-poly spheres: one instanced batch per colour bucket (kinds, distance ramp,
// highlights), a 4x4 matrix per node carrying its position and size. Past a node count (or when
// the settings say so) they are drawn as one point cloud with per-vertex colours instead, which
// stays fast on weak GPUs and software rasterisers.
import * as pc from 'playcanvas';
import { BUCKET, type Rgb } from './colours.ts';

export type RenderMode = 'mesh' | 'points';

/** Above this many nodes, 'auto' draws points. */
export const POINTS_THRESHOLD = 20_000;

interface Batch {
  readonly material: pc.StandardMaterial;
  readonly instance: pc.MeshInstance;
  vb: pc.VertexBuffer | undefined;
  data: Float32Array;
  capacity: number;
  count: number;
}

export class NodeRenderer {
  private readonly entity = new pc.Entity('nodes');
  private readonly sphere: pc.Mesh;
  private readonly batches: Batch[] = [];
  private readonly points: { mesh: pc.Mesh; instance: pc.MeshInstance; capacity: number; positions: Float32Array; colours: Uint32Array };
  private readonly format: pc.VertexFormat;
  private colours: Rgb[] = [];
  mode: RenderMode = 'mesh';

  constructor(
    private readonly app: pc.AppBase,
    parent: pc.Entity,
  ) {
    const device = app.graphicsDevice;
    this.format = pc.VertexFormat.getDefaultInstancingFormat(device);
    this.sphere = pc.Mesh.fromGeometry(device, new pc.SphereGeometry({ radius: 1, latitudeBands: 6, longitudeBands: 10 }));
    const instances: pc.MeshInstance[] = [];
    for (let b = 0; b < BUCKET.count; b++) {
      const material = new pc.StandardMaterial();
      material.gloss = 0.4;
      material.update();
      const instance = new pc.MeshInstance(this.sphere, material);
      instance.cull = false;
      instance.visible = false;
      this.batches.push({ material, instance, vb: undefined, data: new Float32Array(0), capacity: 0, count: 0 });
      instances.push(instance);
    }
    const pointMaterial = new pc.StandardMaterial();
    pointMaterial.useLighting = false;
    pointMaterial.diffuse = new pc.Color(0, 0, 0);
    pointMaterial.emissive = new pc.Color(1, 1, 1);
    pointMaterial.emissiveVertexColor = true;
    pointMaterial.update();
    const pointMesh = new pc.Mesh(device);
    const pointInstance = new pc.MeshInstance(pointMesh, pointMaterial);
    pointInstance.cull = false;
    pointInstance.visible = false;
    this.points = { mesh: pointMesh, instance: pointInstance, capacity: 0, positions: new Float32Array(0), colours: new Uint32Array(0) };
    this.entity.addComponent('render', { meshInstances: [...instances, pointInstance] });
    parent.addChild(this.entity);
  }

  setColours(colours: Rgb[]): void {
    this.colours = colours;
    this.batches.forEach((b, i) => {
      const c = colours[i] ?? [1, 1, 1];
      b.material.diffuse = new pc.Color(c[0], c[1], c[2]);
      b.material.emissive = new pc.Color(c[0] * 0.35, c[1] * 0.35, c[2] * 0.35);
      b.material.update();
    });
  }

  /**
   * Draws `count` nodes: positions x y z per slot, bucket and radius per slot. Called once per
   * rendered frame.
   */
  update(count: number, positions: Float32Array, bucketOf: (slot: number) => number, radiusOf: (slot: number) => number): void {
    if (this.mode === 'points') {
      for (const b of this.batches) b.instance.visible = false;
      this.updatePoints(count, positions, bucketOf);
      return;
    }
    this.points.instance.visible = false;
    for (const b of this.batches) b.count = 0;
    // Size each batch for this frame.
    const sizes = new Uint32Array(this.batches.length);
    for (let s = 0; s < count; s++) sizes[bucketOf(s)]!++;
    this.batches.forEach((b, i) => this.reserve(b, sizes[i]!));
    for (let s = 0; s < count; s++) {
      const b = this.batches[bucketOf(s)]!;
      const r = radiusOf(s);
      const o = 16 * b.count++;
      const m = b.data;
      m[o] = r;
      m[o + 5] = r;
      m[o + 10] = r;
      m[o + 12] = positions[3 * s]!;
      m[o + 13] = positions[3 * s + 1]!;
      m[o + 14] = positions[3 * s + 2]!;
      m[o + 15] = 1;
    }
    for (const b of this.batches) {
      b.instance.visible = b.count > 0;
      if (b.vb === undefined || b.count === 0) continue;
      b.vb.setData(b.data);
      b.instance.instancingCount = b.count;
    }
  }

  private reserve(b: Batch, n: number): void {
    if (n <= b.capacity && b.vb !== undefined) return;
    const capacity = Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, n))));
    b.vb?.destroy();
    b.data = new Float32Array(16 * capacity);
    b.vb = new pc.VertexBuffer(this.app.graphicsDevice, this.format, capacity, { usage: pc.BUFFER_DYNAMIC, data: b.data });
    b.capacity = capacity;
    b.instance.setInstancing(b.vb);
    b.instance.cull = false;
  }

  private updatePoints(count: number, positions: Float32Array, bucketOf: (slot: number) => number): void {
    const p = this.points;
    p.instance.visible = count > 0;
    if (count === 0) return;
    if (count > p.capacity) {
      p.capacity = 2 ** Math.ceil(Math.log2(count));
      p.positions = new Float32Array(3 * p.capacity);
      p.colours = new Uint32Array(p.capacity);
      p.mesh.clear(true, false, p.capacity);
    }
    p.positions.set(positions.subarray(0, 3 * count));
    const packed = this.colours.map(([r, g, b]) => (255 << 24) | (Math.round(b * 255) << 16) | (Math.round(g * 255) << 8) | Math.round(r * 255));
    for (let s = 0; s < count; s++) p.colours[s] = packed[bucketOf(s)] ?? 0xffffffff;
    p.mesh.setPositions(p.positions, 3, count);
    p.mesh.setColors32(new Uint8Array(p.colours.buffer, 0, 4 * count), count);
    p.mesh.update(pc.PRIMITIVE_POINTS);
  }
}
