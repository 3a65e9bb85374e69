// A task pipeline for tests: the queue and the planner at their real paths under /app/agents, a
// fake swarm dispatcher at swarmDispatcherPath('default') that records what the queue tells it (and,
// in `auto` mode, leases and completes work with a pool of agents), fake pages, a watcher that
// records every task-event, on a virtual clock whose wall time is EPOCH + clock.now().
import type { ExecutionContext } from 'ava';
import { plannerActor, PLANNER_SPAWN } from '../../src/actors/planner.ts';
import type { LeaseReply, SwarmQueueMsg, TaskEvent, TaskQueueMsg, TaskReply, TaskListReply } from '../../src/actors/task-messages.ts';
import { TASK_QUEUE_PATH } from '../../src/actors/task-messages.ts';
import { taskQueueActor, TASK_QUEUE_SPAWN, type TaskQueueFactory, type TaskQueueOptions } from '../../src/actors/task-queue.ts';
import type { ActorFactory } from '../../src/runtime/actor.ts';
import { pathRef } from '../../src/runtime/path-ref.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import { IMMEDIATE } from '../../src/shared/backoff.ts';
import type { Recipient } from '../../src/shared/recipient.ts';
import type { SqlClient } from '../../src/storage/sql.ts';
import { childSpec, type AnyChildSpec } from '../../src/supervisors/child-spec.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';
import { supervisorSpec } from '../../src/supervisors/supervisor.ts';
import type { Page } from '../../src/tasks/recipes.ts';
import type { NewTask, TaskRecord } from '../../src/tasks/task.ts';
import { pollUntil } from '../helpers/poll.ts';
import { testSystem, type TestSystem } from '../helpers/system.ts';

export const EPOCH = 1_800_000_000_000;
export const EDITOR = { subject: 'alice', role: 'editor' } as const;
export const ADMIN = { subject: 'root', role: 'admin' } as const;

const LENIENT = Strategies.oneForOne({ backoff: IMMEDIATE, intensity: { maxRestarts: 10_000, withinMs: 1_000 } });

export interface SwarmOptions {
  /** Lease and complete work by itself with this many agents; 0: only record. */
  readonly agents?: number;
  readonly capabilities?: readonly string[];
  /** What an automatic agent answers for a task (default: success with "ok <id>"). */
  readonly work?: (task: TaskRecord) => { success: boolean; result: string };
}

export type SwarmSeen = SwarmQueueMsg | LeaseReply;

/** The fake dispatcher: records, and in auto mode keeps its idle agents asking for work. */
function fakeSwarm(seen: SwarmSeen[], o: SwarmOptions): ActorFactory<SwarmSeen | { type: 'tick' }> {
  return (ctx) => {
    const queue = pathRef<TaskQueueMsg>(ctx.system, TASK_QUEUE_PATH);
    const idle = new Set(Array.from({ length: o.agents ?? 0 }, (_, i) => `agent-${i}`));
    const caps = o.capabilities ?? ['link', 'summarise', 'curate', 'plan', 'echo'];
    const ask = (agentId: string) => queue.tell({ type: 'lease', swarm: 'default', agentId, capabilities: caps, replyTo: ctx.self });
    return {
      preStart: () => {
        // Lost messages (a crashed queue loses the one it was handling) are asked for again.
        if ((o.agents ?? 0) > 0) ctx.schedulePeriodic('retry', 1_000, { type: 'tick' });
        queue.tell({ type: 'swarm-up', swarm: 'default' });
      },
      receive: (msg) => {
        if (msg.type === 'tick') return void [...idle].forEach(ask);
        seen.push(msg);
        if ((o.agents ?? 0) === 0) return;
        if (msg.type === 'work-available') [...idle].forEach(ask);
        if (msg.type === 'leased') {
          const outcome = o.work?.(msg.task) ?? { success: true, result: `ok ${msg.task.id}` };
          queue.tell({ type: 'completed', taskId: msg.task.id, agentId: msg.agentId, attempt: msg.attempt, ...outcome });
          ask(msg.agentId);
        }
      },
    };
  };
}

export interface PipelineOptions {
  readonly db: SqlClient;
  readonly queue?: Partial<TaskQueueOptions>;
  readonly swarm?: SwarmOptions;
  readonly pages?: () => Promise<readonly Page[]>;
  /** An existing test system (a restart test opens a second one). */
  readonly ts?: TestSystem;
  /** Wall time is EPOCH + wallOffset + clock.now() (a second system goes on where the first stopped). */
  readonly wallOffset?: number;
}

