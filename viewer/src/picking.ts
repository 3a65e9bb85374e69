// Which node is under the pointer: every drawn node projected to the screen, the nearest whose
// disc covers the pointer (with a few pixels of slack) wins; nearer to the camera breaks ties.
import * as pc from 'playcanvas';

const scratch = new pc.Vec3();
const world = new pc.Vec3();

export function pickNode(
  camera: pc.CameraComponent,
  x: number,
  y: number,
  count: number,
  positions: Float32Array,
  radiusOf: (slot: number) => number,
): number | undefined {
  const eye = camera.entity.getPosition();
  const fovScale = 1 / Math.tan((camera.fov * Math.PI) / 180 / 2);
  const h = camera.system.app.graphicsDevice.clientRect.height;
  let best: number | undefined;
  let bestScore = Infinity;
  for (let s = 0; s < count; s++) {
    world.set(positions[3 * s]!, positions[3 * s + 1]!, positions[3 * s + 2]!);
    camera.worldToScreen(world, scratch);
    if (scratch.z <= 0) continue;
    const dist = world.distance(eye);
    const pixelRadius = (radiusOf(s) * fovScale * h) / (2 * Math.max(dist, 1e-3));
    const d = Math.hypot(scratch.x - x, scratch.y - y);
    if (d > pixelRadius + 4) continue;
    const score = d + dist * 1e-6;
    if (score < bestScore) {
      bestScore = score;
      best = s;
    }
  }
  return best;
}

/** Where the pointer's ray meets the plane through `point` facing the camera. */
export function pointerOnPlane(
  camera: pc.CameraComponent,
  x: number,
  y: number,
  point: readonly [number, number, number],
): [number, number, number] | undefined {
  const near = camera.screenToWorld(x, y, camera.nearClip, new pc.Vec3());
  const far = camera.screenToWorld(x, y, camera.farClip, new pc.Vec3());
  const dir = far.sub(near).normalize();
  const normal = camera.entity.forward.clone();
  const denom = normal.dot(dir);
  if (Math.abs(denom) < 1e-6) return undefined;
  const p = new pc.Vec3(point[0], point[1], point[2]);
  const t = normal.dot(p.sub(near)) / denom;
  if (!(t > 0)) return undefined;
  const hit = near.add(dir.mulScalar(t));
  return [hit.x, hit.y, hit.z];
}
