// Which graph shards can take work now, for the router (it refuses work for a shard that cannot,
// at once and naming it, instead of letting it wait and time out), for /readyz and for the status
// page. A shard is restarting from its failure until it has recovered and runs again (the runtime's
// supervision events say so), and not answering from a unit that timed out waiting for its part
// until it answers the router's probe (a stall). It outlives router restarts, like the hubs.
import type { RuntimeEvent } from '../runtime/events.ts';
import type { ActorSystem } from '../runtime/system.ts';

export type ShardCondition = 'serving' | 'restarting' | 'not-answering';

export interface ShardReport {
  readonly shard: number;
  readonly path: string;
  readonly condition: ShardCondition;
  /** Failures since it last ran stably (the supervisor's restart attempt). */
  readonly failures: number;
  /** What made it leave 'serving'. */
  readonly reason?: string;
  /** Clock ms since it is in this condition. */
  readonly since: number;
}

interface State {
  condition: ShardCondition;
  failures: number;
  reason: string | undefined;
  since: number;
}

export class ShardHealth {
  private readonly states: State[];
  private readonly index: Map<string, number>;
  private readonly failureWaiters = new Map<number, Set<() => void>>();
  private attachedTo: ActorSystem | undefined;

  constructor(
    readonly paths: readonly string[],
    private readonly now: () => number = () => performance.now(),
  ) {
    this.states = paths.map(() => ({ condition: 'serving', failures: 0, reason: undefined, since: 0 }));
    this.index = new Map(paths.map((p, i) => [p, i]));
  }

  /** Follows the supervision events of `system` (once per system; later calls do nothing). */
  attach(system: ActorSystem): void {
    if (this.attachedTo === system) return;
    this.attachedTo = system;
    system.events.subscribe((e) => this.onEvent(e));
  }

  /**
   * Why work for `shard` cannot be taken now (a sentence naming it), or undefined when it can. A
   * shard restarting after one failure still takes work, which waits for it (about its backoff and
   * recovery); one that failed again right after, or does not answer, does not.
   */
  unavailable(shard: number): string | undefined {
    const s = this.states[shard];
    if (s === undefined || s.condition === 'serving' || (s.condition === 'restarting' && s.failures < 2)) return undefined;
    return this.describe(shard);
  }

  /** A sentence naming the shard and its condition (undefined while it serves). */
  describe(shard: number): string | undefined {
    const s = this.states[shard];
    if (s === undefined || s.condition === 'serving') return undefined;
    const name = `graph shard ${shard} (${this.paths[shard]})`;
    const cause = s.reason === undefined ? '' : `: ${s.reason}`;
    return s.condition === 'restarting'
      ? `${name} is restarting after ${s.failures} failure${s.failures === 1 ? '' : 's'} in a row${cause}; retry later`
      : `${name} is not answering${cause}; retry later`;
  }

  /**
   * Resolves when `shard` next fails (a question it was asked is lost with the failed message);
   * `cancel` forgets the wait.
   */
  nextFailure(shard: number): { readonly failed: Promise<void>; cancel(): void } {
    let waiters = this.failureWaiters.get(shard);
    if (waiters === undefined) this.failureWaiters.set(shard, (waiters = new Set()));
    let resolve!: () => void;
    const failed = new Promise<void>((r) => (resolve = r));
    waiters.add(resolve);
    return { failed, cancel: () => waiters.delete(resolve) };
  }

  /** A unit timed out waiting for the shard's part: it takes no more work until it answers. */
  notAnswering(shard: number, reason: string): void {
    const s = this.states[shard];
    if (s === undefined || s.condition === 'restarting') return;
    if (s.condition !== 'not-answering') s.since = this.now();
    s.condition = 'not-answering';
    s.reason = reason;
  }

  /** The shard answered a probe. */
  answered(shard: number): void {
    const s = this.states[shard];
    if (s?.condition === 'not-answering') this.serving(s);
  }

  condition(shard: number): ShardCondition | undefined {
    return this.states[shard]?.condition;
  }

  /** Every shard not serving, in shard order. */
  troubled(): ShardReport[] {
    return this.reports().filter((r) => r.condition !== 'serving');
  }

  reports(): ShardReport[] {
    return this.states.map((s, shard) => ({
      shard,
      path: this.paths[shard]!,
      condition: s.condition,
      failures: s.failures,
      ...(s.reason === undefined ? {} : { reason: s.reason }),
      since: s.since,
    }));
  }

  private serving(s: State): void {
    s.condition = 'serving';
    s.reason = undefined;
    s.since = this.now();
  }

  private onEvent(e: RuntimeEvent): void {
    if (!('path' in e)) return;
    const shard = this.index.get(e.path);
    if (shard === undefined) return;
    const s = this.states[shard]!;
    switch (e.type) {
      case 'actor-failed': {
        if (s.condition !== 'restarting') s.since = this.now();
        s.condition = 'restarting';
        s.reason = e.error instanceof Error ? e.error.message : String(e.error);
        s.failures++;
        const waiters = this.failureWaiters.get(shard);
        this.failureWaiters.delete(shard);
        for (const w of waiters ?? []) w();
        return;
      }
      case 'restart-scheduled':
        s.failures = e.attempt;
        return;
      case 'actor-started':
        // Started means recovered: a shard takes no message before its state is back.
        this.serving(s);
        return;
      default:
        return;
    }
  }
}
