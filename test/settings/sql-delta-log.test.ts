// Settings deltas on the real stores: a batch is durable as a unit, and a new settings actor on the
// same store (a node restart) comes back with the values its clients set.
import test, { type ExecutionContext } from 'ava';
import { settingsActor } from '../../src/actors/settings.ts';
import type { Store } from '../../src/storage/open-store.ts';
import type { SetResult, SettingsMsg, SettingsSnapshot } from '../../src/settings/protocol.ts';
import { SqlDeltaLog } from '../../src/settings/sql-delta-log.ts';
import { memoryPgliteStore, pgStore } from '../fixtures/graph-store.ts';
import { testSystem } from '../helpers/system.ts';

async function roundTrip(t: ExecutionContext, store: Store): Promise<void> {
  const log = new SqlDeltaLog(store.settings);
  const first = testSystem(t);
  const a = first.system.spawn<SettingsMsg>(settingsActor({ log }), { name: 'settings' });
  const set = await first.system.ask<SettingsMsg, SetResult>(
    a,
    (replyTo) => ({
      type: 'set',
      client: 'alice',
      changes: [
        { path: 'physics.repulsion', value: 0.125 },
        { path: 'visualisation.background', value: '#101010' },
        { path: 'visualisation.edges.visible', value: false },
      ],
      replyTo,
    }),
    5_000,
  );
  t.true(set.ok);
  await first.system.terminate();

  // A validation failure inside a batch persists nothing.
  await t.throwsAsync(() =>
    store.settings.appendAll([
      { path: 'x', newValue: 1, timestamp: { wallMs: 1, logical: 0, node: 0 }, client: 'c', version: 9 },
      { bogus: true },
    ]),
  );

  const second = testSystem(t);
  const b = second.system.spawn<SettingsMsg>(settingsActor({ log }), { name: 'settings' });
  const snap = await second.system.ask<SettingsMsg, SettingsSnapshot>(
    b,
    (replyTo) => ({ type: 'get', paths: ['physics.', 'visualisation.background', 'visualisation.edges.visible'], replyTo }),
    5_000,
  );
  t.is(snap.version, 3);
  t.deepEqual(snap.values['physics.repulsion'], { value: 0.125, version: 1 });
  t.deepEqual(snap.values['visualisation.background'], { value: '#101010', version: 2 });
  t.deepEqual(snap.values['visualisation.edges.visible'], { value: false, version: 3 });
  t.is((await log.load()).length, 3);
}

test('settings survive a restart on PGlite', async (t) => {
  const store = await memoryPgliteStore();
  t.teardown(() => store.close());
  await roundTrip(t, store);
});

test('settings survive a restart on PostgreSQL', async (t) => {
  await roundTrip(t, await pgStore(t));
});
