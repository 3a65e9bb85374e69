// Errors the runtime raises. Each has a stable `code` so callers and wire errors can switch on it.
// The two an asker sees are shared with the libraries that ask through ports (../shared/ask-errors.ts).
export { AskTimeoutError, RecipientUnavailableError } from '../shared/ask-errors.ts';

/** Thrown inside an actor by fault injection; supervision treats it like any other failure. */
export class InjectedFault extends Error {
  readonly code = 'injected-fault';
  constructor(readonly path: string) {
    super(`fault injected into ${path}`);
    this.name = 'InjectedFault';
  }
}

/** The actor was killed from outside (fault injection or an operator). */
export class ActorKilledError extends Error {
  readonly code = 'actor-killed';
  constructor(readonly path: string) {
    super(`${path} was killed`);
    this.name = 'ActorKilledError';
  }
}

/** A supervisor saw more restarts than its intensity allows, so it fails itself. */
export class RestartIntensityExceeded extends Error {
  readonly code = 'restart-intensity-exceeded';
  constructor(
    readonly supervisor: string,
    readonly maxRestarts: number,
    readonly withinMs: number,
    override readonly cause: unknown,
  ) {
    super(`${supervisor} exceeded ${maxRestarts} restarts in ${withinMs} ms`);
    this.name = 'RestartIntensityExceeded';
  }
}

/** A child escalated a failure its supervisor's decider would not handle. */
export class EscalatedFailure extends Error {
  readonly code = 'escalated';
  constructor(
    readonly child: string,
    override readonly cause: unknown,
  ) {
    super(`failure escalated from ${child}: ${describeError(cause)}`);
    this.name = 'EscalatedFailure';
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
