// Node drags over the socket: a NodeDrag reaches the layout for editors only, bad ones are answered
// with an error frame (the session stays up), and, on a whole node, the physics holds the dragged
// node where it was put, every subscribed client sees it there, and it is let go after
// physics.pinTimeoutMs.
import test from 'ava';
import type { PhysicsMsg, PhysicsStats } from '../../src/actors/physics-messages.ts';
import { TokenAuthority } from '../../src/auth/token.ts';
import { bootNode } from '../../src/cli/node.ts';
import {
  ErrorCode,
  HandshakeT,
  NodeDragT,
  NumberValueT,
  Payload,
  PositionStreamReader,
  SettingValue,
  SettingsSetT,
  Topic,
  Vec3T,
  encodeEnvelope,
  type AckT,
  type ErrorReplyT,
  type PositionIdTableT,
} from '../../src/protocol/index.ts';
import { COMPUTE_PATHS } from '../../src/supervisors/app-tree.ts';
import { addEdge, addNode, batch, node } from '../fixtures/graph-port.ts';
import { memoryPgliteStore } from '../fixtures/graph-store.ts';
import { Client, KEY, startGateway } from './support.ts';

const errors = (c: Client) =>
  c.of(Payload.ErrorReply).map((e) => ({
    code: (e.payload as ErrorReplyT).code,
    message: String((e.payload as ErrorReplyT).message),
    corr: Number(e.correlationId),
  }));

test('an editor’s drags and release reach the layout in order, with no reply; a viewer’s are forbidden', async (t) => {
  const h = await startGateway(t);
  const editor = await h.session('editor');
  editor.send(new NodeDragT(7, new Vec3T(1, 2, 3)));
  editor.send(new NodeDragT(7, new Vec3T(4, 5, 6)));
  editor.send(new NodeDragT(7, null, true));
  await editor.waitFor(() => h.layout.calls.length === 3);
  t.deepEqual(h.layout.calls, [
    { kind: 'drag', id: 7, position: { x: 1, y: 2, z: 3 } },
    { kind: 'drag', id: 7, position: { x: 4, y: 5, z: 6 } },
    { kind: 'release', id: 7 },
  ]);
  t.deepEqual(errors(editor), []);

  const viewer = await h.session('viewer');
  const seq = viewer.send(new NodeDragT(7, new Vec3T(0, 0, 0)));
  await viewer.waitFor(() => viewer.of(Payload.ErrorReply).length === 1);
  t.deepEqual(errors(viewer), [{ code: ErrorCode.Unauthorized, message: 'forbidden: role viewer may not move a node', corr: seq }]);
  t.is(h.layout.calls.length, 3);
});

test('a drag without a position or far outside the layout is BadMessage; a non-finite one closes 1007; the session and server carry on', async (t) => {
  const h = await startGateway(t);
  const c = await h.session('editor');
  const none = c.send(new NodeDragT(1, null));
  const far = c.send(new NodeDragT(1, new Vec3T(0, 2e5, 0)));
  await c.waitFor(() => c.of(Payload.ErrorReply).length === 2);
  t.deepEqual(errors(c), [
    { code: ErrorCode.BadMessage, message: 'NodeDrag: a drag needs a position (or release)', corr: none },
    { code: ErrorCode.BadMessage, message: 'NodeDrag: position.y 200000 is outside [-100000, 100000]', corr: far },
  ]);
  t.is(h.layout.calls.length, 0);
  // Still served.
  c.send(new NodeDragT(1, new Vec3T(1, 1, 1)));
  await c.waitFor(() => h.layout.calls.length === 1);

  // Bytes that cannot be a finite position are a malformed envelope, like any other.
  const nan = await h.session('editor');
  nan.ws.send(encodeEnvelope({ seq: 1, payload: new NodeDragT(1, new Vec3T(Number.NaN, 0, 0)) }));
  const closed = await nan.waitClosed();
  t.is(closed.code, 1007);
  t.regex(closed.reason, /^malformed envelope: /);
  t.is(h.layout.calls.length, 1);
  t.is(c.ws.readyState, c.ws.OPEN);
});

test('without a layout on the node a drag is Unsupported', async (t) => {
  const h = await startGateway(t, { layout: undefined });
  const c = await h.session('editor');
  const seq = c.send(new NodeDragT(1, new Vec3T(1, 1, 1)));
  await c.waitFor(() => c.of(Payload.ErrorReply).length === 1);
  t.deepEqual(errors(c), [{ code: ErrorCode.Unsupported, message: 'no layout on this node', corr: seq }]);
});

