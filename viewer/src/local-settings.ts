// This browser's own settings, kept in its local storage: what this person looks at (colouring,
// which nodes show, blocks folded or not, the isolate depth), as opposed to the settings the node
// holds for every viewer (src/settings). Read back field by field: a value of the wrong type, or
// storage that cannot be read, falls back to the default.
import type { ColourBy } from './colouring.ts';

export interface ViewSettings {
  colourBy: ColourBy;
  /** Blocks drawn as nodes of their own (off: folded into their page). */
  showBlocks: boolean;
  /** Node types not shown ("" for nodes without a type). */
  hiddenTypes: string[];
  hideAgents: boolean;
  hideOrphans: boolean;
  minDegree: number;
  /** 0: no upper bound. */
  maxDegree: number;
  isolateHops: number;
}

export const VIEW_DEFAULTS: Readonly<ViewSettings> = {
  colourBy: 'type',
  showBlocks: false,
  hiddenTypes: [],
  hideAgents: false,
  hideOrphans: false,
  minDegree: 0,
  maxDegree: 0,
  isolateHops: 1,
};

export const STORAGE_KEY = 'visionflow.view';

const COLOUR_BY = /^(type|degree|community|distance|attribute:.{1,256})$/s;
const whole = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/** The stored settings over the defaults, each field checked. */
export function parseView(raw: string | null): ViewSettings {
  const out: ViewSettings = { ...VIEW_DEFAULTS, hiddenTypes: [] };
  if (raw === null) return out;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return out;
  }
  if (typeof v !== 'object' || v === null) return out;
  const o = v as Record<string, unknown>;
  if (typeof o.colourBy === 'string' && COLOUR_BY.test(o.colourBy)) out.colourBy = o.colourBy as ColourBy;
  if (typeof o.showBlocks === 'boolean') out.showBlocks = o.showBlocks;
  if (Array.isArray(o.hiddenTypes))
    out.hiddenTypes = o.hiddenTypes.filter((t): t is string => typeof t === 'string' && t.length <= 256).slice(0, 64);
  if (typeof o.hideAgents === 'boolean') out.hideAgents = o.hideAgents;
  if (typeof o.hideOrphans === 'boolean') out.hideOrphans = o.hideOrphans;
  if (whole(o.minDegree, 0xffffffff)) out.minDegree = o.minDegree;
  if (whole(o.maxDegree, 0xffffffff)) out.maxDegree = o.maxDegree;
  if (whole(o.isolateHops, 3) && o.isolateHops >= 1) out.isolateHops = o.isolateHops;
  return out;
}

export class LocalSettings {
  readonly value: ViewSettings;
  private readonly listeners: ((s: Readonly<ViewSettings>) => void)[] = [];

  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = safeStorage()) {
    let raw: string | null = null;
    try {
      raw = this.storage?.getItem(STORAGE_KEY) ?? null;
    } catch {
      raw = null;
    }
    this.value = parseView(raw);
  }

  set(patch: Partial<ViewSettings>): void {
    Object.assign(this.value, patch);
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(this.value));
    } catch {
      // Storage full or refused (private mode): the setting holds for this page only.
    }
    for (const l of this.listeners) l(this.value);
  }

  reset(): void {
    this.set({ ...VIEW_DEFAULTS, hiddenTypes: [] });
  }

  onChange(listener: (s: Readonly<ViewSettings>) => void): void {
    this.listeners.push(listener);
  }
}

function safeStorage(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}
