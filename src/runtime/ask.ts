// Request/response on top of tell. Each ask gets a temporary ref whose correlation id comes from a
// per-system counter (never reused, unlike random 32-bit ids), a mandatory timeout, and fails at
// once when its request dead-letters instead of waiting for the timeout.
import { AskTimeoutError, RecipientUnavailableError } from './errors.ts';
import type { Ref } from './ref.ts';

export const TEMP_PREFIX = '/temp/';

export interface AskHost {
  lateReply(ref: AskRef<unknown>, message: unknown): void;
  settled(ref: AskRef<unknown>): void;
}

export class AskRef<Res> implements Ref<Res> {
  private done = false;
  /** The request, kept until settled for the dead letter an expiry produces. */
  request: unknown;
  private resolve!: (value: Res) => void;
  private reject!: (error: Error) => void;
  readonly promise: Promise<Res>;

  constructor(
    readonly correlationId: number,
    readonly target: string,
    readonly timeoutMs: number,
    private readonly host: AskHost,
  ) {
    this.promise = new Promise<Res>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Built on demand: most asks are answered without anyone reading it. */
  get path(): string {
    return `${TEMP_PREFIX}${this.correlationId}`;
  }

  get settled(): boolean {
    return this.done;
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

  /** The deadline passed with no reply; returns the request, for the dead letter. */
  expire(): unknown {
    if (this.done) return undefined;
    const request = this.request;
    this.finish();
    this.reject(new AskTimeoutError(this.target, this.timeoutMs));
    return request;
  }

  private finish(): void {
    this.done = true;
    this.request = undefined;
    this.host.settled(this as AskRef<unknown>);
  }
}

export function validateTimeout(timeoutMs: number): number {
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError(`ask needs a positive, finite timeout, got ${timeoutMs}`);
  return timeoutMs;
}
