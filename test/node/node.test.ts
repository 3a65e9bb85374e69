// The whole node, as `npm start` runs it, driven by a WebSocket client: a graph written through
// the gateway is journaled, laid out by the physics actor and streamed back as position frames; a
// physics setting changes the layout's parameters live; a shortest-path request is answered.
import { createServer, type AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import type { PhysicsMsg, PhysicsStats } from '../../src/actors/physics-messages.ts';
import { TokenAuthority } from '../../src/auth/token.ts';
import type { GatewayMsg } from '../../src/actors/gateway.ts';
import { bootNode, type RunningNode } from '../../src/cli/node.ts';
import type { ActorSystem } from '../../src/runtime/system.ts';
import type { PositionIdTableT, SsspResultT, AckT, ErrorReplyT } from '../../src/protocol/index.ts';
import {
  decodeFrame,
  ErrorCode,
  NumberValueT,
  Payload,
  SettingsSetT,
  SettingValue,
  SsspRequestT,
  Topic,
} from '../../src/protocol/index.ts';
import { COMPUTE_PATHS, GATEWAY_PATH } from '../../src/supervisors/app-tree.ts';
import { addEdge, addNode, batch, node } from '../fixtures/graph-port.ts';
import { memoryPgliteStore } from '../fixtures/graph-store.ts';
import { Client, KEY } from '../gateway/support.ts';
import { HandshakeT } from '../../src/protocol/index.ts';

async function startNode(t: ExecutionContext, name: string): Promise<{ node: RunningNode; tokens: TokenAuthority }> {
  const store = await memoryPgliteStore();
  const tokens = new TokenAuthority(KEY);
  const node = await bootNode({ name, host: '127.0.0.1', port: 0, store, tokens, shards: 2, physics: { engines: 'serial' } });
  t.teardown(async () => {
    await node.system.terminate();
    await store.close();
  });
  return { node, tokens };
}

test('a graph sent over the gateway is laid out and streamed back; settings and SSSP reach the compute actors', async (t) => {
  const { node, tokens } = await startNode(t, 'e2e');
  await endToEnd(t, node.system, node.address.port, tokens);
});

test('every actor of the node comes back after a kill, and then the node still works end to end', async (t) => {
  const { node, tokens } = await startNode(t, 'kills');
  const { system } = node;
  const actors = system.tree('/').filter((path) => path.startsWith('/app/'));
  const failures: string[] = [];
  const restarted = new Set<string>();
  system.events.subscribe((e) => {
    if (e.type === 'actor-failed') failures.push(e.path);
    if (e.type === 'actor-restarted') restarted.add(e.path);
  });
  const whole = (): boolean => actors.every((p) => system.lookup(p) !== undefined);
  for (const path of actors) {
    const before = failures.length;
    restarted.clear();
    t.true(system.faults.kill(path), path);
    // Back once it has restarted and the whole tree is there again (a supervisor's children too).
    for (let waited = 0; !(restarted.has(path) && whole()); waited += 20) {
      if (waited > 30_000) {
        t.fail(`${path}: not back after 30 s; failures since the kill: ${failures.slice(before).join(', ')}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    t.deepEqual(failures.slice(before), [path], `${path}: only the kill failed, not a restart`);
  }
  // The gateway listens again (on a fresh port: this node asked for any free one).
  const gateway = system.lookup<GatewayMsg>(GATEWAY_PATH)!;
  const { port } = await system.ask<GatewayMsg, { port: number }>(gateway, (replyTo) => ({ type: 'address', replyTo }), 5_000);
  await endToEnd(t, system, port, tokens);
});

/** A client writes a small graph, sees it laid out and streamed, changes a physics setting and asks for shortest paths. */
async function endToEnd(t: ExecutionContext, system: ActorSystem, port: number, tokens: TokenAuthority): Promise<void> {
  const client = await Client.open(`ws://127.0.0.1:${port}/ws`);
  t.teardown(() => client.ws.terminate());
  client.send(new HandshakeT(tokens.mint({ sub: 'alice', role: 'editor', ttlSeconds: 600 }), 0, 0n, 'e2e', null));
  await client.waitFor(() => client.of(Payload.HandshakeAccepted).length === 1, 10_000);
  client.subscribe(Topic.Positions);
  client.subscribe(Topic.Sssp);

  const mutation = batch(
    addNode(node(1, 'alpha')),
    addNode(node(2, 'beta')),
    addNode(node(3, 'gamma')),
    addEdge(10n, 1, 2, 2),
    addEdge(11n, 2, 3, 5),
  );
  if (mutation.kind !== 'batch') throw new Error('expected a batch');
  const seq = client.send(mutation.batch);
  await client.waitFor(() => client.of(Payload.Ack).some((e) => Number(e.correlationId) === seq), 15_000);
  t.true((client.of(Payload.Ack).at(-1)!.payload as AckT).version > 0n);

  // The physics actor took the nodes in and frames flow: an id table of the three, then frames.
  await client.waitFor(() => client.of(Payload.PositionIdTable).some((e) => (e.payload as PositionIdTableT).ids.length === 3), 15_000);
  const table = client.of(Payload.PositionIdTable).at(-1)!.payload as PositionIdTableT;
  t.deepEqual([...table.ids].sort(), [1, 2, 3]);
  await client.waitFor(
    () =>
      client.frames.some((f) => {
        const r = decodeFrame(f);
        return r.ok && r.value.tableSize === 3;
      }),
    15_000,
  );

  // A physics setting, set over the socket, becomes the layout's target parameter.
  const set = client.send(new SettingsSetT('physics.repulsion', SettingValue.NumberValue, new NumberValueT(33), -1n));
  await client.waitFor(() => client.of(Payload.SettingsDelta).some((e) => Number(e.correlationId) === set), 10_000);
  const physics = system.lookup<PhysicsMsg>(COMPUTE_PATHS.physics)!;
  for (let i = 0; ; i++) {
    const stats = await system.ask<PhysicsMsg, PhysicsStats>(physics, (replyTo) => ({ type: 'stats', replyTo }), 5_000);
    if (stats.targetParams.repulsion === 33) break;
    if (i > 200) t.fail('the physics actor never took the setting');
    await new Promise((r) => setTimeout(r, 20));
  }

  // Shortest paths from node 1 over the weighted edges.
  client.send(new SsspRequestT(1, 0));
  await client.waitFor(() => client.of(Payload.SsspResult).length > 0, 15_000);
  const result = client.of(Payload.SsspResult).at(-1)!.payload as SsspResultT;
  const distance = new Map(result.nodes.map((id, i) => [id, result.distances[i]]));
  t.deepEqual([distance.get(1), distance.get(2), distance.get(3)], [0, 2, 7]);
  t.is(result.parents[result.nodes.indexOf(3)], 2);
  // Only up to node 3 (the run may stop there), and a source that is not in the graph.
  const toThree = client.send(new SsspRequestT(1, 0, [3]));
  const unknown = client.send(new SsspRequestT(999, 0));
  await client.waitFor(
    () =>
      client.envelopes.some((e) => Number(e.correlationId) === toThree) &&
      client.envelopes.some((e) => Number(e.correlationId) === unknown),
    15_000,
  );
  const targeted = client.envelopes.find((e) => Number(e.correlationId) === toThree)!.payload as SsspResultT;
  t.is(targeted.distances[targeted.nodes.indexOf(3)], 7);
  t.is(targeted.parents[targeted.nodes.indexOf(3)], 2);
  const refused = client.envelopes.find((e) => Number(e.correlationId) === unknown)!;
  t.is(refused.payloadType, Payload.ErrorReply);
  t.is((refused.payload as ErrorReplyT).code, ErrorCode.NotFound);
  t.regex(String((refused.payload as ErrorReplyT).message), /999/);
}

test('a node whose port is taken fails to boot at once with the listen error', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as AddressInfo).port;
  const store = await memoryPgliteStore();
  t.teardown(() => store.close());
  const error = await t.throwsAsync(
    bootNode({ name: 'taken', host: '127.0.0.1', port, store, tokens: new TokenAuthority(KEY), shards: 1, physics: { engines: 'serial' } }),
  );
  t.regex(error?.message ?? '', /EADDRINUSE/);
});
