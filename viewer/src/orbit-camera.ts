// Orbit, pan and zoom around a target point, and a smooth flight to a new target. Input is fed in
// by the pointer handler; this only keeps the camera's state and places the entity.
import * as pc from 'playcanvas';

export class OrbitCamera {
  yaw = 30;
  pitch = -20;
  distance = 60;
  readonly target = new pc.Vec3();
  private flight: { from: pc.Vec3; to: pc.Vec3; fromDistance: number; toDistance: number; start: number; ms: number } | undefined;

  constructor(readonly entity: pc.Entity) {}

  orbit(dx: number, dy: number): void {
    this.yaw -= dx * 0.3;
    this.pitch = Math.max(-89, Math.min(89, this.pitch - dy * 0.3));
  }

  pan(dx: number, dy: number): void {
    const scale = this.distance * 0.0015;
    const right = this.entity.right.clone().mulScalar(-dx * scale);
    const up = this.entity.up.clone().mulScalar(dy * scale);
    this.target.add(right).add(up);
    this.flight = undefined;
  }

  zoom(wheelDelta: number): void {
    this.distance = Math.max(0.5, Math.min(1e6, this.distance * Math.exp(wheelDelta * 0.001)));
  }

  /** Flies to `to`, ending `distance` away. */
  flyTo(to: readonly [number, number, number], distance: number, now: number): void {
    this.flight = {
      from: this.target.clone(),
      to: new pc.Vec3(to[0], to[1], to[2]),
      fromDistance: this.distance,
      toDistance: distance,
      start: now,
      ms: 600,
    };
  }

  /** Places the camera entity; call once per rendered frame. */
  update(now: number): void {
    const f = this.flight;
    if (f !== undefined) {
      const t = Math.min(1, (now - f.start) / f.ms);
      const e = t * t * (3 - 2 * t);
      this.target.lerp(f.from, f.to, e);
      this.distance = f.fromDistance + (f.toDistance - f.fromDistance) * e;
      if (t >= 1) this.flight = undefined;
    }
    const yaw = (this.yaw * Math.PI) / 180;
    const pitch = (this.pitch * Math.PI) / 180;
    const offset = new pc.Vec3(Math.sin(yaw) * Math.cos(pitch), -Math.sin(pitch), Math.cos(yaw) * Math.cos(pitch)).mulScalar(this.distance);
    this.entity.setPosition(this.target.x + offset.x, this.target.y + offset.y, this.target.z + offset.z);
    this.entity.lookAt(this.target);
  }
}
