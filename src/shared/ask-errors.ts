// The two ways an ask fails, as the asker sees them: no answer in time, or nobody to ask. The
// runtime raises them; code that only holds a port to an actor (an HTTP route) tells them apart.

export class AskTimeoutError extends Error {
  readonly code = 'ask-timeout';
  constructor(
    readonly target: string,
    readonly timeoutMs: number,
  ) {
    super(`ask to ${target} got no reply within ${timeoutMs} ms`);
    this.name = 'AskTimeoutError';
  }
}

/** The asked actor is stopped, unknown, or dropped the request: failing now beats timing out. */
export class RecipientUnavailableError extends Error {
  readonly code = 'recipient-unavailable';
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`${target} cannot take the request: ${reason}`);
    this.name = 'RecipientUnavailableError';
  }
}
