// What a live session keeps about its client's requests: the topics it subscribed to, its position
// stream, the graph changes and shortest-path requests still waiting for their answer, and its
// task requests and watch (session-tasks.ts). Shared
// by the request handlers (session-requests.ts) and the reply handlers (session-replies.ts).
import type { TokenClaims } from '../auth/token.ts';
import type { Connection } from '../gateway/connection.ts';
import type { ClientFilter } from '../gateway/filter.ts';
import type { Outbox } from '../gateway/outbox.ts';
import { ErrorCode, ErrorReplyT, type Topic } from '../protocol/index.ts';
import type { ActorContext } from '../runtime/actor.ts';
import type { SetResult, SettingsSnapshot } from '../settings/protocol.ts';
import { TaskBacklog } from '../gateway/task-backlog.ts';
import type { SessionDeps, SessionMsg } from './session.ts';

/** Answers to a session's asks, sent to itself. */
export type RequestReply =
  | {
      readonly type: 'settings-snapshot';
      readonly correlationId: number;
      readonly paths: readonly string[];
      readonly snapshot: SettingsSnapshot;
    }
  | { readonly type: 'settings-result'; readonly correlationId: number; readonly result: SetResult }
  | { readonly type: 'request-failed'; readonly correlationId: number; readonly what: string; readonly error: string };

export interface RequestContext {
  readonly ctx: ActorContext<SessionMsg>;
  readonly deps: SessionDeps;
  readonly outbox: Outbox;
  sessionId(): string;
  claims(): TokenClaims;
  conn(): Connection | undefined;
}

export interface PositionSubscription {
  readonly velocity: boolean;
  readonly rateHz: number;
  readonly filter: ClientFilter;
}

export interface RequestState {
  readonly rc: RequestContext;
  readonly topics: Set<Topic>;
  positions: PositionSubscription | undefined;
  /** This session's SSSP requests still waiting for their answer. */
  ssspInFlight: number;
  /** This session's graph changes waiting for their answer: the tag they were sent with, to their seq. */
  readonly graphInFlight: Map<number, number>;
  graphTag: number;
  /** Task requests waiting for the queue, and the task changes waiting for the socket. */
  readonly tasks: SessionTaskState;
}

export interface SessionTaskState {
  /** Task changes not yet sent, latest wins per task (session-tasks.ts). */
  readonly backlog: TaskBacklog;
  /** Submits and cancels still waiting for the queue. */
  inFlight: number;
  flushScheduled: boolean;
}

/** Tasks whose latest change may wait for one slow client. */
export const TASK_BACKLOG_CAPACITY = 1024;

export function newRequestState(rc: RequestContext): RequestState {
  return {
    rc,
    topics: new Set(),
    positions: undefined,
    ssspInFlight: 0,
    graphInFlight: new Map(),
    graphTag: 0,
    tasks: { backlog: new TaskBacklog(TASK_BACKLOG_CAPACITY), inFlight: 0, flushScheduled: false },
  };
}

export function sendError(s: RequestState, code: ErrorCode, message: string, correlationId: number): void {
  s.rc.outbox.send(new ErrorReplyT(code, message), correlationId);
}

export function unsupported(s: RequestState, message: string, correlationId: number): void {
  sendError(s, ErrorCode.Unsupported, message, correlationId);
}
