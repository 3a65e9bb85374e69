// The viewer's palette: one colour per node kind (knowledge and agent from the settings), the
// distance ramp for shortest paths, and the highlight colours. Buckets index the node renderer's
// instanced batches: every node is drawn in exactly one bucket.

export type Rgb = readonly [number, number, number];

/** Wire NodeKind order: knowledge, agent, task, memory, file, concept, user. */
export const KIND_NAMES = ['knowledge', 'agent', 'task', 'memory', 'file', 'concept', 'user'] as const;
export const AGENT_KIND = 1;

const DEFAULT_KIND_COLOURS: readonly string[] = ['#4fc3f7', '#ffb74d', '#ba68c8', '#81c784', '#e0e0e0', '#4db6ac', '#f06292'];

/** Steps of the distance ramp (near: warm, far: cool). */
export const RAMP_STEPS = 8;

export const BUCKET = {
  kind: 0,
  ramp: KIND_NAMES.length,
  unreachable: KIND_NAMES.length + RAMP_STEPS,
  path: KIND_NAMES.length + RAMP_STEPS + 1,
  source: KIND_NAMES.length + RAMP_STEPS + 2,
  selected: KIND_NAMES.length + RAMP_STEPS + 3,
  hovered: KIND_NAMES.length + RAMP_STEPS + 4,
  count: KIND_NAMES.length + RAMP_STEPS + 5,
} as const;

export function hexToRgb(hex: string): Rgb {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (m === null) return [1, 1, 1];
  const n = parseInt(m[1]!, 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

/** A ramp from yellow (near) through red to deep blue (far). */
export function rampColour(step: number): Rgb {
  const t = RAMP_STEPS <= 1 ? 0 : step / (RAMP_STEPS - 1);
  const stops: readonly Rgb[] = [
    [1, 0.92, 0.23],
    [1, 0.34, 0.13],
    [0.85, 0.11, 0.38],
    [0.25, 0.32, 0.71],
  ];
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** Every bucket's colour, given the kind colours from the settings. */
export function bucketColours(knowledge: string, agent: string): Rgb[] {
  const out: Rgb[] = [];
  KIND_NAMES.forEach((_, k) => out.push(hexToRgb(k === 0 ? knowledge : k === AGENT_KIND ? agent : DEFAULT_KIND_COLOURS[k]!)));
  for (let s = 0; s < RAMP_STEPS; s++) out.push(rampColour(s));
  out.push([0.3, 0.32, 0.35]); // unreachable
  out.push([0.2, 1, 0.4]); // on the path
  out.push([1, 1, 1]); // the source
  out.push([1, 1, 1]); // selected
  out.push([0.9, 0.95, 1]); // hovered
  return out;
}
