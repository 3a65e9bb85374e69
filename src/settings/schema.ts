// The settings tree: every path a client may read or write, with its type, range and default.
// Physics paths are applied to the layout live (the physics actor subscribes to "physics.");
// visualisation paths are for the viewers. A path that is not here does not exist.
import { DEFAULT_PARAMS, type GroupParams } from '../physics/params.ts';
import type { SettingValue } from './delta.ts';

export type SettingSpec =
  | {
      readonly type: 'number';
      readonly default: number;
      readonly min: number;
      readonly max: number;
      readonly integer?: boolean;
      readonly doc: string;
    }
  | { readonly type: 'boolean'; readonly default: boolean; readonly doc: string }
  | { readonly type: 'enum'; readonly default: string; readonly values: readonly string[]; readonly doc: string }
  | { readonly type: 'color'; readonly default: string; readonly doc: string }
  | { readonly type: 'string'; readonly default: string; readonly maxLength: number; readonly doc: string };

const num = (def: number, min: number, max: number, doc: string, integer = false): SettingSpec => ({
  type: 'number',
  default: def,
  min,
  max,
  integer,
  doc,
});
const bool = (def: boolean, doc: string): SettingSpec => ({ type: 'boolean', default: def, doc });
const color = (def: string, doc: string): SettingSpec => ({ type: 'color', default: def, doc });
const oneOf = (def: string, values: readonly string[], doc: string): SettingSpec => ({ type: 'enum', default: def, values, doc });

/**
 * Forces for one class of node; knowledge and agent nodes each get a set. Names and defaults are
 * the physics engine's own (src/physics/params.ts), so a physics.* path maps onto its parameters.
 */
function forceGroup(prefix: string, g: GroupParams): Record<string, SettingSpec> {
  return {
    [`${prefix}.charge`]: num(g.charge, 0, 1e4, 'Charge: repulsion between two nodes scales with the product'),
    [`${prefix}.springLength`]: num(g.springLength, 0, 1e4, 'Rest length of edges touching this kind'),
    [`${prefix}.springStiffness`]: num(g.springStiffness, 0, 100, 'Hooke stiffness per unit of edge weight'),
    [`${prefix}.gravity`]: num(g.gravity, 0, 10, 'Pull towards the centre'),
    [`${prefix}.mass`]: num(g.mass, 0.001, 1e4, 'Inertia (grows with degree)'),
  };
}

const P = DEFAULT_PARAMS;

export const SETTINGS_SCHEMA: Readonly<Record<string, SettingSpec>> = {
  ...forceGroup('physics.knowledge', P.knowledge),
  ...forceGroup('physics.agent', P.agent),
  'physics.repulsion': num(P.repulsion, 0, 1e6, 'Scale of the all-pairs repulsion'),
  'physics.theta': num(P.theta, 0, 2, 'Barnes-Hut opening angle (0 = exact, slower)'),
  'physics.softening': num(P.softening, 0.001, 1e3, 'Softening length: coincident nodes stay finite'),
  'physics.timeStep': num(P.timeStep, 0.001, 10, 'Integration step'),
  'physics.damping': num(P.damping, 0, 0.999, 'Fraction of velocity lost per tick'),
  'physics.maxForce': num(P.maxForce, 0.001, 1e6, 'Cap on the force on one node'),
  'physics.maxVelocity': num(P.maxVelocity, 0.001, 1e4, 'Cap on a node speed'),
  'physics.cooling': num(P.cooling, 0, 0.999, 'Fraction of the temperature lost per tick while settling'),
  'physics.alphaMin': num(P.alphaMin, 0, 1, 'Lowest temperature'),
  'physics.wakeAlpha': num(P.wakeAlpha, 0, 1, 'Temperature after a change wakes the layout'),
  'physics.boundRadius': num(P.boundRadius, 0, 1e7, 'Soft bound radius (0 = none)'),
  'physics.boundStiffness': num(P.boundStiffness, 0, 100, 'Pull back from beyond the bound'),
  'physics.maxWeight': num(P.maxWeight, 0.001, 1e6, 'Edge weights are clamped to this'),
  'physics.constraintStiffness': num(P.constraintStiffness, 0, 100, 'Stiffness of distance and position constraints'),
  'physics.sleepDistance': num(P.sleepDistance, 0, 100, 'A layout whose nodes move less than this is settling'),
  'physics.sleepTicks': num(P.sleepTicks, 1, 100_000, 'Settling ticks in a row before it sleeps', true),
  'physics.annealTicks': num(
    P.annealTicks,
    0,
    1_000_000,
    'Ticks at the lowest temperature before a layout still moving cools on to rest (0 = never)',
    true,
  ),
  'physics.easeTicks': num(P.easeTicks, 1, 10_000, 'Ticks over which a change is eased in', true),
  'physics.simHz': num(P.simHz, 1, 1_000, 'Simulation rate', true),
  'physics.pinTimeoutMs': num(P.pinTimeoutMs, 0, 3_600_000, 'A dragged node is released after this long', true),
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
      return typeof value === 'string' && spec.values.includes(value)
        ? { ok: true, value }
        : invalid(`expected one of ${spec.values.join(', ')}`);
    case 'color':
      return typeof value === 'string' && COLOR.test(value)
        ? { ok: true, value: value.toLowerCase() }
        : invalid('expected a colour #rrggbb');
    case 'string':
      return typeof value === 'string' && value.length <= spec.maxLength
        ? { ok: true, value }
        : invalid(`expected text of at most ${spec.maxLength} characters`);
  }
}

export function defaultOf(path: string): SettingValue | undefined {
  return SETTINGS_SCHEMA[path]?.default;
}
