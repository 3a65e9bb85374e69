// The TaskPort over the queue's messages: requests reach the queue at TASK_QUEUE_PATH and its
// answers come back as they are; no queue, a silent queue, a restarted queue.
import test from 'ava';
import { taskPort } from '../../src/actors/task-port.ts';
import { TASK_QUEUE_PATH, type TaskQueueMsg } from '../../src/actors/task-messages.ts';
import type { TaskStatusMsg } from '../../src/gateway/ports.ts';
import type { ActorFactory } from '../../src/runtime/actor.ts';
import { testSystem } from '../helpers/system.ts';
import { FakeQueue, fakeQueueActor, spawnAt } from '../gateway/tasks-support.ts';

const editor = { subject: 'ed', role: 'editor' } as const;

function recorder(): { factory: ActorFactory<TaskStatusMsg>; seen: TaskStatusMsg[] } {
  const seen: TaskStatusMsg[] = [];
  return { seen, factory: () => ({ receive: (msg) => void seen.push(msg) }) };
}

test('requests go to the queue and its answers come back unchanged; list limits are clamped', async (t) => {
  const { system } = testSystem(t);
  const queue = new FakeQueue();
  spawnAt(system, TASK_QUEUE_PATH, fakeQueueActor(queue));
  await system.settled();
  const port = taskPort(system);
  const submitted = await port.submit({ description: 'd', capability: 'c' }, editor);
  t.like(submitted, { ok: true, task: { id: 't-1', state: 'queued', submittedBy: 'ed' } });
  t.like(await port.get('t-1'), { ok: true, task: { id: 't-1' } });
  t.like(await port.get('nope'), { ok: false, code: 'not-found' });
  t.like(await port.cancel('t-1', { subject: 'other', role: 'editor' }, 'r'), { ok: false, code: 'forbidden' });
  t.like(await port.cancel('t-1', editor, 'r'), { ok: true, task: { state: 'cancelled' } });
  await port.list({ limit: 1e9 });
  await port.list({ limit: -3, states: [] });
  await port.list({ limit: 10, states: ['queued'], parentId: 'p' });
  const lists = queue.received.filter((m): m is Extract<TaskQueueMsg, { type: 'list' }> => m.type === 'list');
  t.deepEqual(
    lists.map((m) => [m.limit, m.states, m.parentId]),
    [
      [1000, undefined, undefined],
      [1, undefined, undefined],
      [10, ['queued'], 'p'],
    ],
  );
});

test('watch hands the subscriber itself to the queue; false while no queue runs', async (t) => {
  const { system } = testSystem(t);
  const port = taskPort(system);
  const r = recorder();
  const watcher = system.spawn(r.factory, { name: 'watcher' });
  t.false(port.watch(watcher));
  t.like(await port.submit({ description: 'd', capability: 'c' }, editor), { ok: false, code: 'unavailable' });
  const queue = new FakeQueue();
  spawnAt(system, TASK_QUEUE_PATH, fakeQueueActor(queue));
  await system.settled();
  t.true(port.watch(watcher));
  await system.settled();
  t.true(queue.watchers.has(watcher.path));
  await port.submit({ description: 'd', capability: 'c' }, editor);
  await system.settled();
  t.is(r.seen.length, 1);
  t.is(r.seen[0]!.task.id, 't-1');
  port.unwatch(watcher);
  await system.settled();
  t.is(queue.watchers.size, 0);
});

test('a queue that does not answer: unavailable after the timeout, never a rejection', async (t) => {
  const { system, advance } = testSystem(t);
  const queue = new FakeQueue();
  queue.silent = true;
  spawnAt(system, TASK_QUEUE_PATH, fakeQueueActor(queue));
  await system.settled();
  const port = taskPort(system, { timeoutMs: 300 });
  const pending = Promise.all([port.submit({ description: 'd', capability: 'c' }, editor), port.list({ limit: 5 })]);
  await advance(301);
  const [submit, list] = await pending;
  t.like(submit, { ok: false, code: 'unavailable' });
  t.regex(submit.ok ? '' : submit.message, /within 300 ms; it may still take effect/);
  t.like(list, { ok: false, code: 'unavailable' });
});

test('a watcher that is no actor is served by a relay: the queue holds only actors', async (t) => {
  const { system } = testSystem(t);
  const queue = new FakeQueue();
  spawnAt(system, TASK_QUEUE_PATH, fakeQueueActor(queue));
  await system.settled();
  const port = taskPort(system);
  const seen: [string, string][] = [];
  const plain = (name: string) => ({ path: `plain:${name}`, tell: (msg: TaskStatusMsg) => void seen.push([name, msg.task.id]) });
  const a = plain('a');
  const b = plain('b');
  t.true(port.watch(a));
  t.true(port.watch(b));
  await system.settled();
  t.is(queue.watchers.size, 1);
  const [relayPath] = [...queue.watchers.keys()];
  t.truthy(system.lookup(relayPath!), 'the queue holds an actor');
  await port.submit({ description: 'd', capability: 'c' }, editor);
  await system.settled();
  t.deepEqual(seen, [
    ['a', 't-1'],
    ['b', 't-1'],
  ]);
  port.unwatch(a);
  await system.settled();
  t.is(queue.watchers.size, 1, 'b still watches');
  port.unwatch(b);
  await system.settled();
  t.is(queue.watchers.size, 0);
});
