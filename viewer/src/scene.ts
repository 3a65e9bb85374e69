// The PlayCanvas application: a canvas filling the window, a camera, a light, and a root entity
// the renderers hang their meshes from.
import * as pc from 'playcanvas';

export interface Scene {
  readonly app: pc.AppBase;
  readonly camera: pc.Entity;
  readonly root: pc.Entity;
  /** The WebGL renderer's name as the browser reports it (e.g. "SwiftShader"), if it does. */
  readonly renderer: string | undefined;
}

export function createScene(canvas: HTMLCanvasElement): Scene {
  const app = new pc.Application(canvas, { graphicsDeviceOptions: { antialias: true, alpha: false, powerPreference: 'high-performance' } });
  app.setCanvasFillMode(pc.FILLMODE_FILL_WINDOW);
  app.setCanvasResolution(pc.RESOLUTION_AUTO);
  window.addEventListener('resize', () => app.resizeCanvas());
  app.scene.ambientLight = new pc.Color(0.45, 0.45, 0.5);

  const camera = new pc.Entity('camera');
  camera.addComponent('camera', { clearColor: new pc.Color(0.06, 0.08, 0.1), nearClip: 0.1, farClip: 1e6, fov: 50 });
  app.root.addChild(camera);

  const light = new pc.Entity('light');
  light.addComponent('light', { type: 'directional', color: new pc.Color(1, 1, 1), intensity: 0.9 });
  light.setEulerAngles(50, 30, 0);
  camera.addChild(light);

  const root = new pc.Entity('graph');
  app.root.addChild(root);
  app.start();
  const device = app.graphicsDevice as pc.GraphicsDevice & { readonly unmaskedRenderer?: unknown };
  const renderer = typeof device.unmaskedRenderer === 'string' && device.unmaskedRenderer !== '' ? device.unmaskedRenderer : undefined;
  return { app, camera, root, renderer };
}
