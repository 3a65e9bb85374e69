// Faults a test (ours or a user's) can inject into a named actor. They act on the real message
// path: an injected throw is caught and supervised exactly like an actor's own exception.

export type Fault =
  /** Throw instead of handling each of the next `times` messages. */
  | { readonly kind: 'throw'; readonly times: number }
  /** Throw instead of handling a message with probability `probability`, until cleared. */
  | { readonly kind: 'throw-randomly'; readonly probability: number }
  /** Hold each of the next `times` messages for `durationMs` before handling it. */
  | { readonly kind: 'stall'; readonly durationMs: number; readonly times: number };

export function validateFault(fault: Fault): Fault {
  switch (fault.kind) {
    case 'throw':
      if (!Number.isInteger(fault.times) || fault.times < 1) throw new RangeError('throw fault needs times >= 1');
      return fault;
    case 'throw-randomly':
      if (!(fault.probability >= 0 && fault.probability <= 1)) throw new RangeError('probability must be in [0, 1]');
      return fault;
    case 'stall':
      if (!(Number.isFinite(fault.durationMs) && fault.durationMs >= 0)) throw new RangeError('stall duration must be >= 0');
      if (!Number.isInteger(fault.times) || fault.times < 1) throw new RangeError('stall fault needs times >= 1');
      return fault;
  }
}

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'throw':
      return `throw on the next ${fault.times} message(s)`;
    case 'throw-randomly':
      return `throw with probability ${fault.probability}`;
    case 'stall':
      return `stall ${fault.durationMs} ms on the next ${fault.times} message(s)`;
  }
}

/** The live, mutable state of an injected fault on one actor. */
export class FaultPlan {
  private remaining: number;

  constructor(readonly fault: Fault) {
    this.remaining = fault.kind === 'throw-randomly' ? Infinity : fault.times;
  }

  get exhausted(): boolean {
    return this.remaining <= 0;
  }

  /** What to do with the message about to be handled. */
  next(random: () => number): 'throw' | 'stall' | 'none' {
    if (this.remaining <= 0) return 'none';
    switch (this.fault.kind) {
      case 'throw':
        this.remaining--;
        return 'throw';
      case 'throw-randomly':
        return random() < this.fault.probability ? 'throw' : 'none';
      case 'stall':
        this.remaining--;
        return 'stall';
    }
  }
}
