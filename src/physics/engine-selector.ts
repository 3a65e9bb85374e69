// Which engine the physics actor runs, as supervision policy: an ordered list of candidates (the
// GPU first where one exists, the CPU last) and a rule for leaving one. The engine runs in a child
// actor of the physics actor; every failure of that child reaches the physics actor's decider
// (engineFallbackDecider), which records it here and restarts the child. A candidate that fails
// to start, or fails `failuresBeforeFallback` times in a row, is left for the next one; the last
// candidate is never left (its failures are ordinary restarts, bounded by restart intensity).
import type { EngineFactory, EngineKind } from './engine.ts';

export interface EngineCandidate {
  readonly kind: EngineKind;
  readonly create: EngineFactory;
}

export type EnginePhase = 'init' | 'step';

/** An engine could not start ('init') or a step failed ('step'). */
export class EngineFailure extends Error {
  readonly code = 'engine-failure';
  constructor(
    readonly engine: EngineKind,
    readonly phase: EnginePhase,
    override readonly cause: unknown,
  ) {
    super(`${engine} engine failed (${phase}): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'EngineFailure';
  }
}

export interface Fallback {
  readonly from: EngineKind;
  readonly to: EngineKind;
  readonly reason: string;
  readonly failures: number;
}

export interface EngineSelectorOptions {
  /** Consecutive step failures of one engine before the next candidate takes over (default 3). */
  readonly failuresBeforeFallback?: number;
  readonly onFallback?: (fallback: Fallback) => void;
}

export class EngineSelector {
  readonly failuresBeforeFallback: number;
  private index = 0;
  private consecutive = 0;
  private readonly fallbacks: Fallback[] = [];

  constructor(
    readonly candidates: readonly EngineCandidate[],
    private readonly options: EngineSelectorOptions = {},
  ) {
    if (candidates.length === 0) throw new RangeError('at least one engine candidate is needed');
    this.failuresBeforeFallback = options.failuresBeforeFallback ?? 3;
    if (!Number.isInteger(this.failuresBeforeFallback) || this.failuresBeforeFallback < 1)
      throw new RangeError('failuresBeforeFallback must be >= 1');
  }

  current(): EngineCandidate {
    return this.candidates[this.index]!;
  }

  get history(): readonly Fallback[] {
    return this.fallbacks;
  }

  /** The current engine completed a step: its failure streak is over. */
  recordSuccess(): void {
    this.consecutive = 0;
  }

  /** A failure of the engine child; moves to the next candidate when the rule says so. */
  recordFailure(error: unknown): void {
    const initFailure = error instanceof EngineFailure && error.phase === 'init';
    this.consecutive++;
    const last = this.index === this.candidates.length - 1;
    if (last || (!initFailure && this.consecutive < this.failuresBeforeFallback)) return;
    const from = this.current().kind;
    this.index++;
    const fallback: Fallback = {
      from,
      to: this.current().kind,
      reason: error instanceof Error ? error.message : String(error),
      failures: this.consecutive,
    };
    this.consecutive = 0;
    this.fallbacks.push(fallback);
    this.options.onFallback?.(fallback);
  }
}

/** The physics actor's decider for its engine child: record the failure, restart the child. */
export function engineFallbackDecider(selector: EngineSelector): (error: unknown) => 'restart' {
  return (error) => {
    selector.recordFailure(error);
    return 'restart';
  };
}