export interface Pipeline {
  readonly ts: TestSystem;
  readonly queueFactory: TaskQueueFactory;
  readonly queue: Ref<TaskQueueMsg>;
  readonly swarmSeen: SwarmSeen[];
  readonly events: TaskEvent[];
  submit(
    task: NewTask,
    by?: (typeof EDITOR | typeof ADMIN) | { subject: string; role: 'viewer' | 'editor' | 'agent' | 'admin' },
  ): Promise<TaskReply>;
  lease(agentId: string, capabilities: readonly string[], swarm?: string): Promise<LeaseReply>;
  get(taskId: string): Promise<TaskReply>;
  list(query: { states?: TaskRecord['state'][]; parentId?: string; limit: number }): Promise<TaskListReply>;
  /** Resolves once everything the queue was told before is committed. */
  barrier(): Promise<void>;
  /** The newest state every task-event showed, by id. */
  latest(): Map<string, TaskRecord>;
}

export const PAGES: readonly Page[] = Array.from({ length: 45 }, (_, i) => ({ id: i + 1, title: `Page ${i + 1}` }));

export function startPipeline(t: ExecutionContext, o: PipelineOptions): Pipeline {
  const ts = o.ts ?? testSystem(t, { rootStrategy: LENIENT });
  const { system, clock } = ts;
  const offset = o.wallOffset ?? 0;
  const queueFactory = taskQueueActor({ db: o.db, wallNow: () => EPOCH + offset + clock.now(), ...o.queue });
  const swarmSeen: SwarmSeen[] = [];
  const agents: AnyChildSpec[] = [
    childSpec(queueFactory, TASK_QUEUE_SPAWN),
    childSpec(plannerActor({ pages: o.pages ?? (async () => PAGES) }), PLANNER_SPAWN),
    supervisorSpec('swarms', LENIENT, [
      supervisorSpec('default', LENIENT, [childSpec(fakeSwarm(swarmSeen, o.swarm ?? {}), { name: 'dispatcher' })]),
    ]),
  ];
  const app = supervisorSpec('app', LENIENT, [supervisorSpec('agents', LENIENT, agents)]) as unknown as {
    factory: ActorFactory<never>;
    name: string;
  };
  system.spawn(app.factory, { ...app, supervision: LENIENT });
  const queue = pathRef<TaskQueueMsg>(system, TASK_QUEUE_PATH);
  const events: TaskEvent[] = [];
  const watcher: Recipient<TaskEvent> = { path: `/test/watcher-${system.name}`, tell: (e) => void events.push(e) };
  queue.tell({ type: 'watch', subscriber: watcher });
  const ask = <R>(build: (replyTo: Recipient<R>) => TaskQueueMsg): Promise<R> => {
    let answer: R | undefined;
    let answered = false;
    queue.tell(build({ path: '/test/asker', tell: (r) => ((answer = r), (answered = true)) }));
    // Timers due now (a restart with no backoff waits for one) fire while it waits; time stays.
    const poll = (): { answer: R } | undefined => {
      clock.advance(0);
      return answered ? { answer: answer as R } : undefined;
    };
    return pollUntil(poll, {
      limitMs: 60_000,
      what: 'an answer from the task queue',
    }).then((a) => a.answer);
  };
  return {
    ts,
    queueFactory,
    queue,
    swarmSeen,
    events,
    submit: (task, by = EDITOR) => ask<TaskReply>((replyTo) => ({ type: 'submit', task, by, replyTo })),
    lease: (agentId, capabilities, swarm = 'default') =>
      ask<LeaseReply>((replyTo) => ({ type: 'lease', swarm, agentId, capabilities, replyTo })),
    get: (taskId) => ask<TaskReply>((replyTo) => ({ type: 'get', taskId, replyTo })),
    list: (q) => ask<TaskListReply>((replyTo) => ({ type: 'list', ...q, replyTo })),
    barrier: async () => {
      await ask<TaskListReply>((replyTo) => ({ type: 'list', limit: 1, replyTo }));
    },
    latest: () => {
      const out = new Map<string, TaskRecord>();
      for (const e of events) out.set(e.task.id, e.task);
      return out;
    },
  };
}

export function ok(reply: TaskReply): TaskRecord {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.code}: ${reply.message}`);
  return reply.task;
}