test('drags count against the connection’s rate limit like every other message', async (t) => {
  const h = await startGateway(t, { limits: { messagesPerSecond: 10, messageBurst: 5, abuseDropsPerSecond: 50 } });
  const c = await h.session('editor');
  for (let i = 0; i < 12; i++) c.send(new NodeDragT(1, new Vec3T(i, 0, 0)));
  // Every drag is either taken or answered Overloaded (a drag that is taken has no answer).
  await c.waitFor(() => c.of(Payload.ErrorReply).length > 0 && h.layout.calls.length + c.of(Payload.ErrorReply).length === 12);
  t.true(errors(c).every((e) => e.code === ErrorCode.Overloaded));
  t.true(h.layout.calls.length < 12, `${h.layout.calls.length} drags went through`);
});

/** Where node `id` is in the latest position frame a client applied. */
function positionIn(c: Client, id: number): [number, number, number] | undefined {
  const reader = new PositionStreamReader();
  let table: PositionIdTableT | undefined;
  for (const m of c.log) {
    if (m.kind === 'envelope') {
      if (m.env.payloadType === Payload.PositionIdTable) {
        table = m.env.payload as PositionIdTableT;
        reader.setIdTable(table.epoch, table.ids.length);
      }
    } else reader.accept(m.bytes);
  }
  const slot = table?.ids.indexOf(id) ?? -1;
  if (slot < 0) return undefined;
  const p = reader.positions;
  return [p[3 * slot]!, p[3 * slot + 1]!, p[3 * slot + 2]!];
}

test('on a whole node: a dragged node is pinned where it was put, every viewer sees it there, and it is let go after pinTimeoutMs', async (t) => {
  const store = await memoryPgliteStore();
  const tokens = new TokenAuthority(KEY);
  const running = await bootNode({
    name: 'drag-e2e',
    host: '127.0.0.1',
    port: 0,
    store,
    tokens,
    shards: 2,
    physics: { engines: 'serial' },
  });
  t.teardown(async () => {
    await running.system.terminate();
    await store.close();
  });
  const open = async (role: 'editor' | 'viewer'): Promise<Client> => {
    const c = await Client.open(`ws://127.0.0.1:${running.address.port}/ws`);
    t.teardown(() => c.ws.terminate());
    c.send(new HandshakeT(tokens.mint({ sub: role, role, ttlSeconds: 600 }), 0, 0n, 'drag', null));
    await c.waitFor(() => c.of(Payload.HandshakeAccepted).length === 1, 10_000);
    return c;
  };
  const editor = await open('editor');
  const watcher = await open('viewer');
  const mutation = batch(
    addNode(node(1, 'a')),
    addNode(node(2, 'b')),
    addNode(node(3, 'c')),
    addEdge(10n, 1, 2),
    addEdge(11n, 2, 3),
    addEdge(12n, 3, 1),
  );
  if (mutation.kind !== 'batch') throw new Error('expected a batch');
  const seq = editor.send(mutation.batch);
  await editor.waitFor(() => editor.of(Payload.Ack).some((e) => Number(e.correlationId) === seq), 15_000);
  t.true((editor.of(Payload.Ack)[0]!.payload as AckT).version > 0n);
  // A short pin so the release is seen too.
  const set = editor.send(new SettingsSetT('physics.pinTimeoutMs', SettingValue.NumberValue, new NumberValueT(1_500), -1n));
  await editor.waitFor(() => editor.of(Payload.SettingsDelta).some((e) => Number(e.correlationId) === set), 10_000);
  watcher.subscribe(Topic.Positions);
  await watcher.waitFor(() => positionIn(watcher, 1) !== undefined, 15_000);

  const physics = running.system.lookup<PhysicsMsg>(COMPUTE_PATHS.physics)!;
  const stats = () => running.system.ask<PhysicsMsg, PhysicsStats>(physics, (replyTo) => ({ type: 'stats', replyTo }), 5_000);
  for (let i = 0; (await stats()).targetParams.pinTimeoutMs !== 1_500; i++) {
    if (i > 200) return t.fail('the physics never took physics.pinTimeoutMs');
    await new Promise((r) => setTimeout(r, 20));
  }
  const target: [number, number, number] = [40, -25, 12];
  const near = (p: readonly number[] | undefined, limit: number) =>
    p !== undefined && Math.hypot(p[0]! - target[0], p[1]! - target[1], p[2]! - target[2]) < limit;
  editor.send(new NodeDragT(1, new Vec3T(...target)));
  await watcher.waitFor(() => near(positionIn(watcher, 1), 0.5), 10_000);
  t.deepEqual((await stats()).pinned, [1]);
  // Held there while pinned, though its springs pull it towards the others.
  await new Promise((r) => setTimeout(r, 600));
  t.true(near(positionIn(watcher, 1), 0.5), `still at the drop point: ${JSON.stringify(positionIn(watcher, 1))}`);
  // Let go after the timeout: the layout pulls it back in.
  for (let i = 0; (await stats()).pinned.length > 0; i++) {
    if (i > 300) return t.fail('never released');
    await new Promise((r) => setTimeout(r, 20));
  }
  await watcher.waitFor(() => !near(positionIn(watcher, 1), 2), 10_000);
  t.pass();
});
