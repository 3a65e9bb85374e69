// OTP's child specification: how to start a child and how its supervisor treats it, as data.
import type { ActorFactory, SpawnOptions } from '../runtime/actor.ts';
import { validateName } from '../runtime/path.ts';

export interface ChildSpec<Msg = never> extends SpawnOptions {
  readonly factory: ActorFactory<Msg>;
}

/** Lets specs of different message types sit in one list. */
export type AnyChildSpec = ChildSpec<never>;

export function childSpec<Msg>(factory: ActorFactory<Msg>, options: SpawnOptions): AnyChildSpec {
  return { ...options, factory } as unknown as AnyChildSpec;
}

export function validateChildSpecs(specs: readonly AnyChildSpec[]): readonly AnyChildSpec[] {
  const names = new Set<string>();
  for (const spec of specs) {
    validateName(spec.name);
    if (names.has(spec.name)) throw new Error(`duplicate child name "${spec.name}" in supervisor spec`);
    names.add(spec.name);
    if (spec.restart !== undefined && !['permanent', 'transient', 'temporary'].includes(spec.restart)) {
      throw new RangeError(`unknown restart type "${String(spec.restart)}" for ${spec.name}`);
    }
    if (typeof spec.factory !== 'function') throw new TypeError(`child ${spec.name} has no factory`);
  }
  return specs;
}
