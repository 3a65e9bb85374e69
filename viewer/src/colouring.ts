// What the nodes' colours say, and the legend that says it: by type (a notes graph's pages,
// journals, tags and blocks; else the node kind; agents apart), by degree, by community (label
// propagation on the drawn graph), by any metadata attribute (categories, or a ramp when its values
// are numbers), or by distance from a shortest-path start. Each gives a palette of at most
// PALETTE_SIZE colours, a palette index per drawn node, and a legend entry per colour with its
// count: the most common categories get their own colour, the rest share "other".
import { labelPropagation } from './community.ts';
import {
  AGENT_KIND,
  CATEGORY_COLOURS,
  hexToRgb,
  HIGHLIGHTS,
  KIND_NAMES,
  OTHER_COLOUR,
  PALETTE_SIZE,
  RAMP_STEPS,
  rampColour,
  type Rgb,
} from './colours.ts';
import type { PositionStore } from './position-store.ts';
import type { SsspState } from './sssp-state.ts';
import type { NodeDetails } from './titles.ts';
import type { VisibleGraph } from './visible-graph.ts';

export type ColourBy = 'type' | 'degree' | 'community' | 'distance' | `attribute:${string}`;

export interface LegendEntry {
  readonly colour: Rgb;
  readonly label: string;
  readonly count: number;
}

export interface Legend {
  readonly title: string;
  readonly entries: readonly LegendEntry[];
  /** For a ramp: what its ends mean. */
  readonly ramp?: { readonly low: string; readonly high: string };
  readonly note?: string;
}

export interface Colouring {
  readonly palette: readonly Rgb[];
  /** Palette index per slot. */
  readonly buckets: Uint8Array;
  readonly legend: Legend;
}

export interface ColouringInputs {
  readonly store: PositionStore;
  readonly graph: VisibleGraph;
  readonly sssp: SsspState;
  readonly details: NodeDetails;
  /** Nodes on the path as drawn (blocks folded into their pages). */
  readonly shownPath: number;
  /** The settings' colours for pages and other knowledge nodes, and for agents. */
  readonly knowledgeColour: string;
  readonly agentColour: string;
}

/** Colours that keep their meaning whatever else the graph holds. */
const TYPE_COLOURS: Readonly<Record<string, string>> = {
  journal: '#81c784',
  tag: '#f06292',
  block: '#b0bec5',
  concept: '#4db6ac',
  task: '#ba68c8',
  memory: '#aed581',
  file: '#e0e0e0',
  user: '#f48fb1',
};

const fmt = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en') : n.toPrecision(3));

/** The category of a drawn node when colouring by type: agents apart, then its type, else its kind. */
export function typeCategory(store: PositionStore, slot: number): string {
  if (store.kinds[slot] === AGENT_KIND) return 'agent';
  const type = store.typeNames[store.types[slot] ?? 0] ?? '';
  return type !== '' ? type : (KIND_NAMES[store.kinds[slot] ?? 0] ?? 'knowledge');
}

export function computeColouring(by: ColourBy, input: ColouringInputs): Colouring {
  if (by === 'distance') return byDistance(input) ?? byType(input, 'no start picked: select a node, then "Start here"');
  if (by === 'degree') return byRamp(input, 'degree', (slot) => input.graph.degreeOf(input.store.ids[slot]!), 'fewest links', 'most links');
  if (by === 'community') return byCommunity(input);
  if (by.startsWith('attribute:')) return byAttribute(input, by.slice('attribute:'.length));
  return byType(input);
}

function byType(input: ColouringInputs, note?: string): Colouring {
  const { store } = input;
  const fixed = (category: string): string | undefined =>
    category === 'agent'
      ? input.agentColour
      : category === 'page' || category === 'knowledge'
        ? input.knowledgeColour
        : TYPE_COLOURS[category];
  return categorical('type', store.count, (slot) => typeCategory(store, slot), fixed, note);
}

