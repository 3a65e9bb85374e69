// Nodes as point-sprite impostors for very large graphs: one point per node, drawn as a shaded disc
// whose on-screen size follows the node's radius and its distance (so zooming still reads as 3D),
// with per-point colour. One draw call and 20 bytes per node, against an instanced sphere's 60
// triangles: what keeps 100k nodes interactive on weak GPUs and software rasterisers.
import * as pc from 'playcanvas';

const VERTEX = /* glsl */ `
attribute vec3 aPosition;
attribute vec4 aColor;
attribute float aRadius;
uniform mat4 matrix_model;
uniform mat4 matrix_viewProjection;
uniform float uPixelsPerUnit;
varying vec4 vColor;
void main(void) {
  vec4 clip = matrix_viewProjection * matrix_model * vec4(aPosition, 1.0);
  gl_Position = clip;
  // Diameter in pixels at this depth; never under 2 px, so far nodes stay visible.
  gl_PointSize = clamp(2.0 * aRadius * uPixelsPerUnit / max(clip.w, 1e-3), 2.0, 96.0);
  // Radius 0: not drawn (outside the clip volume).
  if (aRadius <= 0.0) gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
  vColor = aColor;
}
`;

const FRAGMENT = /* glsl */ `
varying vec4 vColor;
void main(void) {
  vec2 d = gl_PointCoord * 2.0 - 1.0;
  float r2 = dot(d, d);
  if (r2 > 1.0) discard;
  // Lit like a sphere seen from the camera, light from the upper left.
  float z = sqrt(1.0 - r2);
  float light = 0.45 + 0.55 * max(0.0, dot(normalize(vec3(-0.35, 0.45, 1.0)), vec3(d.x, -d.y, z)));
  gl_FragColor = vec4(vColor.rgb * light, 1.0);
}
`;

export class PointSprites {
  readonly instance: pc.MeshInstance;
  private readonly mesh: pc.Mesh;
  private readonly material: pc.ShaderMaterial;
  private capacity = 0;
  private positions = new Float32Array(0);
  private colours = new Uint32Array(0);
  private radii = new Float32Array(0);

  constructor(device: pc.GraphicsDevice) {
    this.material = new pc.ShaderMaterial({
      uniqueName: 'vf-node-sprites',
      vertexGLSL: VERTEX,
      fragmentGLSL: FRAGMENT,
      attributes: { aPosition: pc.SEMANTIC_POSITION, aColor: pc.SEMANTIC_COLOR, aRadius: pc.SEMANTIC_TEXCOORD0 },
    });
    this.material.update();
    this.mesh = new pc.Mesh(device);
    this.instance = new pc.MeshInstance(this.mesh, this.material);
    this.instance.cull = false;
    this.instance.visible = false;
  }

  /** Pixels one world unit spans at distance 1: the viewport height over the frustum's height. */
  setProjection(viewportHeight: number, fovDegrees: number): void {
    this.material.setParameter('uPixelsPerUnit', viewportHeight / (2 * Math.tan((fovDegrees * Math.PI) / 360)));
  }

  update(count: number, positions: Float32Array, colourOf: (slot: number) => number, radiusOf: (slot: number) => number): void {
    this.instance.visible = count > 0;
    if (count === 0) return;
    if (count > this.capacity) {
      this.capacity = 2 ** Math.ceil(Math.log2(count));
      this.positions = new Float32Array(3 * this.capacity);
      this.colours = new Uint32Array(this.capacity);
      this.radii = new Float32Array(this.capacity);
      this.mesh.clear(true, false, this.capacity);
    }
    this.positions.set(positions.subarray(0, 3 * count));
    for (let s = 0; s < count; s++) {
      this.colours[s] = colourOf(s);
      this.radii[s] = radiusOf(s);
    }
    this.mesh.setPositions(this.positions, 3, count);
    this.mesh.setColors32(new Uint8Array(this.colours.buffer, 0, 4 * count), count);
    this.mesh.setVertexStream(pc.SEMANTIC_TEXCOORD0, this.radii, 1, count);
    this.mesh.update(pc.PRIMITIVE_POINTS);
  }
}
