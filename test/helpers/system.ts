// A test actor system on a virtual clock and a seeded random, terminated when the test ends, and
// small helpers to let the dispatcher drain and to move time.
import type { ExecutionContext } from 'ava';
import { VirtualClock } from '../../src/shared/clock.ts';
import { ActorSystem, type SystemOptions } from '../../src/runtime/system.ts';
import { mulberry32 } from './mulberry32.ts';
import { pollUntil } from './poll.ts';

export interface TestSystem {
  readonly system: ActorSystem;
  readonly clock: VirtualClock;
  /**
   * Moves the clock forward by `ms` as time would pass: jumps to each due timer in turn and lets
   * the dispatcher drain after it, so what a timer causes happens at that timer's time.
   */
  advance(ms: number): Promise<void>;
}

export function testSystem(t: ExecutionContext, options: Partial<SystemOptions> & { seed?: number } = {}): TestSystem {
  const clock = new VirtualClock();
  const { seed = 1, ...rest } = options;
  const system = new ActorSystem({ name: 'test', clock, random: mulberry32(seed), ...rest });
  t.teardown(async () => {
    await system.terminate();
  });
  return {
    system,
    clock,
    advance: (ms: number) => advanceSettled(system, clock, ms),
  };
}

/**
 * Moves `clock` forward by `ms` as time would pass: jumps to each due timer in turn and lets the
 * system settle after it, so what a timer causes happens at that timer's time.
 */
export async function advanceSettled(system: ActorSystem, clock: VirtualClock, ms: number): Promise<void> {
  const target = clock.now() + ms;
  await system.settled();
  for (let next = clock.nextDue(); next !== undefined && next <= target; next = clock.nextDue()) {
    clock.advanceTo(next);
    await system.settled();
  }
  clock.advanceTo(target);
  await system.settled();
}

/** Lets `n` turns of the event loop pass (for work that `settled()` cannot see, or must not wait for). */
export async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Polls `condition` once per event-loop turn until it holds; fails after `limitMs` of real time. */
export async function waitFor(condition: () => boolean, limitMs = 2_000): Promise<void> {
  await pollUntil(condition, { limitMs, what: 'condition' });
}

/** A promise with its resolver outside, to hold an async hook or handler open. */
export function gate(): { readonly promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