function byCommunity(input: ColouringInputs): Colouring {
  const { store, graph, details } = input;
  const label = labelPropagation(store.ids, (id) => graph.neighbours(id));
  // A community is named after its best-linked member.
  const leader = new Map<number, number>();
  for (const [id, l] of label) {
    const best = leader.get(l);
    if (best === undefined || graph.degreeOf(id) > graph.degreeOf(best)) leader.set(l, id);
  }
  const name = (l: number): string => {
    const id = leader.get(l) ?? l;
    return `around ${details.peek(id)?.title ?? `#${id}`}`;
  };
  return categorical(
    'community',
    store.count,
    (slot) => String(label.get(store.ids[slot]!) ?? 0),
    undefined,
    undefined,
    (c) => name(Number(c)),
    true,
  );
}

function byAttribute(input: ColouringInputs, key: string): Colouring {
  const { store, details } = input;
  const values: (string | undefined)[] = [];
  let known = 0;
  let numeric = 0;
  const distinct = new Set<string>();
  for (let slot = 0; slot < store.count; slot++) {
    const view = details.peek(store.ids[slot]!, false);
    if (view !== undefined) known++;
    const v = view?.metadata?.[key];
    values.push(v);
    if (v === undefined) continue;
    distinct.add(v);
    if (v.trim() !== '' && Number.isFinite(Number(v))) numeric++;
  }
  const present = values.filter((v) => v !== undefined).length;
  const note = known < store.count ? `${(store.count - known).toLocaleString('en')} nodes still loading` : undefined;
  if (present > 0 && numeric >= 0.9 * present && distinct.size > RAMP_STEPS) {
    return byRamp(input, key, (slot) => (values[slot] === undefined ? undefined : Number(values[slot])), 'lowest', 'highest', note);
  }
  return categorical(
    key,
    store.count,
    (slot) => values[slot] ?? '(none)',
    (c) => (c === '(none)' ? '#5f6b73' : undefined),
    note,
  );
}

/**
 * Categories by count, most common first: each of the first PALETTE_SIZE - 1 gets a colour (fixed
 * ones keep theirs), the rest share "other". `name` turns a category into its legend text.
 */
