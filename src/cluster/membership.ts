// Cluster membership on Redis: each node writes itself into a membership table with its address
// and incarnation, heartbeats, and reads the table back; joins and leaves are also published so
// that the others look at once instead of at their next read. The table, not the messages, is the
// truth: every node that reads it sees the same members, and a node whose last heartbeat is older
// than the bound (default 1 s, timed by the Redis server's clock) is down for all of them at once.
//
// A name is held by one incarnation at a time: a second node started with a live member's name is
// refused (NameTakenError); once the holder is down, a new incarnation may take the name over. A
// member that finds it has been seen down (its own heartbeat came too late, or another
// incarnation took its name) stops being a member ('self-down') and must join again as a new
// incarnation: what it owned may already belong to others.
//
// While Redis cannot be reached the view stays as it was last read (nobody is declared down for
// an outage of the table itself), and a node that finds its row gone afterwards (Redis restarted
// without its data) writes it again under the same incarnation.
import type { Redis } from 'ioredis';
import { RealClock, type Clock, type TimerHandle } from '../shared/clock.ts';
import { HEARTBEAT, JOIN, LEAVE, VIEW } from './membership-scripts.ts';

export interface MemberInfo {
  readonly name: string;
  /** Random per start of the member's process: a restart is a new incarnation. */
  readonly incarnation: string;
  /** Where other nodes reach it (its remote transport's URL). */
  readonly address: string;
  /** When it joined, by the Redis server's clock (ms since the epoch). */
  readonly joinedMs: number;
}

export type MembershipEvent =
  | { readonly type: 'joined'; readonly member: MemberInfo }
  /** `left`: it said so; `down`: it stopped heartbeating; `replaced`: a new incarnation took its name. */
  | { readonly type: 'left'; readonly member: MemberInfo; readonly reason: 'left' | 'down' | 'replaced' }
  /** This node is no longer a member (seen down, or its name taken over): join again as a new incarnation. */
  | { readonly type: 'self-down'; readonly reason: string };

export interface MembershipOptions {
  /** Commands go here; the caller owns the connection. */
  readonly redis: Redis;
  /** The pub/sub connection (default: a duplicate of `redis`, closed on leave). */
  readonly subscriber?: Redis;
  /** Keys and channel are under this name (default "visionflow"): several clusters may share one Redis. */
  readonly cluster?: string;
  readonly self: { readonly name: string; readonly incarnation: string; readonly address: string };
  /** A member silent for longer than this is down (default 1000 ms). */
  readonly boundMs?: number;
  /** Heartbeat and table read period (default a quarter of the bound). */
  readonly heartbeatMs?: number;
  readonly clock?: Clock;
}

