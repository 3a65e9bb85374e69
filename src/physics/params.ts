// The physics parameters: plain data, validated by one schema, changed live by partial updates.
// Agent nodes and knowledge nodes (every kind that is not 'agent') have parameter groups of their
// own; the rest is global. Units are world units and simulation ticks (`timeStep` scales both).
import { z } from 'zod';

export interface GroupParams {
  /** Charge q of a node: repulsion between i and j is `repulsion * q_i * q_j / r^2`. */
  readonly charge: number;
  /** Rest length of an edge that touches this group (an agent endpoint wins). */
  readonly springLength: number;
  /** Hooke stiffness per unit of edge weight. */
  readonly springStiffness: number;
  /** Centring: a spring to the origin, force `-gravity * mass * x`. */
  readonly gravity: number;
  /** Base mass; a node's mass is `mass * (1 + degree / 3)` so hubs do not shake (as ngraph does). */
  readonly mass: number;
}

export interface PhysicsParams {
  readonly knowledge: GroupParams;
  readonly agent: GroupParams;
  /** Scale of the all-pairs repulsion. */
  readonly repulsion: number;
  /** Barnes-Hut opening angle: a cell of size s is one body at distance d when s < theta * d; 0 = exact. */
  readonly theta: number;
  /** Plummer softening length: repulsion uses r^2 + softening^2, so coincident nodes stay finite. */
  readonly softening: number;
  readonly timeStep: number;
  /** Fraction of velocity lost per tick, in [0, 1). */
  readonly damping: number;
  /** Cap on the magnitude of the total force on a node. */
  readonly maxForce: number;
  /** Cap on the magnitude of a node's velocity. */
  readonly maxVelocity: number;
  /** Cooling: the temperature alpha (a factor on every force) loses this fraction per tick... */
  readonly cooling: number;
  /** ...down to this floor; a wake-up raises it back to at least `wakeAlpha`. */
  readonly alphaMin: number;
  readonly wakeAlpha: number;
  /** Soft bounds: beyond this distance from the origin a spring of `boundStiffness` pulls back; 0 = none. */
  readonly boundRadius: number;
  readonly boundStiffness: number;
  /** Edge weights are clamped to [0, maxWeight]; non-finite weights count as maxWeight (Infinity) or 1 (NaN). */
  readonly maxWeight: number;
  /** Default stiffness of distance and position constraints. */
  readonly constraintStiffness: number;
  /** Asleep after `sleepTicks` ticks in a row in which no node moved farther than `sleepDistance`. */
  readonly sleepDistance: number;
  readonly sleepTicks: number;
  /**
   * Ticks at the `alphaMin` floor after which a layout still moving cools on below the floor, so
   * that it comes to rest and sleeps; 0 = never (it runs until it settles at the floor, which a
   * big dense graph may never do).
   */
  readonly annealTicks: number;
  /** Ticks over which a parameter change is eased in (1 = at once). */
  readonly easeTicks: number;
  /** Simulation ticks per second (the frame rate of each subscriber is its own). */
  readonly simHz: number;
  /** A dragged node is released this long after its last drag. */
  readonly pinTimeoutMs: number;
}

export const DEFAULT_GROUP: GroupParams = { charge: 1, springLength: 10, springStiffness: 0.3, gravity: 0.002, mass: 1 };

export const DEFAULT_PARAMS: PhysicsParams = {
  knowledge: DEFAULT_GROUP,
  agent: { charge: 2, springLength: 20, springStiffness: 0.2, gravity: 0.004, mass: 2 },
  repulsion: 12,
  theta: 1,
  softening: 0.5,
  timeStep: 0.5,
  damping: 0.3,
  maxForce: 200,
  maxVelocity: 20,
  cooling: 0.004,
  alphaMin: 0.05,
  wakeAlpha: 0.5,
  boundRadius: 0,
  boundStiffness: 0.05,
  maxWeight: 100,
  constraintStiffness: 0.5,
  sleepDistance: 0.005,
  sleepTicks: 30,
  annealTicks: 1800,
  easeTicks: 10,
  simHz: 60,
  pinTimeoutMs: 5_000,
};

const finite = z.number().refine(Number.isFinite, 'must be finite');
const nonNegative = finite.refine((v) => v >= 0, 'must be >= 0');
const positive = finite.refine((v) => v > 0, 'must be > 0');

const groupSchema = z.strictObject({
  charge: nonNegative,
  springLength: nonNegative,
  springStiffness: nonNegative,
  gravity: nonNegative,
  mass: positive,
});