function categorical(
  title: string,
  n: number,
  categoryOf: (slot: number) => string,
  fixed?: (category: string) => string | undefined,
  note?: string,
  name: (category: string) => string = (c) => c,
  hideSingles = false,
): Colouring {
  const cats = new Array<string>(n);
  const counts = new Map<string, number>();
  for (let slot = 0; slot < n; slot++) {
    const c = categoryOf(slot);
    cats[slot] = c;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const order = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const own = order.filter(([, count]) => !hideSingles || count > 1).slice(0, PALETTE_SIZE - 1);
  const index = new Map<string, number>();
  const palette: Rgb[] = [];
  const used = new Set<string>();
  const entries: LegendEntry[] = [];
  for (const [c] of own) {
    const f = fixed?.(c);
    if (f !== undefined) used.add(f.toLowerCase());
  }
  let next = 0;
  for (const [c, count] of own) {
    let hex = fixed?.(c);
    if (hex === undefined) {
      while (next < CATEGORY_COLOURS.length && used.has(CATEGORY_COLOURS[next]!)) next++;
      hex = CATEGORY_COLOURS[next++ % CATEGORY_COLOURS.length]!;
    }
    const colour = hexToRgb(hex);
    index.set(c, palette.length);
    palette.push(colour);
    entries.push({ colour, label: name(c), count });
  }
  const otherCount = n - own.reduce((sum, [, count]) => sum + count, 0);
  const otherIndex = palette.length;
  if (otherCount > 0) {
    palette.push(OTHER_COLOUR);
    const groups = counts.size - own.length;
    entries.push({
      colour: OTHER_COLOUR,
      label: hideSingles ? `${groups.toLocaleString('en')} smaller ones` : `other (${groups.toLocaleString('en')} values)`,
      count: otherCount,
    });
  }
  const buckets = new Uint8Array(n);
  for (let slot = 0; slot < n; slot++) buckets[slot] = index.get(cats[slot]!) ?? otherIndex;
  return { palette, buckets, legend: { title, entries, ...(note === undefined ? {} : { note }) } };
}

/** RAMP_STEPS equal bins from the lowest value to the highest; nodes without one in grey. */
function byRamp(
  input: ColouringInputs,
  title: string,
  valueOf: (slot: number) => number | undefined,
  low: string,
  high: string,
  note?: string,
): Colouring {
  const n = input.store.count;
  let min = Infinity;
  let max = -Infinity;
  const values = new Float64Array(n);
  for (let slot = 0; slot < n; slot++) {
    const v = valueOf(slot);
    values[slot] = v === undefined || !Number.isFinite(v) ? NaN : v;
    if (Number.isFinite(values[slot]!)) {
      min = Math.min(min, values[slot]!);
      max = Math.max(max, values[slot]!);
    }
  }
  const palette: Rgb[] = [];
  for (let s = 0; s < RAMP_STEPS; s++) palette.push(rampColour(s));
  palette.push(OTHER_COLOUR);
  const counts = new Array<number>(RAMP_STEPS + 1).fill(0);
  const buckets = new Uint8Array(n);
  const span = max - min;
  for (let slot = 0; slot < n; slot++) {
    const v = values[slot]!;
    const b = Number.isNaN(v) ? RAMP_STEPS : span <= 0 ? 0 : Math.min(RAMP_STEPS - 1, Math.floor(((v - min) / span) * RAMP_STEPS));
    buckets[slot] = b;
    counts[b]!++;
  }
  const entries: LegendEntry[] = [];
  for (let s = 0; s < RAMP_STEPS; s++) {
    if (counts[s] === 0) continue;
    const from = min + (span * s) / RAMP_STEPS;
    const to = min + (span * (s + 1)) / RAMP_STEPS;
    entries.push({ colour: palette[s]!, label: span <= 0 ? fmt(min) : `${fmt(from)} – ${fmt(to)}`, count: counts[s]! });
  }
  if (counts[RAMP_STEPS]! > 0) entries.push({ colour: OTHER_COLOUR, label: 'no value', count: counts[RAMP_STEPS]! });
  const ramp = Number.isFinite(min) ? { low: `${fmt(min)}: ${low}`, high: `${fmt(max)}: ${high}` } : undefined;
  return { palette, buckets, legend: { title, entries, ...(ramp === undefined ? {} : { ramp }), ...(note === undefined ? {} : { note }) } };
}

/** Distance from the path start, on the shortest-path ramp; undefined without a result. */
function byDistance(input: ColouringInputs): Colouring | undefined {
  const { store, sssp, details } = input;
  if (!sssp.hasResult) return undefined;
  let max = 0;
  for (const id of store.ids) max = Math.max(max, sssp.distanceOf(id) ?? 0);
  const colouring = byRamp(input, 'distance', (slot) => sssp.distanceOf(store.ids[slot]!), 'near', 'far');
  const start = sssp.source === undefined ? '?' : (details.peek(sssp.source)?.title ?? `#${sssp.source}`);
  const entries: LegendEntry[] = [
    { colour: HIGHLIGHTS[2]!, label: `start: ${start}`, count: 1 },
    ...(input.shownPath > 0 ? [{ colour: HIGHLIGHTS[1]!, label: `on the path (${input.shownPath} nodes)`, count: input.shownPath }] : []),
    ...colouring.legend.entries.map((e) => (e.label === 'no value' ? { ...e, colour: HIGHLIGHTS[0]!, label: 'not reachable' } : e)),
  ];
  const buckets = colouring.buckets;
  const palette = [...colouring.palette.slice(0, RAMP_STEPS), HIGHLIGHTS[0]!];
  const ramp = { low: '0: the start', high: `${fmt(max)}: farthest reached` };
  return {
    palette,
    buckets,
    legend: {
      title: `distance from ${start}`,
      entries,
      ramp,
      note: 'the ramp runs from the start (yellow) to the farthest node reached (blue)',
    },
  };
}

/** Metadata keys of the drawn nodes whose details are known, most used first. */
export function attributeKeys(store: PositionStore, details: NodeDetails, limit = 40): string[] {
  const counts = new Map<string, number>();
  for (let slot = 0; slot < store.count; slot++) {
    const meta = details.peek(store.ids[slot]!, false)?.metadata;
    if (meta === undefined) continue;
    for (const k of Object.keys(meta)) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([k]) => k);
}
