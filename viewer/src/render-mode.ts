// How nodes are drawn: instanced meshes while the graph is small enough for them, point-sprite
// impostors past a node count (software rasterisers and weak GPUs fall to a few FPS with tens of
// thousands of instanced spheres; sprites stay fast). The setting can force either; the threshold
// can be lowered from the page URL (?pointsAbove=N), which the browser tests and demos use.

export type RenderMode = 'mesh' | 'points';

/** Above this many nodes, 'auto' draws points. */
export const POINTS_THRESHOLD = 20_000;

/**
 * The same on a software rasteriser (SwiftShader, llvmpipe): measured there, 10k instanced meshes
 * draw at 0.5 FPS and sprites at 4.6, so sprites take over much sooner.
 */
export const SOFTWARE_POINTS_THRESHOLD = 2_000;

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software/i;

/** The default threshold for the WebGL renderer the browser reports (unknown: a real GPU). */
export function defaultThreshold(renderer: string | undefined): number {
  return renderer !== undefined && SOFTWARE_RENDERER.test(renderer) ? SOFTWARE_POINTS_THRESHOLD : POINTS_THRESHOLD;
}

/** Largest threshold the URL may set (beyond any graph the viewer holds). */
const MAX_THRESHOLD = 100_000_000;

export function chooseRenderMode(setting: string, count: number, threshold: number): RenderMode {
  if (setting === 'mesh' || setting === 'points') return setting;
  return count > threshold ? 'points' : 'mesh';
}

/** The threshold from the page's query string: a whole number in range, else `fallback`. */
export function thresholdFromQuery(search: string, fallback = POINTS_THRESHOLD): number {
  const raw = new URLSearchParams(search).get('pointsAbove');
  if (raw === null || !/^\d{1,9}$/.test(raw)) return fallback;
  const n = Number(raw);
  return n <= MAX_THRESHOLD ? n : fallback;
}
