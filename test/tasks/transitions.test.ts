// The state machine of task.ts, pair by pair, and the checks of a submission.
import test from 'ava';
import { checkNewTask, truncateBytes, withError } from '../../src/tasks/new-task.ts';
import { TASK_STATES, type TaskState } from '../../src/tasks/task.ts';
import { assertMove, DisallowedMoveError, holdsLease, isFinal, isMoveAllowed } from '../../src/tasks/transitions.ts';

const ALLOWED: Record<TaskState, TaskState[]> = {
  queued: ['assigned', 'running', 'cancelled'],
  assigned: ['running', 'queued', 'done', 'failed', 'cancelled'],
  running: ['queued', 'done', 'failed', 'cancelled'],
  done: [],
  failed: [],
  cancelled: [],
};

test('every pair of states: allowed exactly as task.ts says', (t) => {
  for (const from of TASK_STATES)
    for (const to of TASK_STATES) t.is(isMoveAllowed(from, to), ALLOWED[from].includes(to), `${from} -> ${to}`);
});

test('final states never move; staying is not a move', (t) => {
  for (const s of ['done', 'failed', 'cancelled'] as const) {
    t.true(isFinal(s));
    for (const to of TASK_STATES) if (to !== s) t.throws(() => assertMove('t-1', s, to), { instanceOf: DisallowedMoveError });
    t.notThrows(() => assertMove('t-1', s, s));
  }
  t.false(isFinal('running'));
  t.true(holdsLease({ state: 'assigned', agentId: 'a' }));
  t.false(holdsLease({ state: 'running', agentId: undefined }));
  t.false(holdsLease({ state: 'queued', agentId: 'a' }));
});

test('submissions: what is checked, and what the message says', (t) => {
  t.true(checkNewTask({ description: 'x', capability: 'link' }).ok);
  t.true(
    checkNewTask({ description: 'x', recipe: 'curate', input: '{}', swarm: 'blue-1', priority: 255, deadlineMs: 0, maxAttempts: 100 }).ok,
  );
  const bad = (v: unknown): string => {
    const r = checkNewTask(v);
    return r.ok ? 'ok' : r.message;
  };
  t.regex(bad({ description: 'x' }), /recipe or a capability/);
  t.regex(bad({ description: '', capability: 'c' }), /description/);
  t.regex(bad({ description: 'x', capability: 'c', priority: -1 }), /priority/);
  t.regex(bad({ description: 'x', capability: 'c', priority: 1.5 }), /priority/);
  t.regex(bad({ description: 'x', capability: 'c', swarm: 'a/b' }), /swarm/);
  t.regex(bad({ description: 'x', capability: 'c', input: 'x'.repeat(1_048_577) }), /input/);
  t.regex(bad('text'), /.+/);
});

test('errors stay bounded: each reason cut to 1 KiB on a character boundary, the oldest dropped past 100', (t) => {
  let errors: readonly string[] = [];
  for (let i = 0; i < 150; i++) errors = withError(errors, `reason ${i}`);
  t.is(errors.length, 100);
  t.is(errors[0], 'reason 50');
  const long = withError([], 'é'.repeat(2_000))[0]!;
  t.true(Buffer.byteLength(long) <= 1_024);
  t.false(long.includes('\uFFFD'));
  t.is(truncateBytes('abc', 10), 'abc');
});
