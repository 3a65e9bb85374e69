// The gateway's TaskPort (src/gateway/ports.ts) over the agents' task queue: every call is a
// message to the queue at TASK_QUEUE_PATH (task-messages.ts), found by path at each call so that
// the port outlives the queue's restarts. Requests are bounded asks; a queue that is not running
// (the ask dead-letters, which answers at once) or does not answer in time is an 'unavailable'
// refusal, never a rejected promise. A watcher that is an actor (a session) is handed to the queue
// as it is: the queue tells it its TaskEvent, which is the port's TaskStatusMsg, and may
// death-watch it. Any other recipient (an HTTP event stream) is served by one relay actor of the
// port's, so that the queue only ever holds actors.
import { randomUUID } from 'node:crypto';
import type { TaskFilter, TaskListOutcome, TaskOutcome, TaskPort, TaskRefusal, TaskRequester, TaskStatusMsg } from '../gateway/ports.ts';
import { MAX_TASK_LIST } from '../gateway/ports.ts';
import type { Recipient } from '../shared/recipient.ts';
import { AskTimeoutError } from '../runtime/errors.ts';
import { pathRef } from '../runtime/path-ref.ts';
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { ActorSystem } from '../runtime/system.ts';
import { TASK_QUEUE_PATH, type TaskEvent, type TaskListReply, type TaskQueueMsg, type TaskReply } from './task-messages.ts';

export interface TaskPortOptions {
  /** Where the queue lives (default TASK_QUEUE_PATH). */
  readonly path?: string;
  /** How long a request waits for the queue (default 5 s). */
  readonly timeoutMs?: number;
}

// The queue's answers and events are the port's, field for field: a change on either side that
// breaks this fails to compile here.
const sameReply = (reply: TaskReply): TaskOutcome => reply;
const sameList = (reply: TaskListReply): TaskListOutcome => reply;
const sameEvent = (subscriber: Recipient<TaskStatusMsg>): Recipient<TaskEvent> => subscriber;

export function taskPort(system: ActorSystem, options: TaskPortOptions = {}): TaskPort {
  const path = options.path ?? TASK_QUEUE_PATH;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const queue = pathRef<TaskQueueMsg>(system, path);
  const relay = new WatchRelay(system, queue);
  const ask = async <R>(what: string, build: (replyTo: Recipient<R>) => TaskQueueMsg, refused: (r: TaskRefusal) => R): Promise<R> => {
    try {
      return await system.ask<TaskQueueMsg, R>(queue, build, timeoutMs);
    } catch (error) {
      return refused(unavailable(what, timeoutMs, error));
    }
  };
  return {
    submit: (task, by) =>
      ask<TaskReply>(
        'submit',
        (replyTo) => ({ type: 'submit', task, by: requester(by), replyTo }),
        (r) => r,
      ).then(sameReply),
    cancel: (taskId, by, reason) =>
      ask<TaskReply>(
        'cancel',
        (replyTo) => ({ type: 'cancel', taskId, by: requester(by), reason, replyTo }),
        (r) => r,
      ).then(sameReply),
    get: (taskId) =>
      ask<TaskReply>(
        'get',
        (replyTo) => ({ type: 'get', taskId, replyTo }),
        (r) => r,
      ).then(sameReply),
    list: (filter) =>
      ask<TaskListReply>(
        'list',
        (replyTo) => listRequest(filter, replyTo),
        (r) => r,
      ).then(sameList),
    watch(subscriber) {
      if (system.lookup(path) === undefined) return false;
      if (system.lookup(subscriber.path) === undefined) relay.add(subscriber);
      else queue.tell({ type: 'watch', subscriber: sameEvent(subscriber) });
      return true;
    },
    unwatch(subscriber) {
      if (relay.remove(subscriber)) return;
      if (system.lookup(path) !== undefined) queue.tell({ type: 'unwatch', subscriber: sameEvent(subscriber) });
    },
  };
}

/** Watches the queue once for every watcher that is not an actor, and passes each change on to them. */
class WatchRelay {
  private readonly watchers = new Map<string, Recipient<TaskStatusMsg>>();
  private ref: Ref<TaskEvent> | undefined;

  constructor(
    private readonly system: ActorSystem,
    private readonly queue: Ref<TaskQueueMsg>,
  ) {}

  add(subscriber: Recipient<TaskStatusMsg>): void {
    this.watchers.set(subscriber.path, subscriber);
    if (this.watchers.size > 1) return;
    this.ref ??= this.system.spawn(relayActor(this.watchers), { name: `task-watch-relay-${randomUUID()}` });
    this.queue.tell({ type: 'watch', subscriber: this.ref });
  }

  /** False when `subscriber` is not one of the relay's. */
  remove(subscriber: Recipient<TaskStatusMsg>): boolean {
    if (!this.watchers.delete(subscriber.path)) return false;
    if (this.watchers.size === 0 && this.ref !== undefined) this.queue.tell({ type: 'unwatch', subscriber: this.ref });
    return true;
  }
}

function relayActor(watchers: ReadonlyMap<string, Recipient<TaskStatusMsg>>): ActorFactory<TaskEvent> {
  return () => ({
    receive(msg) {
      for (const w of watchers.values()) w.tell(msg);
    },
  });
}

function requester(by: TaskRequester): Extract<TaskQueueMsg, { type: 'submit' }>['by'] {
  return { subject: by.subject, role: by.role };
}

function listRequest(filter: TaskFilter, replyTo: Recipient<TaskListReply>): TaskQueueMsg {
  const limit = Number.isFinite(filter.limit) ? Math.min(MAX_TASK_LIST, Math.max(1, Math.floor(filter.limit))) : MAX_TASK_LIST;
  return {
    type: 'list',
    limit,
    replyTo,
    ...(filter.states !== undefined && filter.states.length > 0 ? { states: filter.states } : {}),
    ...(filter.parentId !== undefined ? { parentId: filter.parentId } : {}),
  };
}

function unavailable(what: string, timeoutMs: number, error: unknown): TaskRefusal {
  const message =
    error instanceof AskTimeoutError
      ? `the task queue did not answer the ${what} within ${timeoutMs} ms${what === 'submit' || what === 'cancel' ? '; it may still take effect' : ''}`
      : `the task queue is not available: ${error instanceof Error ? error.message : String(error)}`;
  return { ok: false, code: 'unavailable', message };
}