const paramsShape = {
  knowledge: groupSchema,
  agent: groupSchema,
  repulsion: nonNegative,
  theta: nonNegative.refine((v) => v <= 2, 'must be <= 2'),
  softening: positive,
  timeStep: positive,
  damping: nonNegative.refine((v) => v < 1, 'must be < 1'),
  maxForce: positive,
  maxVelocity: positive,
  cooling: nonNegative.refine((v) => v < 1, 'must be < 1'),
  alphaMin: nonNegative.refine((v) => v <= 1, 'must be <= 1'),
  wakeAlpha: nonNegative.refine((v) => v <= 1, 'must be <= 1'),
  boundRadius: nonNegative,
  boundStiffness: nonNegative,
  maxWeight: positive,
  constraintStiffness: nonNegative,
  sleepDistance: nonNegative,
  sleepTicks: z.number().int().min(1),
  annealTicks: z.number().int().min(0),
  easeTicks: z.number().int().min(1).max(10_000),
  simHz: positive.refine((v) => v <= 1_000, 'must be <= 1000'),
  pinTimeoutMs: nonNegative,
};

const paramsSchema = z.strictObject(paramsShape);

/** A live change: any subset of the parameters, groups merged field by field. */
export type ParamsPatch = Partial<Omit<PhysicsParams, 'knowledge' | 'agent'>> & {
  readonly knowledge?: Partial<GroupParams>;
  readonly agent?: Partial<GroupParams>;
};

export class InvalidParams extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid physics parameters: ${issues.join('; ')}`);
    this.name = 'InvalidParams';
  }
}

/** `base` with `patch` applied, validated as a whole; throws InvalidParams. */
export function applyPatch(base: PhysicsParams, patch: ParamsPatch): PhysicsParams {
  if (typeof patch !== 'object' || patch === null) throw new InvalidParams(['a patch must be an object']);
  const merged = {
    ...base,
    ...patch,
    knowledge: { ...base.knowledge, ...(patch.knowledge ?? {}) },
    agent: { ...base.agent, ...(patch.agent ?? {}) },
  };
  const result = paramsSchema.safeParse(merged);
  if (!result.success) {
    throw new InvalidParams(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return result.data;
}

export function validateParams(params: PhysicsParams): PhysicsParams {
  return applyPatch(params, {});
}

/** Parameters that switch at once rather than ease (counts, rates and timeouts). */
const DISCRETE = new Set<string>(['sleepTicks', 'annealTicks', 'easeTicks', 'simHz', 'pinTimeoutMs']);

/** The point `t` in [0, 1] of the way from `a` to `b`, numbers interpolated linearly. */
export function lerpParams(a: PhysicsParams, b: PhysicsParams, t: number): PhysicsParams {
  const mix = (x: number, y: number): number => (t >= 1 ? y : x + (y - x) * t);
  const group = (x: GroupParams, y: GroupParams): GroupParams => ({
    charge: mix(x.charge, y.charge),
    springLength: mix(x.springLength, y.springLength),
    springStiffness: mix(x.springStiffness, y.springStiffness),
    gravity: mix(x.gravity, y.gravity),
    mass: mix(x.mass, y.mass),
  });
  const out: Record<string, unknown> = { knowledge: group(a.knowledge, b.knowledge), agent: group(a.agent, b.agent) };
  for (const key of Object.keys(paramsShape)) {
    if (key === 'knowledge' || key === 'agent') continue;
    const x = a[key as keyof PhysicsParams] as number;
    const y = b[key as keyof PhysicsParams] as number;
    out[key] = DISCRETE.has(key) ? y : mix(x, y);
  }
  return out as unknown as PhysicsParams;
}

/**
 * Eases the active parameters toward a target over `easeTicks` ticks: each tick moves 1/remaining
 * of the way, so the change is linear and lands exactly on the target. A new target mid-way starts
 * a fresh ramp from wherever the active values are.
 */
export class ParamEaser {
  private activeParams: PhysicsParams;
  private targetParams: PhysicsParams;
  private remaining = 0;

  constructor(initial: PhysicsParams) {
    this.activeParams = validateParams(initial);
    this.targetParams = this.activeParams;
  }

  get active(): PhysicsParams {
    return this.activeParams;
  }

  get target(): PhysicsParams {
    return this.targetParams;
  }

  get easing(): boolean {
    return this.remaining > 0;
  }

  /** Sets a new target (validated against the current target); returns it. */
  set(patch: ParamsPatch): PhysicsParams {
    this.targetParams = applyPatch(this.targetParams, patch);
    this.remaining = this.targetParams.easeTicks;
    // Discrete values apply at once.
    this.activeParams = lerpParams(this.activeParams, this.targetParams, 0);
    return this.targetParams;
  }

  /** Advances one tick; true when the active parameters changed. */
  tick(): boolean {
    if (this.remaining <= 0) return false;
    this.activeParams = lerpParams(this.activeParams, this.targetParams, 1 / this.remaining);
    this.remaining--;
    return true;
  }
}
