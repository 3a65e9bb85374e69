// A property of the whole queue, on PGlite: whatever random sequence of submissions, leases,
// reports (current or stale), lost agents, passing time, cancellations and crashes of the queue it
// gets, every move it announces is one task.ts allows, a task is leased to one attempt at a time
// (attempts 1, 2, 3, ... each from queued), a task is done at most once and never moves after it
// is final, and the store holds exactly what was announced last.
import test from 'ava';
import fc from 'fast-check';
import type { LeaseReply, Leased } from '../../src/actors/task-messages.ts';
import { TASK_QUEUE_PATH } from '../../src/actors/task-messages.ts';
import { ActorSystem } from '../../src/runtime/system.ts';
import { IMMEDIATE } from '../../src/shared/backoff.ts';
import { VirtualClock } from '../../src/shared/clock.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { pgliteClient } from '../../src/storage/pglite-client.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';
import type { TaskRecord } from '../../src/tasks/task.ts';
import { TaskStore } from '../../src/tasks/task-store.ts';
import { isFinal, isMoveAllowed } from '../../src/tasks/transitions.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';
import { advanceSettled } from '../helpers/system.ts';
import { ADMIN, startPipeline } from './pipeline.ts';

const AGENTS = ['a0', 'a1', 'a2'];
const CAPS = ['link', 'echo'];

type Step =
  | { kind: 'submit'; capability: string; maxAttempts: number; deadlineMs: number }
  | { kind: 'lease'; agent: string; caps: string[] }
  | { kind: 'progress' | 'complete' | 'error'; lease: number; stale: boolean; flag: boolean }
  | { kind: 'lost'; agent: string }
  | { kind: 'advance'; ms: number }
  | { kind: 'cancel'; task: number }
  | { kind: 'crash' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      capability: fc.constantFrom(...CAPS),
      maxAttempts: fc.integer({ min: 1, max: 3 }),
      deadlineMs: fc.integer({ min: 500, max: 3_000 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('lease' as const),
      agent: fc.constantFrom(...AGENTS),
      caps: fc.subarray(CAPS, { minLength: 1 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constantFrom('progress' as const, 'complete' as const, 'error' as const),
      lease: fc.nat(20),
      stale: fc.boolean(),
      flag: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lost' as const), agent: fc.constantFrom(...AGENTS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), task: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
);

test('random events never make a disallowed move, a concurrent lease or a second done', async (t) => {
  const db = await pgliteClient();
  t.teardown(() => db.close());
  await migrate(db);
  const store = new TaskStore(db);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 25 }), async (steps) => {
      await db.exec('TRUNCATE tasks');
      const clock = new VirtualClock();
      const rootStrategy = Strategies.oneForOne({ backoff: IMMEDIATE, intensity: { maxRestarts: 1_000, withinMs: 1_000 } });
      const system = new ActorSystem({ name: `prop-${run++}`, clock, random: mulberry32(run), rootStrategy });
      const ts = { system, clock, advance: (ms: number) => advanceSettled(system, clock, ms) };
      try {
        const p = startPipeline(t, { db, ts });
        const leases: Leased[] = [];
        const ids: string[] = [];
        for (const s of steps) await apply(p, s, leases, ids);
        await p.barrier();
        check(
          p.events.map((e) => e.task),
          leases,
        );
        for (const [id, last] of p.latest()) t.deepEqual((await store.get(id))?.task, last, `the store holds what was announced for ${id}`);
      } finally {
        await system.terminate();
      }
    }),
    { numRuns: 25, seed: 42, endOnFailure: true },
  );
  t.pass();
});

async function apply(p: ReturnType<typeof startPipeline>, s: Step, leases: Leased[], ids: string[]): Promise<void> {
  const q = p.queue;
  const pick = (n: number) => leases[n % Math.max(1, leases.length)];
  switch (s.kind) {
    case 'submit': {
      const r = await p.submit({ description: 'x', capability: s.capability, maxAttempts: s.maxAttempts, deadlineMs: s.deadlineMs });
      if (r.ok) ids.push(r.task.id);
      return;
    }
    case 'lease': {
      const r: LeaseReply = await p.lease(s.agent, s.caps);
      if (r.type === 'leased') leases.push(r);
      return;
    }
    case 'progress':
    case 'complete':
    case 'error': {
      const l = pick(s.lease);
      if (l === undefined) return;
      const attempt = s.stale ? l.attempt + 1 : l.attempt;
      const base = { taskId: l.task.id, agentId: l.agentId, attempt };
      if (s.kind === 'progress') q.tell({ type: 'progress', ...base, progress: 0.5, partial: '' });
      else if (s.kind === 'complete') q.tell({ type: 'completed', ...base, success: s.flag, result: 'r' });
      else q.tell({ type: 'agent-error', ...base, message: 'e', recoverable: s.flag });
      return p.barrier();
    }
    case 'lost':
      q.tell({ type: 'agent-lost', agentId: s.agent, reason: 'gone' });
      return p.barrier();
    case 'advance':
      await p.ts.advance(s.ms);
      return p.barrier();
    case 'cancel': {
      const id = ids[s.task % Math.max(1, ids.length)];
      if (id !== undefined)
        q.tell({ type: 'cancel', taskId: id, by: ADMIN, reason: 'r', replyTo: { path: '/test/c', tell: () => undefined } });
      return p.barrier();
    }
    case 'crash':
      p.ts.system.faults.kill(TASK_QUEUE_PATH);
      return p.barrier();
  }
}

function check(announced: readonly TaskRecord[], leases: readonly Leased[]): void {
  const last = new Map<string, TaskRecord>();
  for (const task of announced) {
    const prev = last.get(task.id);
    if (prev !== undefined) {
      if (isFinal(prev.state)) throw new Error(`${task.id} moved after ${prev.state}`);
      if (prev.state !== task.state && !isMoveAllowed(prev.state, task.state))
        throw new Error(`${task.id}: ${prev.state} -> ${task.state}`);
      if (task.state === 'assigned' && prev.state === 'queued' && task.attempts !== prev.attempts + 1)
        throw new Error(`${task.id}: attempt ${task.attempts} after ${prev.attempts}`);
    } else if (task.state !== 'queued') throw new Error(`${task.id} first announced ${task.state}`);
    last.set(task.id, task);
  }
  const seen = new Set<string>();
  for (const l of leases) {
    const key = `${l.task.id}#${l.attempt}`;
    if (seen.has(key)) throw new Error(`two leases of ${key}`);
    seen.add(key);
  }
}