export class NameTakenError extends Error {
  readonly code = 'name-taken';
  constructor(
    readonly nodeName: string,
    readonly holder: string,
  ) {
    super(`the name ${nodeName} is held by a live node (incarnation ${holder}): give this node another name (VF_NODE), or stop the other`);
    this.name = 'NameTakenError';
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** A member silent this many bounds is swept from the table. */
const SWEEP_BOUNDS = 10;
/** Announcements remembered, to tell a leave from a death (bounded: oldest first out). */
const MAX_ANNOUNCED = 1024;

export class RedisMembership {
  private view = new Map<string, MemberInfo>();
  private readonly listeners = new Set<(event: MembershipEvent) => void>();
  private readonly announcedLeaves = new Set<string>();
  private status: 'member' | 'down' | 'left' = 'member';
  private timer: TimerHandle | undefined;
  private ticking = false;
  private readonly prefix: string;
  private readonly boundMs: number;
  private readonly heartbeatMs: number;
  private readonly clock: Clock;

  private constructor(
    private readonly o: MembershipOptions,
    private readonly subscriber: Redis,
  ) {
    this.prefix = `${o.cluster ?? 'visionflow'}:members`;
    this.boundMs = o.boundMs ?? 1_000;
    this.heartbeatMs = o.heartbeatMs ?? Math.max(10, Math.floor(this.boundMs / 4));
    this.clock = o.clock ?? new RealClock();
  }

  /** Joins the cluster: resolves once this node is in the table and the first view is read. */
  static async join(o: MembershipOptions): Promise<RedisMembership> {
    if (!NAME.test(o.self.name))
      throw new RangeError(`a node name is 1 to 64 letters, digits, '.', '_' or '-', got "${o.self.name.slice(0, 64)}"`);
    if (!/^[0-9]{1,20}$/.test(o.self.incarnation)) throw new RangeError('an incarnation is a decimal number');
    if (o.boundMs !== undefined && !(Number.isSafeInteger(o.boundMs) && o.boundMs >= 50))
      throw new RangeError('boundMs is an integer of at least 50');
    const subscriber = o.subscriber ?? o.redis.duplicate();
    const membership = new RedisMembership(o, subscriber);
    try {
      await membership.claim();
      await membership.listen();
      await membership.refresh();
    } catch (error) {
      if (o.subscriber === undefined) subscriber.disconnect();
      throw error;
    }
    membership.schedule();
    return membership;
  }

  get state(): 'member' | 'down' | 'left' {
    return this.status;
  }

  /** The live members as last read, this node included while it is one, by name. */
  members(): readonly MemberInfo[] {
    return [...this.view.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  subscribe(listener: (event: MembershipEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the table now and publishes what changed since the last read. */
  async refresh(): Promise<void> {
    const raw = (await this.o.redis.eval(VIEW, 1, this.tableKey, this.boundMs, this.hashPrefix, this.boundMs * SWEEP_BOUNDS)) as unknown[];
    const next = new Map<string, MemberInfo>();
    for (let i = 1; i + 3 < raw.length; i += 4) {
      const [name, incarnation, address, joined] = raw.slice(i, i + 4).map(String) as [string, string, string, string];
      next.set(name, { name, incarnation, address, joinedMs: Number(joined) });
    }
    if (this.status !== 'member') next.delete(this.o.self.name);
    this.publishChanges(next);
  }

  /** Leaves the table (if the name is still ours), says so, and stops. */
  async leave(): Promise<void> {
    if (this.status === 'left') return;
    const wasMember = this.status === 'member';
    this.stop('left');
    const { name, incarnation } = this.o.self;
    try {
      if (wasMember && (await this.o.redis.eval(LEAVE, 2, this.tableKey, this.hashKey(name), name, incarnation)) === 1)
        await this.o.redis.publish(this.channel, JSON.stringify({ type: 'left', name, incarnation }));
    } finally {
      if (this.o.subscriber === undefined) this.subscriber.disconnect();
    }
  }

  // ---- the loop ---------------------------------------------------------------------------------

  private schedule(delayMs = this.heartbeatMs): void {
    if (this.status === 'left') return;
    this.timer?.cancel();
    this.timer = this.clock.setTimer(delayMs, () => void this.tick());
  }

  /** One heartbeat and one read of the table; a tick still running when the next falls due is skipped. */
  private async tick(): Promise<void> {
    if (this.ticking || this.status === 'left') return;
    this.ticking = true;
    try {
      if (this.status === 'member') await this.beat();
      await this.refresh();
    } catch {
      // Redis unreachable: the view stays as last read; the next tick tries again.
    } finally {
      this.ticking = false;
      this.schedule();
    }
  }

  private async beat(): Promise<void> {
    const { name, incarnation } = this.o.self;
    const answer = await this.o.redis.eval(HEARTBEAT, 2, this.tableKey, this.hashKey(name), name, incarnation, this.boundMs);
    if (answer === 1) return;
    if (answer === -1)
      return this.selfDown(`no heartbeat reached the table for more than ${this.boundMs} ms: the others have seen this node down`);
    // The row is gone or another's: gone (Redis lost it) is written again; another's ends us.
    try {
      await this.claim();
    } catch (error) {
      if (error instanceof NameTakenError) return this.selfDown(`another incarnation (${error.holder}) took the name ${name}`);
      throw error;
    }
  }

  private async claim(): Promise<void> {
    const { name, incarnation, address } = this.o.self;
    const [ok, detail] = (await this.o.redis.eval(
      JOIN,
      2,
      this.tableKey,
      this.hashKey(name),
      name,
      incarnation,
      address,
      this.boundMs,
    )) as [number, unknown];
    if (ok !== 1) throw new NameTakenError(name, String(detail));
    await this.o.redis.publish(this.channel, JSON.stringify({ type: 'joined', name, incarnation }));
  }

  private async listen(): Promise<void> {
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      const note = parseAnnouncement(text);
      if (note?.type === 'left') this.remember(`${note.name}/${note.incarnation}`);
      // Look now rather than at the next tick; the table says what is true.
      if (note !== undefined && !this.ticking && this.status !== 'left') this.schedule(0);
    });
    await this.subscriber.subscribe(this.channel);
  }

  private selfDown(reason: string): void {
    this.stop('down');
    this.emit({ type: 'self-down', reason });
    // Still reads the table: the node may want to see who took over before it joins again.
    this.schedule();
  }

  private stop(status: 'down' | 'left'): void {
    this.status = status;
    if (status === 'left') {
      this.timer?.cancel();
      this.timer = undefined;
    }
    const self = this.view.get(this.o.self.name);
    if (self !== undefined && self.incarnation === this.o.self.incarnation) this.view.delete(this.o.self.name);
  }

  private publishChanges(next: Map<string, MemberInfo>): void {
    const before = this.view;
    this.view = next;
    for (const [name, old] of before) {
      const now = next.get(name);
      if (now?.incarnation === old.incarnation) continue;
      const reason = now !== undefined ? 'replaced' : this.announcedLeaves.delete(`${name}/${old.incarnation}`) ? 'left' : 'down';
      this.emit({ type: 'left', member: old, reason });
    }
    for (const [name, member] of next) if (before.get(name)?.incarnation !== member.incarnation) this.emit({ type: 'joined', member });
  }

  private remember(key: string): void {
    this.announcedLeaves.add(key);
    while (this.announcedLeaves.size > MAX_ANNOUNCED) this.announcedLeaves.delete(this.announcedLeaves.values().next().value!);
  }

  private emit(event: MembershipEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private get tableKey(): string {
    return this.prefix;
  }

  private get hashPrefix(): string {
    return `${this.prefix}:`;
  }

  private hashKey(name: string): string {
    return `${this.hashPrefix}${name}`;
  }

  private get channel(): string {
    return `${this.prefix}:events`;
  }
}

function parseAnnouncement(text: string): { type: 'joined' | 'left'; name: string; incarnation: string } | undefined {
  try {
    const value = JSON.parse(text) as { type?: unknown; name?: unknown; incarnation?: unknown };
    if ((value.type === 'joined' || value.type === 'left') && typeof value.name === 'string' && typeof value.incarnation === 'string')
      return { type: value.type, name: value.name, incarnation: value.incarnation };
  } catch {
    // Not one of ours: someone else publishes on the channel; the table is still the truth.
  }
  return undefined;
}
