// A fake task queue at TASK_QUEUE_PATH speaking the client half of TaskQueueMsg (submit, cancel,
// get, list, watch, unwatch) with the real queue's rules for who may cancel what, and a gateway
// whose TaskPort is the real one (src/actors/task-port.ts) over it.
import type { ExecutionContext } from 'ava';
import { taskPort } from '../../src/actors/task-port.ts';
import { TASK_QUEUE_PATH, type TaskEvent, type TaskQueueMsg, type TaskReply } from '../../src/actors/task-messages.ts';
import type { GatewayOptions } from '../../src/actors/gateway.ts';
import type { TaskPort } from '../../src/gateway/ports.ts';
import type { ActorFactory } from '../../src/runtime/actor.ts';
import type { ActorSystem } from '../../src/runtime/system.ts';
import type { Recipient } from '../../src/shared/recipient.ts';
import { FINAL_STATES, type NewTask, type TaskRecord } from '../../src/tasks/task.ts';
import type { ErrorReplyT, TaskStatusT } from '../../src/protocol/index.ts';
import { Payload, TaskState as WireTaskState, type EnvelopeT, type ErrorCode } from '../../src/protocol/index.ts';
import { startGateway, type Client, type Harness } from './support.ts';

/** Recipes the fake queue knows; any other is refused as the real queue does. */
export const KNOWN_RECIPES = new Set(['link-pages']);

export class FakeQueue {
  readonly tasks = new Map<string, TaskRecord>();
  readonly watchers = new Map<string, Recipient<TaskEvent>>();
  readonly received: TaskQueueMsg[] = [];
  /** While true, requests are taken and never answered. */
  silent = false;
  private next = 0;
  now = 1_700_000_000_000;

  receive(msg: TaskQueueMsg): void {
    this.received.push(msg);
    if (this.silent) return;
    switch (msg.type) {
      case 'submit':
        return msg.replyTo.tell(this.submit(msg.task, msg.by.subject));
      case 'cancel':
        return msg.replyTo.tell(this.cancel(msg.taskId, msg.by, msg.reason));
      case 'get': {
        const task = this.tasks.get(msg.taskId);
        return msg.replyTo.tell(task === undefined ? notFound(msg.taskId) : { ok: true, task });
      }
      case 'list': {
        const tasks = [...this.tasks.values()]
          .filter((t) => msg.states === undefined || msg.states.includes(t.state))
          .filter((t) => msg.parentId === undefined || t.parentId === msg.parentId)
          .reverse()
          .slice(0, msg.limit);
        return msg.replyTo.tell({ ok: true, tasks });
      }
      case 'watch':
        this.watchers.set(msg.subscriber.path, msg.subscriber);
        return;
      case 'unwatch':
        this.watchers.delete(msg.subscriber.path);
        return;
      default:
        return;
    }
  }

  /** A change of a task as the pipeline would make it, told to every watcher. */
  update(id: string, patch: Partial<TaskRecord>): TaskRecord {
    const task = { ...this.tasks.get(id)!, ...patch, updatedMs: ++this.now };
    this.tasks.set(id, task);
    for (const w of this.watchers.values()) w.tell({ type: 'task-event', task });
    return task;
  }

  private submit(task: NewTask, by: string): TaskReply {
    if (task.recipe !== undefined && !KNOWN_RECIPES.has(task.recipe)) {
      return { ok: false, code: 'bad-request', message: `unknown recipe "${task.recipe}"` };
    }
    const record: TaskRecord = {
      id: `t-${++this.next}`,
      parentId: undefined,
      swarm: task.swarm ?? 'default',
      state: 'queued',
      description: task.description,
      recipe: task.recipe,
      capability: task.capability ?? '',
      input: task.input ?? '',
      priority: task.priority ?? 0,
      deadlineMs: task.deadlineMs ?? 60_000,
      maxAttempts: task.maxAttempts ?? 3,
      attempts: 0,
      agentId: undefined,
      leaseUntil: undefined,
      progress: 0,
      result: undefined,
      errors: [],
      subtasks: [],
      submittedBy: by,
      createdMs: ++this.now,
      updatedMs: this.now,
    };
    this.tasks.set(record.id, record);
    for (const w of this.watchers.values()) w.tell({ type: 'task-event', task: record });
    return { ok: true, task: record };
  }

