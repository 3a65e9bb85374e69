// The gateway's SSSP port: a client's request is answered to the asker and to every subscriber;
// subscriptions outlive a restart of the port, and a subscriber that stops is dropped.
import test from 'ava';
import { draftSsspResultEnvelope } from '../../src/protocol/envelope/sssp-result-envelope.ts';
import { resultToWire, ssspPortActor, type SsspPortMsg } from '../../src/actors/sssp-port.ts';
import type { SsspMsg, SsspReply } from '../../src/actors/sssp.ts';
import type { SsspResultMsg } from '../../src/gateway/ports.ts';
import type { DeadLetter } from '../../src/runtime/dead-letter.ts';
import type { SsspResult } from '../../src/sssp/engine.ts';
import { testSystem, turns, waitFor } from '../helpers/system.ts';

/** Node 1 reaches node 2 at distance 3. */
const RESULT: SsspResult = {
  engine: 'cpu',
  version: 1,
  source: 1,
  sourceIndex: 0,
  size: 2,
  ids: Uint32Array.of(1, 2),
  distance: Float64Array.of(0, 3),
  parent: Int32Array.of(-1, 0),
  order: Int32Array.of(0, 1),
  sorted: true,
  complete: true,
  maxDistance: Infinity,
  elapsedMs: 0,
};

test('subscribers get every answer, survive a restart of the port, and are dropped when they stop', async (t) => {
  const { system, advance } = testSystem(t);
  const sssp = system.spawn<SsspMsg>(
    () => ({
      receive(m) {
        if (m.type === 'sssp-query') m.replyTo?.tell({ ok: true, result: RESULT, paths: [] } satisfies SsspReply);
      },
    }),
    { name: 'sssp' },
  );
  const port = system.spawn<SsspPortMsg>(ssspPortActor({ sssp }), { name: 'port' });
  const got: { who: string; source: number; nodes: number[] }[] = [];
  const client = (name: string) =>
    system.spawn<SsspResultMsg>(
      () => ({ receive: (m) => void got.push({ who: name, source: m.result.source, nodes: [...m.result.nodes] }) }),
      { name },
    );
  const asker = client('asker');
  const watcher = client('watcher');
  const deadLetters: DeadLetter[] = [];
  system.events.subscribe((e) => {
    if (e.type === 'dead-letter') deadLetters.push(e.letter);
  });

  port.tell({ type: 'subscribe', subscriber: watcher });
  port.tell({ type: 'request', source: 1, maxDistance: 0, targets: [], replyTo: asker, tag: 9 });
  await advance(100);
  t.deepEqual(got, [
    { who: 'asker', source: 1, nodes: [1, 2] },
    { who: 'watcher', source: 1, nodes: [1, 2] },
  ]);

  // A crash of the port (one injected failure) and its restart: the watcher is still subscribed.
  system.faults.inject('/port', { kind: 'throw', times: 1 });
  port.tell({ type: 'unsubscribe', subscriber: asker }); // the faulted message
  await advance(10_000);
  got.length = 0;
  port.tell({ type: 'request', source: 1, maxDistance: 0, targets: [], replyTo: asker, tag: 9 });
  await advance(100);
  t.deepEqual(
    got.map((g) => g.who),
    ['asker', 'watcher'],
  );

  // The watcher stops: it is dropped, so answers do not pile up as dead letters for it.
  await system.stop(watcher);
  await advance(100);
  port.tell({ type: 'request', source: 1, maxDistance: 0, targets: [], replyTo: asker, tag: 9 });
  await advance(100);
  t.deepEqual(
    deadLetters.filter((d) => d.recipient === '/watcher'),
    [],
  );
});

