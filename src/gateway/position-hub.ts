// The gateway's position fan-out: one subscription to the frame source, one stream group per
// distinct client view, and the latest snapshot (by reference: never a queue) so that a client
// that joins or resumes while the layout is idle still gets its id table and a keyframe at once.
import type { Connection } from './connection.ts';
import { filterKey, type ClientFilter } from './filter.ts';
import type { PositionSnapshot } from './ports.ts';
import { StreamGroup, type FrameInfo, type GroupCounters, type StreamMember } from './stream-group.ts';

export interface JoinRequest {
  readonly session: string;
  readonly conn: Connection;
  readonly filter: ClientFilter;
  readonly velocity: boolean;
  readonly rateHz: number;
}

export interface HubOptions {
  readonly minHighWaterBytes: number;
  readonly regionRefreshMs: number;
  readonly keyframeInterval?: number;
  /** Called with true when the first member joins and false when the last leaves. */
  readonly onDemand: (wanted: boolean) => void;
  readonly onFrame?: (info: FrameInfo) => void;
}

export class PositionHub {
  readonly counters: GroupCounters = { framesSent: 0, framesDropped: 0, catchUps: 0 };
  private readonly groups = new Map<string, StreamGroup>();
  private readonly memberGroup = new Map<string, StreamGroup>();
  private latest: PositionSnapshot | undefined;

  constructor(
    private readonly options: HubOptions,
    private readonly now: () => number,
  ) {}

  get memberCount(): number {
    return this.memberGroup.size;
  }

  get groupCount(): number {
    return this.groups.size;
  }

  join(request: JoinRequest): void {
    this.leave(request.session);
    const key = `${filterKey(request.filter)};v=${request.velocity ? 1 : 0};hz=${request.rateHz}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = new StreamGroup(
        {
          key,
          filter: request.filter,
          velocity: request.velocity,
          rateHz: request.rateHz,
          minHighWaterBytes: this.options.minHighWaterBytes,
          regionRefreshMs: this.options.regionRefreshMs,
          ...(this.options.keyframeInterval !== undefined ? { keyframeInterval: this.options.keyframeInterval } : {}),
          ...(this.options.onFrame !== undefined ? { onFrame: this.options.onFrame } : {}),
        },
        this.counters,
      );
      this.groups.set(key, group);
    }
    const member: StreamMember = { session: request.session, conn: request.conn, tableEpoch: -1, synced: false };
    group.members.set(request.session, member);
    this.memberGroup.set(request.session, group);
    if (this.memberGroup.size === 1) this.options.onDemand(true);
    if (this.latest !== undefined) {
      if (group.memberCount === 1) group.tick(this.latest, this.now());
      else group.resync(member, this.now());
    }
  }

  leave(session: string): void {
    const group = this.memberGroup.get(session);
    if (group === undefined) return;
    group.members.delete(session);
    this.memberGroup.delete(session);
    if (group.memberCount === 0) {
      for (const [key, g] of this.groups) if (g === group) this.groups.delete(key);
    }
    if (this.memberGroup.size === 0) {
      this.latest = undefined;
      this.options.onDemand(false);
    }
  }

  /** The member's next frame is a keyframe (it asked, or it came back on a new socket). */
  resync(session: string, conn?: Connection): void {
    const group = this.memberGroup.get(session);
    const member = group?.members.get(session);
    if (group === undefined || member === undefined) return;
    if (conn !== undefined && conn !== member.conn) {
      member.conn = conn;
      member.tableEpoch = -1;
    }
    group.resync(member, this.now());
  }

  isMember(session: string): boolean {
    return this.memberGroup.has(session);
  }

  tick(snapshot: PositionSnapshot): void {
    if (this.memberGroup.size === 0) return;
    this.latest = snapshot;
    const now = this.now();
    for (const group of this.groups.values()) group.tick(snapshot, now);
  }
}
