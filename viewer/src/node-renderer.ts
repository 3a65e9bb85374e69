// Nodes as instanced low-poly meshes: one instanced batch per (shape, colour bucket) pair — the
// colouring's palette, highlights, and each of those dimmed for the nodes outside the focus; agents
// are octahedra, everything else spheres, so agents stand out even when selected or coloured by
// distance — a 4x4 matrix per node carrying its position and size. A node whose bucket is HIDDEN is
// not drawn (outside an isolated neighbourhood). In 'points' mode (chosen by render-mode.ts) they
// are point-sprite impostors instead.
import * as pc from 'playcanvas';
import { BUCKET, type Rgb } from './colours.ts';
import { PointSprites } from './point-sprites.ts';
import type { RenderMode } from './render-mode.ts';

/** Mesh shapes, indexed by what shapeOf returns. */
export const SHAPE = { sphere: 0, agent: 1, count: 2 } as const;

/** Buckets from BUCKET.count on are the same colours dimmed; bucketOf returns this for a node not drawn. */
export const DIM = BUCKET.count;
export const HIDDEN = -1;
const BUCKETS = 2 * BUCKET.count;

interface Batch {
  readonly material: pc.StandardMaterial;
  readonly instance: pc.MeshInstance;
  vb: pc.VertexBuffer | undefined;
  data: Float32Array;
  capacity: number;
  count: number;
}

export interface NodeStyle {
  bucketOf(slot: number): number;
  radiusOf(slot: number): number;
  shapeOf(slot: number): number;
}

export class NodeRenderer {
  private readonly entity = new pc.Entity('nodes');
  /** batches[shape * BUCKETS + bucket] */
  private readonly batches: Batch[] = [];
  private readonly sprites: PointSprites;
  private readonly format: pc.VertexFormat;
  private packed: number[] = [];
  mode: RenderMode = 'mesh';

  constructor(
    private readonly app: pc.AppBase,
    parent: pc.Entity,
  ) {
    const device = app.graphicsDevice;
    this.format = pc.VertexFormat.getDefaultInstancingFormat(device);
    const shapes = [
      pc.Mesh.fromGeometry(device, new pc.SphereGeometry({ radius: 1, latitudeBands: 6, longitudeBands: 10 })),
      // Two latitude bands and four longitude bands of a sphere: an octahedron.
      pc.Mesh.fromGeometry(device, new pc.SphereGeometry({ radius: 1.25, latitudeBands: 2, longitudeBands: 4 })),
    ];
    const instances: pc.MeshInstance[] = [];
    for (const mesh of shapes) {
      for (let b = 0; b < BUCKETS; b++) {
        const material = new pc.StandardMaterial();
        material.gloss = 0.4;
        material.update();
        const instance = new pc.MeshInstance(mesh, material);
        instance.cull = false;
        instance.visible = false;
        this.batches.push({ material, instance, vb: undefined, data: new Float32Array(0), capacity: 0, count: 0 });
        instances.push(instance);
      }
    }
    this.sprites = new PointSprites(device);
    this.entity.addComponent('render', { meshInstances: [...instances, this.sprites.instance] });
    parent.addChild(this.entity);
  }

  /** `colours`: BUCKET.count colours, then as many dimmed ones. */
  setColours(colours: readonly Rgb[]): void {
    this.packed = colours.map(
      ([r, g, b]) => ((255 << 24) | (Math.round(b * 255) << 16) | (Math.round(g * 255) << 8) | Math.round(r * 255)) >>> 0,
    );
    this.batches.forEach((b, i) => {
      const c = colours[i % BUCKETS] ?? [1, 1, 1];
      b.material.diffuse = new pc.Color(c[0], c[1], c[2]);
      b.material.emissive = new pc.Color(c[0] * 0.35, c[1] * 0.35, c[2] * 0.35);
      b.material.update();
    });
  }

  /** For the sprites' sizes: the canvas height in pixels and the camera's vertical field of view. */
  setProjection(viewportHeight: number, fovDegrees: number): void {
    this.sprites.setProjection(viewportHeight, fovDegrees);
  }

  /** Draws `count` nodes: positions x y z per slot, styled per slot. Called once per rendered frame. */
  update(count: number, positions: Float32Array, style: NodeStyle): void {
    if (this.mode === 'points') {
      for (const b of this.batches) b.instance.visible = false;
      this.sprites.update(
        count,
        positions,
        (s) => this.packed[style.bucketOf(s)] ?? 0xffffffff,
        (s) => (style.bucketOf(s) === HIDDEN ? 0 : style.radiusOf(s)),
      );
      return;
    }
    this.sprites.instance.visible = false;
    const batchOf = (s: number): number => {
      const bucket = style.bucketOf(s);
      return bucket === HIDDEN ? -1 : style.shapeOf(s) * BUCKETS + bucket;
    };
    // Size each batch for this frame.
    const sizes = new Uint32Array(this.batches.length);
    for (let s = 0; s < count; s++) {
      const b = batchOf(s);
      if (b >= 0) sizes[b]!++;
    }
    this.batches.forEach((b, i) => {
      b.count = 0;
      if (sizes[i]! > 0) this.reserve(b, sizes[i]!);
    });
    for (let s = 0; s < count; s++) {
      const index = batchOf(s);
      if (index < 0) continue;
      const b = this.batches[index]!;
      const r = style.radiusOf(s);
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
}