test('targets and the bound reach the query; a failed query is an error for the asker alone, tagged', async (t) => {
  const { system, clock, advance } = testSystem(t);
  const queries: { source: number; targets?: readonly number[]; maxDistance?: number }[] = [];
  const sssp = system.spawn<SsspMsg>(
    () => ({
      receive(m) {
        if (m.type !== 'sssp-query') return;
        queries.push({
          source: m.source,
          ...(m.targets === undefined ? {} : { targets: m.targets }),
          ...(m.maxDistance === undefined ? {} : { maxDistance: m.maxDistance }),
        });
        if (m.source === 1) m.replyTo?.tell({ ok: true, result: { ...RESULT, complete: false }, paths: [] } satisfies SsspReply);
        else if (m.source === 5)
          m.replyTo?.tell({
            ok: false,
            error: { code: 'unknown-source', message: 'node 5 is not in graph version 1' },
          } satisfies SsspReply);
        // source 6: never answered
      },
    }),
    { name: 'sssp' },
  );
  const port = system.spawn<SsspPortMsg>(ssspPortActor({ sssp, queryTimeoutMs: 1_000 }), { name: 'port' });
  const got: { who: string; msg: SsspResultMsg }[] = [];
  const client = (name: string) => system.spawn<SsspResultMsg>(() => ({ receive: (msg) => void got.push({ who: name, msg }) }), { name });
  const asker = client('asker');
  const watcher = client('watcher');
  port.tell({ type: 'subscribe', subscriber: watcher });

  port.tell({ type: 'request', source: 1, maxDistance: 0, targets: [2], replyTo: asker, tag: 11 });
  port.tell({ type: 'request', source: 1, maxDistance: 2.5, targets: [], replyTo: asker, tag: 12 });
  await advance(100);
  t.deepEqual(queries, [
    { source: 1, targets: [2] },
    { source: 1, maxDistance: 2.5 },
  ]);
  t.deepEqual(
    got.map((g) => [g.who, g.msg.answerTo, g.msg.result.complete]),
    [
      ['asker', 11, false],
      ['watcher', undefined, false],
      ['asker', 12, false],
      ['watcher', undefined, false],
    ],
  );

  got.length = 0;
  port.tell({ type: 'request', source: 5, maxDistance: 0, targets: [], replyTo: asker, tag: 13 });
  port.tell({ type: 'request', source: 6, maxDistance: 0, targets: [], replyTo: asker, tag: 14 });
  // The port awaits the unanswered query, so the system never settles: move the clock by hand.
  await turns();
  clock.advance(1_000);
  await waitFor(() => got.length === 2);
  t.deepEqual(
    got.map((g) => [g.who, g.msg.answerTo, g.msg.error?.code, g.msg.result.nodes.length]),
    [
      ['asker', 13, 'unknown-source', 0],
      ['asker', 14, 'timeout', 0],
    ],
  );
});

test('a big result is gathered in settle order, in slices that let the event loop in between', async (t) => {
  const n = 200_000;
  // A random settle order over n nodes; node i's id is 10 + i, its parent the node settled before it.
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let seed = 7;
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const parent = new Int32Array(n).fill(-1);
  const distance = new Float64Array(n);
  order.forEach((index, k) => {
    distance[index] = k / 4;
    if (k > 0) parent[index] = order[k - 1]!;
  });
  const result: SsspResult = {
    ...RESULT,
    size: n,
    ids: Uint32Array.from({ length: n }, (_, i) => 10 + i),
    distance,
    parent,
    order,
    sorted: true,
  };
  let yields = 0;
  const wire = await resultToWire(result, async () => void yields++);
  t.is(wire.size, n);
  t.true(yields >= 3, `yielded ${yields} times`);
  for (const k of [0, 1, 65_535, 65_536, 131_072, n - 1]) {
    const index = order[k]!;
    t.is(wire.nodes[k], 10 + index);
    t.is(wire.distances[k], k / 4);
    t.is(wire.parents[k], k === 0 ? 10 + index : 10 + order[k - 1]!, `entry ${k}`);
  }
});

test('a result the worker already gathered is sent as it is: no second gather', async (t) => {
  const gathered = draftSsspResultEnvelope(1, 2, true);
  gathered.nodes.set([1, 2]);
  gathered.distances.set([0, 3]);
  gathered.parents.set([1, 1]);
  let yields = 0;
  const wire = await resultToWire({ ...RESULT, wire: gathered }, async () => void yields++);
  t.is(wire.nodes, gathered.nodes);
  t.is(wire.distances, gathered.distances);
  t.is(wire.parents, gathered.parents);
  t.is(yields, 0);
  // The envelope the worker gathered into is what goes to clients.
  t.is(wire.template(), gathered.bytes);
});
