// The gateway actor under supervision: after a failure it comes back, listening again, with its
// metrics still registered and counting on (a restart used to fail for good on registering them a
// second time), and new clients can connect.
import test from 'ava';
import type { GatewayMsg } from '../../src/actors/gateway.ts';
import { HandshakeT, Payload } from '../../src/protocol/index.ts';
import { Client, startGateway } from './support.ts';

test('a gateway that fails restarts: it listens again, its metrics count on, new sessions connect', async (t) => {
  const h = await startGateway(t);
  const before = await h.session('viewer');
  const failures: unknown[] = [];
  h.system.events.subscribe((e) => {
    if (e.type === 'actor-failed' && e.path === h.ref.path) failures.push(e.error);
  });

  t.true(h.system.faults.kill(h.ref.path));
  t.is((await before.waitClosed()).code, 1001, 'its sessions are closed as the server goes down');

  // The restart waits out its backoff on the virtual clock.
  let port = -1;
  for (let waited = 0; port <= 0 && waited < 60_000; waited += 500) {
    await h.advance(500);
    port = (await h.system.ask<GatewayMsg, { port: number }>(h.ref, (replyTo) => ({ type: 'address', replyTo }), 5_000)).port;
  }
  t.true(port > 0, 'listening again');
  t.is(failures.length, 1, 'the restart itself did not fail');

  const after = await Client.open(`ws://127.0.0.1:${port}/ws`);
  t.teardown(() => after.ws.terminate());
  after.send(new HandshakeT(h.token('viewer'), 0, 0n, 'test', null));
  await after.waitFor(() => after.envelopes.some((e) => e.payloadType === Payload.HandshakeAccepted));

  const metrics = await h.registry.metrics();
  t.regex(metrics, /vf_gateway_closes_total\{code="1001"\} 1\b/, 'the close before the restart is still counted');
  t.regex(metrics, /vf_gateway_sessions 1\b/, 'the gauges read the new incarnation');
});
