// The viewer's palette. Buckets index the node renderer's instanced batches (every node is drawn in
// exactly one): first the colouring's own palette (categories, or the steps of a ramp), then the
// highlight colours that go over any colouring. colouring.ts decides the palette.

export type Rgb = readonly [number, number, number];

/** Wire NodeKind order: knowledge, agent, task, memory, file, concept, user. */
export const KIND_NAMES = ['knowledge', 'agent', 'task', 'memory', 'file', 'concept', 'user'] as const;
export const AGENT_KIND = 1;

/** Colours a colouring may give out; categories beyond the last share it ("other"). */
export const PALETTE_SIZE = 24;

/** Steps of a ramp (distance, degree, a numeric attribute): near or low warm, far or high cool. */
export const RAMP_STEPS = 8;

export const BUCKET = {
  /** The colouring's palette starts here; a ramp's steps are its first RAMP_STEPS entries. */
  palette: 0,
  ramp: 0,
  unreachable: PALETTE_SIZE,
  path: PALETTE_SIZE + 1,
  source: PALETTE_SIZE + 2,
  selected: PALETTE_SIZE + 3,
  hovered: PALETTE_SIZE + 4,
  count: PALETTE_SIZE + 5,
} as const;

/** The highlight colours, in bucket order from BUCKET.unreachable. */
export const HIGHLIGHTS: readonly Rgb[] = [
  [0.3, 0.32, 0.35], // unreachable
  [0.2, 1, 0.4], // on the path
  [1, 1, 1], // the path's start
  [1, 1, 1], // selected
  [0.9, 0.95, 1], // hovered
];

/** Distinct colours for categories, in the order they are given out (most common first). */
export const CATEGORY_COLOURS: readonly string[] = [
  '#4fc3f7',
  '#ffb74d',
  '#81c784',
  '#f06292',
  '#ba68c8',
  '#fff176',
  '#4db6ac',
  '#e57373',
  '#9575cd',
  '#aed581',
  '#ff8a65',
  '#90caf9',
  '#ce93d8',
  '#80cbc4',
  '#ffcc80',
  '#c5e1a5',
  '#f48fb1',
  '#b39ddb',
  '#80deea',
  '#dce775',
  '#bcaaa4',
  '#ef9a9a',
  '#a5d6a7',
];

/** What 'other' and missing values are drawn in. */
export const OTHER_COLOUR: Rgb = [0.47, 0.5, 0.53];

export function hexToRgb(hex: string): Rgb {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (m === null) return [1, 1, 1];
  const n = parseInt(m[1]!, 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

export function rgbToHex(c: Rgb): string {
  return `#${c
    .map((v) =>
      Math.round(Math.max(0, Math.min(1, v)) * 255)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/** A ramp from yellow (near, low) through red to deep blue (far, high). */
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

/** Every bucket's colour: the palette (padded) then the highlights. */
export function bucketColours(palette: readonly Rgb[]): Rgb[] {
  const out: Rgb[] = [];
  for (let i = 0; i < PALETTE_SIZE; i++) out.push(palette[i] ?? OTHER_COLOUR);
  out.push(...HIGHLIGHTS);
  return out;
}

/** A colour pulled most of the way to the background: what the nodes outside the focus are drawn in. */
export function dimmed(c: Rgb, background: Rgb, keep = 0.22): Rgb {
  return [
    background[0] + (c[0] - background[0]) * keep,
    background[1] + (c[1] - background[1]) * keep,
    background[2] + (c[2] - background[2]) * keep,
  ];
}
