// Two clients changing the same settings concurrently, with the network delaying every request,
// answer and broadcast by a random amount: both show their own changes at once and both end up
// showing exactly what the server holds.
import test from 'ava';
import fc from 'fast-check';
import { ZERO_HLC } from '../../src/crdt/hlc.ts';
import { settingsActor } from '../../src/actors/settings.ts';
import { SettingsClient } from '../../src/settings/client.ts';
import { InMemoryDeltaLog } from '../../src/settings/delta-log.ts';
import type { SetResult, SettingsBroadcast, SettingsMsg, SettingsSnapshot } from '../../src/settings/protocol.ts';
import { testSystem } from '../helpers/system.ts';

const PATHS = ['physics.repulsion', 'physics.damping', 'visualisation.edges.opacity'] as const;

test('optimistic changes show at once; refused ones roll back to the value that stands', async (t) => {
  const replies: ((r: SetResult) => void)[] = [];
  const snapshot: SettingsSnapshot = { version: 3, values: { 'physics.repulsion': { value: 0.01, version: 3 } } };
  const client = new SettingsClient(snapshot, () => new Promise((resolve) => replies.push(resolve)));
  const seen: unknown[] = [];
  client.onChange((path, value) => seen.push([path, value]));
  const first = client.set('physics.repulsion', 0.5);
  t.is(client.get('physics.repulsion'), 0.5);
  replies.shift()!({
    ok: false,
    errors: [{ path: 'physics.repulsion', code: 'conflict', message: 'x', current: { value: 0.2, version: 4 } }],
  });
  await first;
  t.is(client.get('physics.repulsion'), 0.2);
  t.is(client.versionOf('physics.repulsion'), 4);
  // An old delta arriving late changes nothing.
  client.applyDeltas([{ path: 'physics.repulsion', old: null, new: 0.9, timestamp: ZERO_HLC, client: 'x', version: 2 }]);
  t.is(client.get('physics.repulsion'), 0.2);
  t.deepEqual(seen, [
    ['physics.repulsion', 0.5],
    ['physics.repulsion', 0.2],
  ]);
});

test('two clients editing the same paths concurrently converge on the server state', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          who: fc.integer({ min: 0, max: 1 }),
          path: fc.constantFrom(...PATHS),
          value: fc.integer({ min: 0, max: 100 }).map((n) => n / 100),
          cas: fc.boolean(),
          sendDelay: fc.integer({ min: 0, max: 40 }),
          replyDelay: fc.integer({ min: 0, max: 40 }),
          gap: fc.integer({ min: 0, max: 30 }),
        }),
        { minLength: 1, maxLength: 25 },
      ),
      fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 2, maxLength: 2 }),
      async (ops, broadcastDelays) => {
        const ts = testSystem(t);
        const { system, clock } = ts;
        const store = system.spawn<SettingsMsg>(settingsActor({ log: new InMemoryDeltaLog() }), { name: 'settings' });
        const initial = await system.ask<SettingsMsg, SettingsSnapshot>(store, (replyTo) => ({ type: 'get', replyTo }), 1_000);
        const delayed = <T>(ms: number, f: () => Promise<T>): Promise<T> =>
          new Promise<void>((resolve) => clock.setTimer(ms, resolve)).then(f);
        const clients = [0, 1].map((i) => {
          let next = { sendDelay: 0, replyDelay: 0 };
          const client = new SettingsClient(initial, (changes) =>
            delayed(next.sendDelay, () =>
              system.ask<SettingsMsg, SetResult>(store, (replyTo) => ({ type: 'set', client: `c${i}`, changes, replyTo }), 10_000),
            ).then((r) => delayed(next.replyDelay, () => Promise.resolve(r))),
          );
          const inbox = system.spawn<SettingsBroadcast>(
            () => ({ receive: (m) => void clock.setTimer(broadcastDelays[i]!, () => client.applyDeltas(m.deltas)) }),
            { name: `inbox-${i}` },
          );
          store.tell({ type: 'subscribe', subscriber: inbox, client: `c${i}` });
          return { client, setDelays: (d: typeof next) => (next = d) };
        });
        await system.settled();
        const inFlight: Promise<SetResult>[] = [];
        for (const op of ops) {
          const c = clients[op.who]!;
          c.setDelays(op);
          inFlight.push(c.client.set(op.path, op.value, op.cas));
          // Optimistic: the change shows at once.
          if (c.client.get(op.path) !== op.value) return false;
          await ts.advance(op.gap);
        }
        await ts.advance(1_000);
        await Promise.all(inFlight);
        const server = await system.ask<SettingsMsg, SettingsSnapshot>(store, (replyTo) => ({ type: 'get', replyTo }), 1_000);
        await system.terminate();
        return PATHS.every((p) => clients.every((c) => c.client.get(p) === server.values[p]!.value));
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});
