// Hybrid logical clocks (Kulkarni et al.): wall-clock milliseconds plus a logical counter, so
// stamps follow causality even when wall clocks disagree a little, and the issuing node's id, so
// two stamps from different nodes never compare equal. The same triple as vf.Hlc on the wire.

export interface Hlc {
  readonly wallMs: number;
  readonly logical: number;
  readonly node: number;
}

export const ZERO_HLC: Hlc = { wallMs: 0, logical: 0, node: 0 };

/** Total order: wall time, then logical counter, then node id. */
export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  if (a.node !== b.node) return a.node < b.node ? -1 : 1;
  return 0;
}

export function isValidHlc(h: Hlc): boolean {
  return (
    Number.isSafeInteger(h.wallMs) &&
    h.wallMs >= 0 &&
    Number.isInteger(h.logical) &&
    h.logical >= 0 &&
    h.logical <= 0xffffffff &&
    Number.isInteger(h.node) &&
    h.node >= 0 &&
    h.node <= 0xffffffff
  );
}

/**
 * The least stamp after `h` from the same issuer: the next logical count, or the next millisecond
 * once the counter is spent.
 */
export function successor(h: Hlc): Hlc {
  return h.logical < 0xffffffff
    ? { wallMs: h.wallMs, logical: h.logical + 1, node: h.node }
    : { wallMs: h.wallMs + 1, logical: 0, node: h.node };
}

/**
 * Whether `h` is later than every stamp a clock whose latest is `latest` has issued or observed.
 * Wall time and counter alone decide: a clock that observes a stamp takes its wall time and counter,
 * not its node, so a stamp equal to `latest` on both may still have been observed from a greater node.
 */
export function aheadOf(h: Hlc, latest: Hlc): boolean {
  return h.wallMs > latest.wallMs || (h.wallMs === latest.wallMs && h.logical > latest.logical);
}

export class ClockSkewError extends Error {
  constructor(
    readonly remote: Hlc,
    readonly maxDriftMs: number,
    readonly localWallMs: number,
  ) {
    super(
      `clock skew: stamp wall_ms ${remote.wallMs} is ${remote.wallMs - localWallMs} ms ahead of the server's clock (wall_ms ${localWallMs}); ` +
        `at most ${maxDriftMs} ms is accepted: set the client's clock right`,
    );
    this.name = 'ClockSkewError';
  }
}

/**
 * One node's clock. `now` is injected (wall milliseconds since the Unix epoch); a remote stamp
 * further ahead than `maxDriftMs` is refused, so one client with a broken clock cannot drag every
 * replica's time into the future.
 */
export class HybridClock {
  private last: Hlc;

  constructor(
    readonly node: number,
    private readonly now: () => number = Date.now,
    readonly maxDriftMs = 60_000,
  ) {
    if (!Number.isInteger(node) || node < 0 || node > 0xffffffff) throw new RangeError(`HLC node id must be a u32, got ${node}`);
    this.last = { wallMs: 0, logical: 0, node };
  }

  /** A stamp for a local event, greater than every stamp issued or observed before. */
  tick(): Hlc {
    const wall = Math.floor(this.now());
    const last = this.last;
    this.last =
      wall > last.wallMs
        ? { wallMs: wall, logical: 0, node: this.node }
        : { wallMs: last.wallMs, logical: last.logical + 1, node: this.node };
    return this.last;
  }

  /** Takes a remote stamp into account (message receipt); throws ClockSkewError when it is too far ahead. */
  observe(remote: Hlc): void {
    const wall = Math.floor(this.now());
    if (remote.wallMs > wall + this.maxDriftMs) throw new ClockSkewError(remote, this.maxDriftMs, wall);
    this.observeTrusted(remote);
  }

  /** As observe, without the drift check: for stamps read back from this node's own storage. */
  observeTrusted(remote: Hlc): void {
    const last = this.last;
    if (remote.wallMs > last.wallMs || (remote.wallMs === last.wallMs && remote.logical > last.logical)) {
      this.last = { wallMs: remote.wallMs, logical: remote.logical, node: this.node };
    }
  }

  /** The latest stamp issued or observed. */
  peek(): Hlc {
    return this.last;
  }
}
