// Everything the runtime decides is published as one of these events: lifecycle, supervision,
// dead letters, overflow and injected faults. Metrics, logs and tests all read the same stream.
import type { DeadLetter } from './dead-letter.ts';
import type { OverflowPolicy } from './overflow-policy.ts';

export type Directive = 'resume' | 'restart' | 'stop' | 'escalate';

export type StopReason = 'normal' | 'failure' | 'shutdown' | 'parent-restart';

export type RuntimeEvent =
  | { readonly type: 'actor-started'; readonly path: string; readonly incarnation: number; readonly time: number }
  | { readonly type: 'actor-stopped'; readonly path: string; readonly reason: StopReason; readonly time: number }
  | { readonly type: 'actor-failed'; readonly path: string; readonly error: unknown; readonly time: number }
  | {
      readonly type: 'supervisor-decision';
      readonly supervisor: string;
      readonly child: string;
      readonly directive: Directive;
      /** Children the directive applies to, in start order (more than one for one-for-all/rest-for-one). */
      readonly affected: readonly string[];
      readonly time: number;
    }
  | {
      readonly type: 'restart-scheduled';
      readonly path: string;
      /** 1 for the first restart after a stable period, 2 for the next, ... */
      readonly attempt: number;
      readonly delayMs: number;
      readonly time: number;
    }
  | { readonly type: 'actor-restarted'; readonly path: string; readonly attempt: number; readonly time: number }
  | { readonly type: 'restart-intensity-exceeded'; readonly supervisor: string; readonly time: number }
  | { readonly type: 'dead-letter'; readonly letter: DeadLetter }
  | {
      readonly type: 'mailbox-overflow';
      readonly path: string;
      readonly policy: OverflowPolicy;
      readonly capacity: number;
      readonly time: number;
    }
  | { readonly type: 'fault-injected'; readonly path: string; readonly fault: string; readonly time: number }
  | { readonly type: 'system-terminated'; readonly failed: boolean; readonly error: unknown; readonly time: number };

export type RuntimeEventType = RuntimeEvent['type'];
export type EventOf<T extends RuntimeEventType> = Extract<RuntimeEvent, { type: T }>;
