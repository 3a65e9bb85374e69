// Request/response on top of tell. Each ask gets a temporary ref whose correlation id comes from a
// per-system counter (never reused, unlike random 32-bit ids), a mandatory timeout, and fails at
// once when its request dead-letters instead of waiting for the timeout.
import type { Clock, TimerHandle } from './clock.ts';
import { AskTimeoutError, RecipientUnavailableError } from './errors.ts';
import type { Ref } from './ref.ts';

export const TEMP_PREFIX = '/temp/';

export interface AskHost {
  readonly clock: Clock;
  lateReply(ref: AskRef<unknown>, message: unknown): void;
  expired(ref: AskRef<unknown>, request: unknown): void;
  settled(ref: AskRef<unknown>): void;
}

export class AskRef<Res> implements Ref<Res> {
  readonly path: string;
  private done = false;
  private timer: TimerHandle | undefined;
  private resolve!: (value: Res) => void;
  private reject!: (error: Error) => void;
  readonly promise: Promise<Res>;

  constructor(
    readonly correlationId: number,
    readonly target: string,
    private readonly host: AskHost,
  ) {
    this.path = `${TEMP_PREFIX}${correlationId}`;
    this.promise = new Promise<Res>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  get settled(): boolean {
    return this.done;
  }

  arm(timeoutMs: number, request: unknown): void {
    if (this.done) return;
    this.timer = this.host.clock.setTimer(timeoutMs, () => {
      if (this.done) return;
      this.finish();
      this.reject(new AskTimeoutError(this.target, timeoutMs));
      this.host.expired(this as AskRef<unknown>, request);
    });
  }

  tell(message: Res): void {
    if (this.done) {
      this.host.lateReply(this as AskRef<unknown>, message);
      return;
    }
    this.finish();
    this.resolve(message);
  }

  /** The request could not be delivered: answer the asker now. */
  fail(reason: string): void {
    if (this.done) return;
    this.finish();
    this.reject(new RecipientUnavailableError(this.target, reason));
  }

  private finish(): void {
    this.done = true;
    this.timer?.cancel();
    this.host.settled(this as AskRef<unknown>);
  }
}

export function validateTimeout(timeoutMs: number): number {
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError(`ask needs a positive, finite timeout, got ${timeoutMs}`);
  return timeoutMs;
}
