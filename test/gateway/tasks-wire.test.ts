// The pieces under the task routes: the checks of a new task, TaskRecord to TaskStatus (cut to the
// schema's bounds, so that a client's verifier takes it), and the latest-wins backlog.
import test from 'ava';
import fc from 'fast-check';
import { encodeEnvelope, unpackEnvelope, Payload, TaskState as WireTaskState, type TaskStatusT } from '../../src/protocol/index.ts';
import { TaskBacklog } from '../../src/gateway/task-backlog.ts';
import { checkNewTask } from '../../src/gateway/task-input.ts';
import { clipUtf8, taskStatusOf } from '../../src/gateway/task-wire.ts';
import type { TaskRecord } from '../../src/tasks/task.ts';

function record(patch: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 't-1',
    parentId: undefined,
    swarm: 'default',
    state: 'queued',
    description: 'd',
    recipe: undefined,
    capability: 'c',
    input: '',
    priority: 0,
    deadlineMs: 0,
    maxAttempts: 3,
    attempts: 0,
    agentId: undefined,
    leaseUntil: undefined,
    progress: 0,
    result: undefined,
    errors: [],
    subtasks: [],
    submittedBy: 'u',
    createdMs: 1,
    updatedMs: 1,
    ...patch,
  };
}

test('checkNewTask: defaults and empty strings are left out; bounds are UTF-8 bytes', (t) => {
  t.deepEqual(
    checkNewTask({ description: 'd', capability: 'c', recipe: '', swarm: '', input: '', priority: 0, deadlineMs: 0, maxAttempts: 0 }),
    {
      ok: true,
      task: { description: 'd', capability: 'c' },
    },
  );
  t.deepEqual(
    checkNewTask({ description: 'd', recipe: 'link-pages', swarm: 's', input: 'i', priority: 3, deadlineMs: 5, maxAttempts: 7 }),
    {
      ok: true,
      task: { description: 'd', recipe: 'link-pages', swarm: 's', input: 'i', priority: 3, deadlineMs: 5, maxAttempts: 7 },
    },
  );
  // 22 four-byte characters: 44 UTF-16 units but 88 bytes, over a swarm name's 64.
  t.false(checkNewTask({ description: 'd', capability: 'c', swarm: '😀'.repeat(22) }).ok);
  t.false(checkNewTask({ description: 'é'.repeat(32_769), capability: 'c' }).ok);
  t.true(checkNewTask({ description: 'é'.repeat(32_768), capability: 'c' }).ok);
  t.false(checkNewTask({ description: 'd', capability: 'c', priority: 256 }).ok);
  t.false(checkNewTask({ description: 'd', capability: 'c', maxAttempts: Number.NaN }).ok);
});

test('clipUtf8 cuts at a character boundary, never above the bound', (t) => {
  t.is(clipUtf8('abc', 2), 'ab');
  t.is(clipUtf8('😀😀', 7), '😀');
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 50 }), fc.integer({ min: 0, max: 120 }), (text, max) => {
      const cut = clipUtf8(text, max);
      return Buffer.byteLength(cut) <= max && text.startsWith(cut);
    }),
  );
});

test('a TaskStatus is cut to the schema bounds, so that the verifier on the client accepts it', (t) => {
  const big = record({
    id: 'x'.repeat(300),
    state: 'failed',
    description: 'd'.repeat(70_000),
    result: 'r'.repeat((1 << 20) + 10),
    errors: Array.from({ length: 150 }, (_, i) => `error ${i} ${'e'.repeat(i === 149 ? 70_000 : 0)}`),
    progress: Number.NaN,
    attempts: 3,
    agentId: 'a-1',
    updatedMs: 1_700_000_000_123,
  });
  const bytes = encodeEnvelope({ seq: 1, payload: taskStatusOf(big) });
  const decoded = unpackEnvelope(bytes);
  t.true(decoded.ok, decoded.ok ? '' : decoded.error.message);
  if (!decoded.ok) return;
  t.is(decoded.value.payloadType, Payload.TaskStatus);
  const s = decoded.value.payload as TaskStatusT;
  t.is(s.state, WireTaskState.Failed);
  t.is(String(s.taskId).length, 256);
  t.is(String(s.result).length, 1 << 20);
  t.is(s.errors.length, 100);
  t.regex(s.errors[0]!, /^error 50 /);
  t.regex(s.errors[99]!, /^error 149 /);
  t.is(s.progress, 0);
  t.is(s.updatedMs, 1_700_000_000_123n);
  t.is(s.recipe, null);
});

test('the backlog keeps the latest state per task, in the order they first waited, bounded', (t) => {
  const b = new TaskBacklog(2);
  b.put(record({ id: 'a', updatedMs: 1 }));
  b.put(record({ id: 'b', updatedMs: 2 }));
  b.put(record({ id: 'a', updatedMs: 3, state: 'running' }));
  b.put(record({ id: 'a', updatedMs: 2, state: 'assigned' })); // older than what waits: ignored
  t.is(b.size, 2);
  t.is(b.coalesced, 1);
  t.like(b.take(), { id: 'a', state: 'running' });
  b.put(record({ id: 'c', updatedMs: 4 }));
  b.put(record({ id: 'd', updatedMs: 5 })); // full: b, waiting longest, is dropped
  t.is(b.dropped, 1);
  t.deepEqual([b.take()?.id, b.take()?.id, b.take()], ['c', 'd', undefined]);
});
