// A deadline failure detector: a system is down once nothing has been heard from it for
// `downAfterMs`. Any frame counts (every end sends one at least every heartbeatMs, a heartbeat when
// it has nothing else to say), so the bound holds under load as well as when idle. It is checked on
// a timer every heartbeatMs; a check that comes much later than it was due means this process was
// paused itself (a long GC, a stopped process, a starved machine) and the frames that arrived
// meanwhile have not been read yet, so that check waits one more round rather than blame the peer
// (one round only: a process whose every check comes late still declares down, a round later).

export type Verdict = 'alive' | 'missed' | 'down';

export class FailureDetector {
  private lastHeard: number;
  private lastCheck: number;
  private waitedForPause = false;

  constructor(
    private readonly heartbeatMs: number,
    private readonly downAfterMs: number,
    now: number,
  ) {
    this.lastHeard = now;
    this.lastCheck = now;
  }

  heard(now: number): void {
    this.lastHeard = now;
  }

  /** Milliseconds since anything was heard. */
  silence(now: number): number {
    return now - this.lastHeard;
  }

  /** Called every heartbeatMs: 'missed' when two heartbeats' time passed in silence, 'down' past the bound. */
  check(now: number): Verdict {
    const late = now - this.lastCheck > 2 * this.heartbeatMs;
    this.lastCheck = now;
    const silence = now - this.lastHeard;
    if (silence >= this.downAfterMs) {
      if (late && !this.waitedForPause) {
        this.waitedForPause = true;
        return 'missed';
      }
      return 'down';
    }
    this.waitedForPause = false;
    return silence > 2 * this.heartbeatMs ? 'missed' : 'alive';
  }
}
