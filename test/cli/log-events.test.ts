// Runtime events in the log: levels per kind, and the per-actor throttle on dead letters and
// overflows so a flood of them cannot flood the log.
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { logRuntimeEvents } from '../../src/cli/log-events.ts';
import { IMMEDIATE } from '../../src/shared/backoff.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';
import { testSystem } from '../helpers/system.ts';

interface Line {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function logged(t: ExecutionContext) {
  const ts = testSystem(t, { rootStrategy: Strategies.oneForOne({ backoff: IMMEDIATE }) });
  const lines: Line[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  t.teardown(logRuntimeEvents(ts.system, log, 1_000));
  return { ...ts, lines };
}

test('failures, supervision and restarts are logged', async (t) => {
  const { system, advance, lines } = logged(t);
  const ref = system.spawn<string>(
    () => ({
      receive: () => {
        throw new Error('bad');
      },
    }),
    { name: 'x' },
  );
  ref.tell('go');
  await advance(0);
  const msgs = lines.map((l) => `${l.level} ${l.msg}`);
  t.deepEqual(msgs, ['40 actor failed', '30 supervision', '30 restart scheduled', '30 actor restarted']);
  t.like(lines[0], { actor: '/x', err: 'Error: bad' });
  t.like(lines[1], { supervisor: '/', child: '/x', directive: 'restart', affected: ['/x'] });
});

test('dead letters are throttled per recipient on the clock', async (t) => {
  const { system, clock, lines } = logged(t);
  const dead = () => lines.filter((l) => l.msg === 'dead letter');
  for (let i = 0; i < 100; i++) system.tellPath('/a', i);
  system.tellPath('/b', 0);
  t.deepEqual(
    dead().map((l) => l.recipient),
    ['/a', '/b'],
  );
  clock.advance(999);
  system.tellPath('/a', 0);
  t.is(dead().length, 2);
  clock.advance(1);
  system.tellPath('/a', 0);
  t.is(dead().length, 3);
});

test('termination is logged', async (t) => {
  const { system, lines } = logged(t);
  await system.terminate();
  t.is(lines.at(-1)?.msg, 'actor system stopped');
});
