// The application's supervision tree. Subsystems start in dependency order and stop in reverse:
// dead letters first (everything else may produce them) and the gateway last (clients are let in
// only when what serves them is up, and are cut off first on shutdown).
//
//   /app                      one-for-one
//     /app/dead-letters       the dead-letter retry actor
//     /app/settings           settings store and sync
//     /app/graph              graph shards
//     /app/compute            physics, SSSP
//     /app/agents             agent swarms and remote agent proxies
//     /app/gateway            HTTP and WebSocket sessions
import { deadLetterRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../actors/dead-letter-retry.ts';
import type { PermanentFailureSink } from '../actors/permanent-failure-sink.ts';
import type { Ref } from '../runtime/ref.ts';
import type { ActorSystem } from '../runtime/system.ts';
import { childSpec, type AnyChildSpec, type ChildSpec } from './child-spec.ts';
import { Strategies, type SupervisorStrategy } from './strategy.ts';
import { supervisorSpec, type SupervisorMsg } from './supervisor.ts';

export const SUBSYSTEMS = ['dead-letters', 'settings', 'graph', 'compute', 'agents', 'gateway'] as const;
export type Subsystem = (typeof SUBSYSTEMS)[number];

export interface AppOptions {
  readonly failureSink: PermanentFailureSink;
  readonly retryPolicy?: RetryPolicy;
  /** Actors each subsystem supervises (besides the retry actor in dead-letters). */
  readonly children?: Partial<Record<Subsystem, readonly AnyChildSpec[]>>;
  readonly strategies?: Partial<Record<Subsystem | 'app', SupervisorStrategy>>;
}

export const RETRY_ACTOR_PATH = '/app/dead-letters/retry';

export function appSpec(options: AppOptions): AnyChildSpec {
  const retry = childSpec(deadLetterRetry(options.failureSink, options.retryPolicy ?? DEFAULT_RETRY_POLICY), {
    name: 'retry',
    mailbox: { capacity: 50_000, overflow: 'reject' },
  });
  const subsystems = SUBSYSTEMS.map((name) => {
    const own = options.children?.[name] ?? [];
    const children = name === 'dead-letters' ? [retry, ...own] : own;
    return supervisorSpec(name, options.strategies?.[name] ?? Strategies.oneForOne(), children);
  });
  return supervisorSpec('app', options.strategies?.app ?? Strategies.oneForOne(), subsystems);
}

/** Spawns /app and its subsystems under the system's root. */
export function startApp(system: ActorSystem, options: AppOptions): Ref<SupervisorMsg> {
  const spec = appSpec(options) as unknown as ChildSpec<SupervisorMsg>;
  return system.spawn(spec.factory, spec);
}
