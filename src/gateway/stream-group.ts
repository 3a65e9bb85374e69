// The subscribers of the position stream that see the same nodes (same filter, velocity choice and
// rate) share one encoder: each frame is encoded once and the same bytes go to every member that
// can take it. A member whose socket is behind (more than a frame buffered) has the frame dropped,
// not queued; once it drains it gets a catch-up keyframe of what the in-sync members hold, then
// the shared deltas again. Nothing here ever waits on a socket.
import { encodeEnvelope, idTablePayload, PositionStreamEncoder } from '../protocol/index.ts';
import { FrameKind, Offset } from '../protocol/position/header.ts';
import { catchUpKeyframe } from './catch-up-keyframe.ts';
import type { Connection } from './connection.ts';
import { foldedInto, gather, sameIndices, selectIndices, type ClientFilter } from './filter.ts';
import type { PositionSnapshot } from './ports.ts';
import { sortedHas } from './sorted-ids.ts';

export interface StreamMember {
  readonly session: string;
  conn: Connection;
  /** The group epoch whose id table this member was sent; -1 for none. */
  tableEpoch: number;
  /** Holds every frame of the group since a keyframe, so the next delta applies. */
  synced: boolean;
}

export interface FrameInfo {
  readonly group: string;
  readonly seq: number;
  readonly keyframe: boolean;
  readonly bytes: number;
  /** When the frame was encoded, and when the snapshot it encodes was made (if the producer said). */
  readonly time: number;
  readonly snapshotTime: number | undefined;
  readonly members: number;
}

export interface GroupOptions {
  readonly key: string;
  readonly filter: ClientFilter;
  readonly velocity: boolean;
  /** 0: every snapshot. */
  readonly rateHz: number;
  readonly minHighWaterBytes: number;
  readonly regionRefreshMs: number;
  readonly keyframeInterval?: number;
  readonly onFrame?: (info: FrameInfo) => void;
}

export interface GroupCounters {
  framesSent: number;
  framesDropped: number;
  catchUps: number;
}

export class StreamGroup {
  readonly members = new Map<string, StreamMember>();
  private readonly encoder: PositionStreamEncoder;
  private epoch = 0;
  private sourceEpoch = -1;
  private indices: Uint32Array | null = null;
  /** The facets version the current table was built from, and the types and folds it carries. */
  private facetsVersion = -1;
  private tableTypes: Uint16Array | null = null;
  private typeNameCount = 0;
  private tableFolded: [Uint32Array, Uint32Array] = [new Uint32Array(0), new Uint32Array(0)];
  private lastRefresh = -Infinity;
  private lastEmit = -Infinity;
  private tableBytes: Uint8Array | null = null;
  /**
   * The ids of the current id table, and a sorted copy made when first asked (selects): 4 bytes a
   * node, like the table itself, where a Set would take ten times that for a big selection.
   */
  private tableIds: Uint32Array | null = null;
  private sortedIds: Uint32Array | null = null;
  private lastSeq = -1;
  private keyframeBytes = 0;
  private scratch: Float32Array = new Float32Array(0);
  private velocityScratch: Float32Array = new Float32Array(0);
  private velocities: Float32Array | null = null;
  private catchUp: { seq: number; bytes: Uint8Array } | undefined;
  private current: Uint8Array | null = null;
  private currentIsKeyframe = false;

  constructor(
    private readonly options: GroupOptions,
    private readonly counters: GroupCounters,
  ) {
    this.encoder = new PositionStreamEncoder({ velocity: options.velocity, keyframeInterval: options.keyframeInterval ?? 60 });
  }

  /** Encodes the snapshot and offers the frame to every member at once (see encodeTick, offerCurrent). */
  tick(snapshot: PositionSnapshot, now: number): void {
    if (!this.encodeTick(snapshot, now)) return;
    for (const member of this.members.values()) this.offerCurrent(member, now);
  }

  /**
   * Encodes the snapshot when this group's rate allows; false when it does not. The frame (null when
   * nothing moved) is then the group's current one until the next encode: offerCurrent hands it out.
   */
  encodeTick(snapshot: PositionSnapshot, now: number): boolean {
    const period = this.options.rateHz > 0 ? 1000 / this.options.rateHz : 0;
    // A little slack so that a 60 Hz source feeding a 30 Hz group keeps every other tick.
    if (period > 0 && now - this.lastEmit < period * 0.9) return false;
    this.lastEmit = now;
    this.refreshSelection(snapshot, now);
    const idx = this.indices;
    const positions = idx === null ? snapshot.positions : (this.scratch = gather(snapshot.positions, idx, this.scratch));
    let velocities: Float32Array | null = null;
    if (this.options.velocity && snapshot.velocities !== undefined) {
      velocities = idx === null ? snapshot.velocities : (this.velocityScratch = gather(snapshot.velocities, idx, this.velocityScratch));
    }
    this.velocities = velocities;
    const frame = this.encoder.encode({
      epoch: this.epoch,
      positions,
      ...(velocities !== null ? { velocities } : {}),
      ...(idx === null && snapshot.bounds !== undefined ? { bounds: snapshot.bounds } : {}),
    });
    let keyframe = false;
    if (frame !== null) {
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      this.lastSeq = view.getUint32(Offset.seq, true);
      keyframe = view.getUint8(Offset.kind) === FrameKind.Keyframe;
      if (keyframe) this.keyframeBytes = frame.byteLength;
      this.options.onFrame?.({
        group: this.options.key,
        seq: this.lastSeq,
        keyframe,
        bytes: frame.byteLength,
        time: now,
        snapshotTime: snapshot.time,
        members: this.members.size,
      });
    }
    this.current = frame;
    this.currentIsKeyframe = keyframe;
    return true;
  }

