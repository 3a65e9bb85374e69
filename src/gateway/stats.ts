// What the gateway counts: read by /metrics (Prometheus), by tests and by the benchmark.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GroupCounters } from './stream-group.ts';

export interface CloseRecord {
  readonly session: string;
  readonly code: number;
  readonly reason: string;
}

/** What the metrics read from the running gateway at each scrape. */
export interface LiveFigures {
  readonly sessions: number;
  readonly streamMembers: number;
  readonly counters: GroupCounters;
}

/** Before the gateway has started (or between a failure and its restart). */
export const NO_COUNTERS: GroupCounters = Object.freeze({ framesSent: 0, framesDropped: 0, catchUps: 0 });

export class GatewayStats {
  sessionsOpened = 0;
  handshakes = 0;
  resumes = 0;
  rateLimited = 0;
  /** Layout snapshots that waited for the last frames to go out, and those a newer one replaced. */
  snapshotsDeferred = 0;
  snapshotsSkipped = 0;
  /** The latest closes the server initiated, newest last (bounded). */
  readonly closes: CloseRecord[] = [];
  private closeCounter: Counter<'code'> | undefined;
  private rateCounter: Counter | undefined;

  recordClose(record: CloseRecord): void {
    if (this.closes.length >= 1000) this.closes.shift();
    this.closes.push(record);
    this.closeCounter?.inc({ code: String(record.code) });
  }

  recordRateLimited(): void {
    this.rateLimited++;
    this.rateCounter?.inc();
  }

  /** Registers the gateway's metrics; `live` reads the current session count and stream counters. */
  bind(registry: Registry, live: () => LiveFigures): void {
    const registers = [registry];
    this.closeCounter = new Counter({
      name: 'vf_gateway_closes_total',
      help: 'Sockets the server closed, by close code',
      labelNames: ['code'],
      registers,
    });
    this.rateCounter = new Counter({ name: 'vf_gateway_rate_limited_total', help: 'Rate-limit notices sent to clients', registers });
    new Gauge({
      name: 'vf_gateway_sessions',
      help: 'Client sessions held (attached or awaiting resume)',
      registers,
      collect() {
        this.set(live().sessions);
      },
    });
    new Gauge({
      name: 'vf_gateway_position_subscribers',
      help: 'Sessions receiving the position stream',
      registers,
      collect() {
        this.set(live().streamMembers);
      },
    });
    const snapshots = (): { deferred: number; skipped: number } => ({ deferred: this.snapshotsDeferred, skipped: this.snapshotsSkipped });
    new Gauge({
      name: 'vf_gateway_layout_snapshots',
      help: 'Layout snapshots since start that waited for the fan-out to catch up (deferred), or were replaced by a newer one (skipped)',
      labelNames: ['outcome'],
      registers,
      collect() {
        const s = snapshots();
        this.set({ outcome: 'deferred' }, s.deferred);
        this.set({ outcome: 'skipped' }, s.skipped);
      },
    });
    new Gauge({
      name: 'vf_gateway_position_frames',
      help: 'Position frames since start: sent, dropped for a slow reader, catch-up keyframes',
      labelNames: ['outcome'],
      registers,
      collect() {
        const c = live().counters;
        this.set({ outcome: 'sent' }, c.framesSent);
        this.set({ outcome: 'dropped' }, c.framesDropped);
        this.set({ outcome: 'catch-up' }, c.catchUps);
      },
    });
  }
}
