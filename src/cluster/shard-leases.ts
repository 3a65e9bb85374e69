// Shard leases on Redis: which node owns which graph shard now. A lease is a hash per shard (holder,
// its incarnation, the fencing epoch it serves under) that expires unless its holder renews it,
// each step one atomic Lua script timed by Redis. A lease is liveness, not safety: a paused holder
// may wake up believing it still owns the shard after the lease moved on. Safety is the epoch,
// which the new owner raises in PostgreSQL before it serves, so that the journal refuses the old
// owner's writes; the lease only carries the epoch for everyone to see (the status page).
import type { Redis } from 'ioredis';

export interface LeaseHolder {
  readonly node: string;
  readonly incarnation: string;
}

export interface LeaseInfo extends LeaseHolder {
  readonly shard: number;
  /** The fencing epoch the holder serves under (0 until it has raised one). */
  readonly epoch: number;
  /** Milliseconds left before the lease expires unless renewed. */
  readonly ttlMs: number;
}

export type Acquired = { readonly ok: true; readonly epoch: number } | { readonly ok: false; readonly holder: LeaseInfo };

/** KEYS: lease. ARGV: node, incarnation, ttl ms. {1, epoch} taken or renewed; {0, node, incarnation, epoch, pttl} held by another. */
const ACQUIRE = `local node = redis.call('HGET', KEYS[1], 'node')
if node then
  local inc = redis.call('HGET', KEYS[1], 'incarnation')
  if node == ARGV[1] and inc == ARGV[2] then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return {1, redis.call('HGET', KEYS[1], 'epoch')}
  end
  return {0, node, inc, redis.call('HGET', KEYS[1], 'epoch'), redis.call('PTTL', KEYS[1])}
end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'incarnation', ARGV[2], 'epoch', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, '0'}`;

/** KEYS: lease. ARGV: node, incarnation, ttl ms. 1 renewed; 0 the lease is not ours (expired, or taken). */
const RENEW = `if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'incarnation') ~= ARGV[2] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/** KEYS: lease. ARGV: node, incarnation, epoch. 1 recorded; 0 not ours; -1 lower than the one recorded. */
const SET_EPOCH = `if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'incarnation') ~= ARGV[2] then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'epoch')) > tonumber(ARGV[3]) then return -1 end
redis.call('HSET', KEYS[1], 'epoch', ARGV[3])
return 1`;

/** KEYS: lease. ARGV: node, incarnation. 1 released; 0 not ours. */
const RELEASE = `if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'incarnation') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

export interface ShardLeasesOptions {
  readonly redis: Redis;
  /** Keys are under this name (default "visionflow"), as the membership's. */
  readonly cluster?: string;
  /** How long a lease lives unless renewed (default 1500 ms). */
  readonly ttlMs?: number;
}

export class ShardLeases {
  readonly ttlMs: number;
  private readonly prefix: string;

  constructor(private readonly o: ShardLeasesOptions) {
    this.ttlMs = o.ttlMs ?? 1_500;
    if (!(Number.isSafeInteger(this.ttlMs) && this.ttlMs >= 50)) throw new RangeError('a lease lives at least 50 ms');
    this.prefix = `${o.cluster ?? 'visionflow'}:leases`;
  }

  /** Takes the shard's lease if it is free (or renews it if it is already this holder's). */
  async acquire(shard: number, holder: LeaseHolder): Promise<Acquired> {
    const answer = (await this.o.redis.eval(ACQUIRE, 1, this.key(shard), holder.node, holder.incarnation, this.ttlMs)) as unknown[];
    if (answer[0] === 1) return { ok: true, epoch: Number(answer[1]) };
    const [, node, incarnation, epoch, ttl] = answer.map(String) as [string, string, string, string, string];
    return { ok: false, holder: { shard, node, incarnation, epoch: Number(epoch), ttlMs: Math.max(0, Number(ttl)) } };
  }

  /** Extends this holder's lease; false when it is no longer theirs (the shard must stop at once). */
  async renew(shard: number, holder: LeaseHolder): Promise<boolean> {
    return (await this.o.redis.eval(RENEW, 1, this.key(shard), holder.node, holder.incarnation, this.ttlMs)) === 1;
  }

  /**
   * Records the epoch the holder raised in the journal, for everyone to see. False when the lease
   * is no longer theirs; a RangeError for an epoch below the one recorded (epochs only grow).
   */
  async recordEpoch(shard: number, holder: LeaseHolder, epoch: number): Promise<boolean> {
    if (!Number.isSafeInteger(epoch) || epoch < 1) throw new RangeError('an epoch is a positive integer');
    const answer = await this.o.redis.eval(SET_EPOCH, 1, this.key(shard), holder.node, holder.incarnation, epoch);
    if (answer === -1) throw new RangeError(`epoch ${epoch} of shard ${shard} is below the one recorded`);
    return answer === 1;
  }

  /** Gives the lease up now (a node leaving hands its shards over without waiting for expiry). */
  async release(shard: number, holder: LeaseHolder): Promise<boolean> {
    return (await this.o.redis.eval(RELEASE, 1, this.key(shard), holder.node, holder.incarnation)) === 1;
  }

  /** Who holds each of `shards` now (absent: free), for placement and the status page. */
  async holders(shards: readonly number[]): Promise<Map<number, LeaseInfo>> {
    const pipeline = this.o.redis.pipeline();
    for (const shard of shards) {
      pipeline.hmget(this.key(shard), 'node', 'incarnation', 'epoch');
      pipeline.pttl(this.key(shard));
    }
    const replies = (await pipeline.exec()) ?? [];
    const out = new Map<number, LeaseInfo>();
    shards.forEach((shard, i) => {
      const [error, fields] = replies[2 * i] ?? [null, null];
      const [, ttl] = replies[2 * i + 1] ?? [null, -2];
      if (error !== null) throw error;
      const [node, incarnation, epoch] = (fields as (string | null)[] | null) ?? [];
      if (typeof node === 'string' && typeof incarnation === 'string')
        out.set(shard, { shard, node, incarnation, epoch: Number(epoch ?? 0), ttlMs: Math.max(0, Number(ttl)) });
    });
    return out;
  }

  private key(shard: number): string {
    if (!Number.isSafeInteger(shard) || shard < 0) throw new RangeError('a shard is a non-negative integer');
    return `${this.prefix}:${shard}`;
  }
}