  /** Offers the current frame to a member (one that still belongs to the group). */
  offerCurrent(member: StreamMember, now: number): void {
    if (this.members.get(member.session) !== member) return;
    this.offer(member, this.current, this.currentIsKeyframe, now);
  }

  /** Brings one member in (or back) at once, from what the group last encoded. */
  resync(member: StreamMember, now: number): void {
    member.synced = false;
    if (this.lastSeq >= 0) this.offer(member, null, false, now);
  }

  get memberCount(): number {
    return this.members.size;
  }

  /** Whether the current id table holds node `id`; undefined before the first table. */
  selects(id: number): boolean | undefined {
    const sorted = this.selection();
    return sorted === undefined ? undefined : sortedHas(sorted, id);
  }

  /**
   * The ids of the current id table in ascending order (made when first asked, the same array
   * until the table changes); undefined before the first table.
   */
  selection(): Uint32Array | undefined {
    if (this.tableIds === null) return undefined;
    return (this.sortedIds ??= this.tableIds.slice().sort());
  }

  /**
   * A new id table when the node set, the region's selection or the facets (types, folds, degrees:
   * node-facets.ts) change what it holds; the facets change a few times a second at most.
   */
  private refreshSelection(snapshot: PositionSnapshot, now: number): void {
    const regionDue = this.options.filter.region !== undefined && now - this.lastRefresh >= this.options.regionRefreshMs;
    const facets = snapshot.facets;
    const facetsChanged = facets !== undefined && facets.version !== this.facetsVersion;
    if (snapshot.epoch === this.sourceEpoch && this.tableBytes !== null && !regionDue && !facetsChanged) return;
    this.lastRefresh = now;
    this.facetsVersion = facets?.version ?? -1;
    const next = selectIndices(this.options.filter, snapshot);
    const sourceChanged = snapshot.epoch !== this.sourceEpoch;
    this.sourceEpoch = snapshot.epoch;
    const ids = next === null ? snapshot.ids : next.map((i) => snapshot.ids[i]!);
    const typeNames = facets !== undefined && facets.typeNames.length > 1 ? facets.typeNames : undefined;
    const types = typeNames === undefined ? null : Uint16Array.from(ids, (id) => facets!.typeOf(id));
    const folded = foldedInto(this.options.filter, snapshot, ids);
    const same =
      !sourceChanged &&
      this.tableBytes !== null &&
      sameIndices(next, this.indices) &&
      sameCodes(types, this.tableTypes) &&
      (typeNames?.length ?? 0) === this.typeNameCount &&
      sameIndices(folded[0], this.tableFolded[0]) &&
      sameIndices(folded[1], this.tableFolded[1]);
    if (same) return;
    this.indices = next;
    this.tableTypes = types;
    this.typeNameCount = typeNames?.length ?? 0;
    this.tableFolded = folded;
    this.epoch = (this.epoch + 1) >>> 0;
    this.tableIds = ids;
    this.sortedIds = null;
    const kinds = next === null ? snapshot.kinds : Uint8Array.from(next, (i) => snapshot.kinds[i]!);
    const extras = {
      ...(types === null ? {} : { types, typeNames: typeNames! }),
      ...(folded[0].length === 0 ? {} : { folded: folded[0], foldedInto: folded[1] }),
    };
    // Position-stream control messages are outside the session's sequenced stream: seq 0.
    this.tableBytes = encodeEnvelope({ seq: 0, payload: idTablePayload(this.epoch, ids, kinds, extras) });
    this.catchUp = undefined;
  }

  private offer(member: StreamMember, frame: Uint8Array | null, keyframe: boolean, now: number): void {
    const conn = member.conn;
    if (!conn.open) return;
    if (frame === null && member.synced) return;
    if (!conn.mayTakeFrame(Math.max(this.options.minHighWaterBytes, this.keyframeBytes))) {
      member.synced = false;
      conn.frameDropped(now);
      this.counters.framesDropped++;
      return;
    }
    if (member.tableEpoch !== this.epoch && this.tableBytes !== null) {
      conn.sendControl(this.tableBytes);
      member.tableEpoch = this.epoch;
      member.synced = false;
    }
    if (frame !== null && (keyframe || member.synced)) {
      conn.sendFrame(frame);
      member.synced = true;
      this.counters.framesSent++;
      return;
    }
    if (this.lastSeq < 0) return;
    conn.sendFrame(this.catchUpFrame());
    member.synced = true;
    this.counters.catchUps++;
  }

  private catchUpFrame(): Uint8Array {
    if (this.catchUp?.seq !== this.lastSeq) {
      const bytes = catchUpKeyframe(this.lastSeq, this.epoch, this.encoder.reconstructed, this.velocities);
      this.catchUp = { seq: this.lastSeq, bytes };
    }
    return this.catchUp.bytes;
  }
}

function sameCodes(a: Uint16Array | null, b: Uint16Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
