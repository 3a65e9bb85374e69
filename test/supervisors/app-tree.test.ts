// The application tree: /app and its six subsystems in dependency order, the retry actor in
// /app/dead-letters, subsystem children from options, and shutdown in reverse order.
import test from 'ava';
import type { RetryMsg, RetryStats } from '../../src/actors/dead-letter-retry.ts';
import { InMemoryFailureSink } from '../../src/actors/permanent-failure-sink.ts';
import { RETRY_ACTOR_PATH, startApp, SUBSYSTEMS } from '../../src/supervisors/app-tree.ts';
import { childSpec } from '../../src/supervisors/child-spec.ts';
import type { ChildInfo, SupervisorMsg } from '../../src/supervisors/supervisor.ts';
import { collectEvents } from '../helpers/events.ts';
import { testSystem } from '../helpers/system.ts';

test('startApp builds /app with the six subsystems in order and the retry actor', async (t) => {
  const { system } = testSystem(t);
  const app = startApp(system, { failureSink: new InMemoryFailureSink() });
  t.is(app.path, '/app');
  t.deepEqual(system.tree('/app'), [
    '/app',
    '/app/dead-letters',
    '/app/dead-letters/retry',
    '/app/settings',
    '/app/graph',
    '/app/compute',
    '/app/agents',
    '/app/gateway',
  ]);
  t.deepEqual(SUBSYSTEMS, ['dead-letters', 'settings', 'graph', 'compute', 'agents', 'gateway']);
  const children = await system.ask<SupervisorMsg, readonly ChildInfo[]>(app, (replyTo) => ({ type: 'which-children', replyTo }), 1_000);
  t.deepEqual(
    children.map((c) => c.name),
    [...SUBSYSTEMS],
  );
  const retry = system.lookup<RetryMsg>(RETRY_ACTOR_PATH);
  t.truthy(retry);
  const stats = await system.ask<RetryMsg, RetryStats>(retry!, (replyTo) => ({ type: 'stats', replyTo }), 1_000);
  t.deepEqual(stats, { pending: 0, redelivered: 0, gaveUp: 0 });
});

test('the retry actor in the app tree picks up dead letters', async (t) => {
  const { system, advance } = testSystem(t);
  const sink = new InMemoryFailureSink();
  startApp(system, {
    failureSink: sink,
    retryPolicy: {
      maxAttempts: 2,
      backoff: { minMs: 10, maxMs: 10, randomFactor: 0 },
      maxPending: 5,
      retryable: ['recipient-unknown'],
      skipRecipients: [],
    },
  });
  system.tellPath('/app/nowhere', 'x');
  await advance(100);
  t.like(sink.failures()[0], { attempts: 2, lastResult: 'recipient-unknown' });
});

test('subsystem children from options are started under their subsystem', async (t) => {
  const { system } = testSystem(t);
  const got: string[] = [];
  startApp(system, {
    failureSink: new InMemoryFailureSink(),
    children: { graph: [childSpec<string>(() => ({ receive: (m) => void got.push(m) }), { name: 'shard-0' })] },
  });
  t.deepEqual(system.tree('/app/graph'), ['/app/graph', '/app/graph/shard-0']);
  system.tellPath('/app/graph/shard-0', 'hi');
  await system.settled();
  t.deepEqual(got, ['hi']);
});

test('terminate stops the subsystems in reverse order: gateway first, dead letters last', async (t) => {
  const { system } = testSystem(t);
  const log = collectEvents(system);
  startApp(system, { failureSink: new InMemoryFailureSink() });
  await system.settled();
  await system.terminate();
  t.deepEqual(log.stopped(), [
    '/app/gateway',
    '/app/agents',
    '/app/compute',
    '/app/graph',
    '/app/settings',
    '/app/dead-letters/retry',
    '/app/dead-letters',
    '/app',
    '/',
  ]);
});