  private cancel(id: string, by: { subject: string; role: string }, reason: string): TaskReply {
    const task = this.tasks.get(id);
    if (task === undefined) return notFound(id);
    if (by.role !== 'admin' && by.subject !== task.submittedBy) return { ok: false, code: 'forbidden', message: `task ${id} is not yours` };
    if (FINAL_STATES.has(task.state)) return { ok: false, code: 'conflict', message: `task ${id} is already ${task.state}` };
    return { ok: true, task: this.update(id, { state: 'cancelled', errors: [...task.errors, reason] }) };
  }
}

function notFound(id: string): TaskReply {
  return { ok: false, code: 'not-found', message: `no task ${id}` };
}

/** Spawns `factory` at `path` (/a/b/c), with do-nothing parents above it. */
export function spawnAt<Msg>(system: ActorSystem, path: string, factory: ActorFactory<Msg>): void {
  const names = path.split('/').filter((n) => n !== '');
  const nest =
    (i: number): ActorFactory<unknown> =>
    (ctx) => ({
      preStart() {
        if (i === names.length - 1) ctx.spawn(factory, { name: names[i]! });
        else ctx.spawn(nest(i + 1), { name: names[i]! });
      },
      receive() {},
    });
  if (names.length === 1) system.spawn(factory, { name: names[0]! });
  else system.spawn(nest(1), { name: names[0]! });
}

export function fakeQueueActor(queue: FakeQueue): ActorFactory<TaskQueueMsg> {
  return () => ({ receive: (msg) => queue.receive(msg) });
}

export interface TaskHarness extends Harness {
  readonly queue: FakeQueue;
}

/** A gateway with the real TaskPort; the fake queue runs at TASK_QUEUE_PATH unless `withQueue` is false. */
export async function startTaskGateway(
  t: ExecutionContext,
  options: { withQueue?: boolean; timeoutMs?: number; gateway?: Partial<GatewayOptions> } = {},
): Promise<TaskHarness> {
  // The port needs the gateway's system, which startGateway makes: sessions reach it only later.
  const made: { port?: TaskPort } = {};
  const lazy: TaskPort = {
    submit: (task, by) => made.port!.submit(task, by),
    cancel: (id, by, reason) => made.port!.cancel(id, by, reason),
    get: (id) => made.port!.get(id),
    list: (filter) => made.port!.list(filter),
    watch: (subscriber) => made.port!.watch(subscriber),
    unwatch: (subscriber) => made.port!.unwatch(subscriber),
  };
  const h = await startGateway(t, { tasks: lazy, ...options.gateway });
  made.port = taskPort(h.system, { timeoutMs: options.timeoutMs ?? 1_000 });
  const queue = new FakeQueue();
  if (options.withQueue !== false) {
    spawnAt(h.system, TASK_QUEUE_PATH, fakeQueueActor(queue));
    await h.system.settled();
  }
  return Object.assign(h, { queue });
}

export interface Answer {
  readonly status?: TaskStatusT;
  /** The status's task id. */
  readonly id?: string;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

/** Everything the client was sent in answer to the request with this seq. */
export function answersTo(c: Client, seq: number): EnvelopeT[] {
  return c.envelopes.filter((e) => Number(e.correlationId) === seq);
}

export async function answerTo(c: Client, seq: number): Promise<Answer> {
  await c.waitFor(() => answersTo(c, seq).length > 0);
  const env = answersTo(c, seq)[0]!;
  if (env.payloadType === Payload.TaskStatus) {
    const status = env.payload as TaskStatusT;
    return { status, id: String(status.taskId) };
  }
  const e = env.payload as ErrorReplyT;
  return { error: { code: e.code, message: String(e.message) } };
}

/** The task changes a watcher was sent (correlation id 0), in order. */
export function changes(c: Client): TaskStatusT[] {
  return c
    .of(Payload.TaskStatus)
    .filter((e) => e.correlationId === 0n)
    .map((e) => e.payload as TaskStatusT);
}

export { WireTaskState };
