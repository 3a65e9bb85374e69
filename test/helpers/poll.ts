// Waiting in a test for what another process, a socket or the event loop brings about: one bounded
// poll, so that every wait has a limit and a failure that says what did not happen.

export interface PollOptions {
  /** Fail after this long, in real time. */
  readonly limitMs: number;
  /** Between attempts; 0 or absent: the next turn of the event loop. */
  readonly everyMs?: number;
  /** What was awaited, for the failure's message. */
  readonly what: string;
}

/** Calls `condition` until it gives something other than undefined or false, and returns that. */
export async function pollUntil<T>(
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  options: PollOptions,
): Promise<T> {
  const { limitMs, everyMs = 0, what } = options;
  const start = Date.now();
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - start > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise<void>((resolve) => (everyMs === 0 ? setImmediate(resolve) : setTimeout(resolve, everyMs)));
  }
}
