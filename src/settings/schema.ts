// The settings tree: every path a client may read or write, with its type, range and default.
// Physics paths are applied to the layout live (the physics actor subscribes to "physics.");
// visualisation paths are for the viewers. A path that is not here does not exist.
import type { SettingValue } from './delta.ts';

export type SettingSpec =
  | { readonly type: 'number'; readonly default: number; readonly min: number; readonly max: number; readonly integer?: boolean; readonly doc: string }
  | { readonly type: 'boolean'; readonly default: boolean; readonly doc: string }
  | { readonly type: 'enum'; readonly default: string; readonly values: readonly string[]; readonly doc: string }
  | { readonly type: 'color'; readonly default: string; readonly doc: string }
  | { readonly type: 'string'; readonly default: string; readonly maxLength: number; readonly doc: string };

const num = (def: number, min: number, max: number, doc: string, integer = false): SettingSpec => ({ type: 'number', default: def, min, max, integer, doc });
const bool = (def: boolean, doc: string): SettingSpec => ({ type: 'boolean', default: def, doc });
const color = (def: string, doc: string): SettingSpec => ({ type: 'color', default: def, doc });
const oneOf = (def: string, values: readonly string[], doc: string): SettingSpec => ({ type: 'enum', default: def, values, doc });

/** Forces for one class of node; knowledge and agent nodes each get a set. */
function forceGroup(prefix: string, overrides: { repulsion: number; springLength: number }): Record<string, SettingSpec> {
  return {
    [`${prefix}.repulsion`]: num(overrides.repulsion, 0, 1e6, 'Strength of the pairwise repulsion'),
    [`${prefix}.springStrength`]: num(0.05, 0, 10, 'Hooke stiffness of edges, scaled by edge weight'),
    [`${prefix}.springLength`]: num(overrides.springLength, 0, 1e4, 'Rest length of edges'),
    [`${prefix}.mass`]: num(1, 0.01, 1e3, 'Inertia of the node class'),
  };
}

export const SETTINGS_SCHEMA: Readonly<Record<string, SettingSpec>> = {
  'physics.enabled': bool(true, 'Run the layout'),
  ...forceGroup('physics.knowledge', { repulsion: 50, springLength: 30 }),
  ...forceGroup('physics.agent', { repulsion: 120, springLength: 60 }),
  'physics.gravity': num(0.01, 0, 10, 'Pull towards the centre'),
  'physics.damping': num(0.9, 0, 1, 'Velocity kept per tick (1 = no damping)'),
  'physics.maxVelocity': num(50, 0.01, 1e4, 'Cap on a node speed per tick'),
  'physics.maxForce': num(1e3, 0.01, 1e6, 'Cap on the force on one node'),
  'physics.theta': num(0.8, 0.1, 2, 'Barnes-Hut opening angle (lower = exact but slower)'),
  'physics.cooling': num(0.995, 0.5, 1, 'Temperature kept per tick while the layout settles'),
  'physics.boundsRadius': num(5000, 1, 1e7, 'Soft bound: nodes beyond this radius are pushed back'),
  'physics.ticksPerSecond': num(60, 1, 240, 'Simulation rate', true),
  'physics.sleepThreshold': num(0.01, 0, 100, 'Mean speed under which a settled graph sleeps'),
  'physics.pinTimeoutMs': num(10_000, 0, 3_600_000, 'A dragged node is released after this long', true),
  'physics.ssspSpringScale': num(0, 0, 10, 'Scale rest lengths by SSSP distance from the source (0 = off)'),
  'visualisation.frameRateHz': num(60, 1, 240, 'Position frames per second sent to viewers', true),
  'visualisation.nodes.baseSize': num(1, 0.01, 100, 'Node radius'),
  'visualisation.nodes.sizeByDegree': bool(true, 'Grow nodes with their degree'),
  'visualisation.nodes.knowledgeColor': color('#4fc3f7', 'Colour of knowledge nodes'),
  'visualisation.nodes.agentColor': color('#ffb74d', 'Colour of agent nodes'),
  'visualisation.nodes.renderMode': oneOf('auto', ['auto', 'mesh', 'points'], 'Instanced meshes, points, or chosen by size'),
  'visualisation.edges.visible': bool(true, 'Draw edges'),
  'visualisation.edges.opacity': num(0.35, 0, 1, 'Edge opacity'),
  'visualisation.edges.color': color('#90a4ae', 'Edge colour'),
  'visualisation.labels.visible': bool(true, 'Show labels for hovered, selected and nearby nodes'),
  'visualisation.labels.maxVisible': num(50, 0, 1_000, 'Most labels drawn at once', true),
  'visualisation.background': color('#0f1419', 'Background colour'),
  'visualisation.sssp.colorByDistance': bool(true, 'Colour nodes by distance from the SSSP source'),
};

export type ValidationResult =
  | { readonly ok: true; readonly value: SettingValue }
  | { readonly ok: false; readonly code: 'unknown-path' | 'invalid-value'; readonly message: string };

const COLOR = /^#[0-9a-f]{6}$/i;

/** Checks a value from outside against the schema; numbers must be finite and in range. */
export function validateSetting(path: string, value: unknown): ValidationResult {
  const spec = Object.prototype.hasOwnProperty.call(SETTINGS_SCHEMA, path) ? SETTINGS_SCHEMA[path] : undefined;
  if (spec === undefined) return { ok: false, code: 'unknown-path', message: `no setting "${path.slice(0, 200)}"` };
  const invalid = (message: string): ValidationResult => ({ ok: false, code: 'invalid-value', message: `${path}: ${message}` });
  switch (spec.type) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return invalid('expected a finite number');
      if (value < spec.min || value > spec.max) return invalid(`expected ${spec.min}..${spec.max}, got ${value}`);
      if (spec.integer === true && !Number.isInteger(value)) return invalid('expected an integer');
      return { ok: true, value };
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : invalid('expected true or false');
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value) ? { ok: true, value } : invalid(`expected one of ${spec.values.join(', ')}`);
    case 'color':
      return typeof value === 'string' && COLOR.test(value) ? { ok: true, value: value.toLowerCase() } : invalid('expected a colour #rrggbb');
    case 'string':
      return typeof value === 'string' && value.length <= spec.maxLength ? { ok: true, value } : invalid(`expected text of at most ${spec.maxLength} characters`);
  }
}

export function defaultOf(path: string): SettingValue | undefined {
  return SETTINGS_SCHEMA[path]?.default;
}
