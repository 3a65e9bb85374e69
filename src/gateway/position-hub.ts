// The gateway's position fan-out: one subscription to the frame source, one stream group per
// distinct client view, and the latest snapshot (by reference: never a queue) so that a client
// that joins or resumes while the layout is idle still gets its id table and a keyframe at once.
// A tick encodes each group's frame once; handing it to the sockets can then go in slices
// (deliver), so that a fan-out to hundreds of clients never holds the event loop for long. At most
// one fan-out is ever pending: the next tick finishes the last one first.
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
  /** Members still to be offered their group's current frame, in order. */
  private pending: { group: StreamGroup; member: StreamMember }[] = [];
  private pendingNext = 0;

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

  /** A member's current selection, ids ascending (StreamGroup.selection); undefined when not known. */
  selection(session: string): Uint32Array | undefined {
    return this.memberGroup.get(session)?.selection();
  }

  /** Whether a member's current selection holds node `id`; undefined when that is not known. */
  inView(session: string, id: number): boolean | undefined {
    return this.memberGroup.get(session)?.selects(id);
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

  /** Encodes the snapshot for every group; the frames then go out by deliver() (or flush()). */
  tick(snapshot: PositionSnapshot): void {
    this.flush();
    if (this.memberGroup.size === 0) return;
    this.latest = snapshot;
    const now = this.now();
    for (const group of this.groups.values()) {
      if (!group.encodeTick(snapshot, now)) continue;
      for (const member of group.members.values()) this.pending.push({ group, member });
    }
  }

  /** Members still waiting for the current frames. */
  get pendingCount(): number {
    return this.pending.length - this.pendingNext;
  }

  /**
   * Hands the current frames to up to `max` more members; true while some are still waiting. A
   * member that left or moved group meanwhile is skipped; one that joined got its catch-up keyframe
   * on joining.
   */
  deliver(max: number): boolean {
    const now = this.now();
    const end = Math.min(this.pending.length, this.pendingNext + max);
    for (; this.pendingNext < end; this.pendingNext++) {
      const { group, member } = this.pending[this.pendingNext]!;
      group.offerCurrent(member, now);
    }
    if (this.pendingNext < this.pending.length) return true;
    this.pending = [];
    this.pendingNext = 0;
    return false;
  }

  /** Hands the current frames to every member still waiting. */
  flush(): void {
    this.deliver(Infinity);
  }
}
