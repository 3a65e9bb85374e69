// The viewer's pure parts, without a browser: reconnect backoff, the graph store, shortest-path
// colouring and paths, the position store's interpolation and keyframe requests, the render-mode
// switch, and agents' status from metadata and agent events.
import test from 'ava';
import {
  AgentErrorT,
  AgentHeartbeatT,
  AgentRegisterT,
  GraphBatchT,
  GraphOp,
  GraphUpdateT,
  Payload,
  PositionIdTableT,
  PositionStreamEncoder,
  RemoveEdgeT,
  RemoveNodeT,
  SsspResultT,
  TaskAssignedT,
  TaskCompletedT,
  TaskProgressT,
} from '../../src/protocol/index.ts';
import { AgentStatus } from '../../viewer/src/agent-status.ts';
import { backoffDelay, RECONNECT_BACKOFF } from '../../viewer/src/backoff.ts';
import { BUCKET, RAMP_STEPS } from '../../viewer/src/colours.ts';
import { GraphStore } from '../../viewer/src/graph-store.ts';
import { PositionStore } from '../../viewer/src/position-store.ts';
import {
  chooseRenderMode,
  defaultThreshold,
  POINTS_THRESHOLD,
  SOFTWARE_POINTS_THRESHOLD,
  thresholdFromQuery,
} from '../../viewer/src/render-mode.ts';
import { SsspState } from '../../viewer/src/sssp-state.ts';
import { addEdge } from '../fixtures/graph-port.ts';

test('reconnect backoff grows exponentially to its cap, jittered', (t) => {
  const low = [0, 1, 2, 3, 10].map((a) => backoffDelay(RECONNECT_BACKOFF, a, 0));
  const high = [0, 1, 2, 3, 10].map((a) => backoffDelay(RECONNECT_BACKOFF, a, 0.999999));
  t.deepEqual(low, [125, 125, 125, 125, 125]);
  t.deepEqual(high, [250, 500, 1000, 2000, 10_000]);
});

test('the graph store follows edge additions, removals and node removals, with degrees', (t) => {
  const g = new GraphStore();
  g.addEdge('1', { source: 1, target: 2 });
  g.apply(new GraphBatchT([addEdge(2n, 2, 3), addEdge(3n, 3, 1)]));
  t.is(g.edges.size, 3);
  t.is(g.degreeOf(1), 2);
  g.apply(new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(3)));
  t.deepEqual([...g.edges.keys()], ['1']);
  t.is(g.degreeOf(3), 0);
  t.is(g.degreeOf(1), 1);
});

test('the graph store lines the loaded edge list up with the stream: changes that come meanwhile wait, then apply when newer', (t) => {
  const g = new GraphStore();
  const at = (version: bigint, u: GraphUpdateT): GraphUpdateT => Object.assign(u, { version });
  g.beginLoad();
  g.apply(at(5n, addEdge(1n, 1, 2))); // in the first page already (read at version 6)
  g.apply(at(7n, new GraphUpdateT(GraphOp.RemoveEdge, new RemoveEdgeT(2n)))); // after the first page
  g.addEdge('1', { source: 1, target: 2 });
  g.addEdge('2', { source: 2, target: 3 });
  t.is(g.edges.size, 2, 'nothing applies while the list loads');
  t.true(g.endLoad(6));
  t.deepEqual([...g.edges.keys()], ['1']);
  t.is(g.graphVersion, 7);
  g.apply(at(7n, addEdge(2n, 2, 3)));
  t.deepEqual([...g.edges.keys()], ['1'], 'a change at or below the version held is old news');
  g.apply(at(8n, addEdge(3n, 3, 1)));
  t.deepEqual([...g.edges.keys()], ['1', '3']);
});

test('shortest paths: ramp buckets by distance, the source and the path stand out, unreachable is grey', (t) => {
  const s = new SsspState();
  s.pickSource(1);
  t.is(s.bucketOf(1), undefined, 'no colouring before the result');
  s.accept(new SsspResultT(1, [1, 2, 3, 4], [0, 1, 2, 8], [1, 1, 2, 3]));
  t.is(s.bucketOf(1), BUCKET.source);
  t.is(s.bucketOf(2), BUCKET.ramp + 1);
  t.is(s.bucketOf(4), BUCKET.ramp + RAMP_STEPS - 1);
  t.is(s.bucketOf(99), BUCKET.unreachable);
  t.true(s.pickTarget(3));
  t.deepEqual([...s.path].sort(), [1, 2, 3]);
  t.is(s.bucketOf(2), BUCKET.path);
  t.false(s.pickTarget(99));
  s.accept(new SsspResultT(7, [7], [0], [7]));
  t.is(s.bucketOf(1), BUCKET.source, 'a result for another source is ignored');
  s.accept(new SsspResultT(1, [1, 2], [0, 1], [1, 1], false));
  t.is(s.bucketOf(4), BUCKET.ramp + RAMP_STEPS - 1, 'a result that stopped at its targets does not replace the whole tree');
});

test('shortest paths: the request carries the "ignore direction" choice; an answer to an earlier request is stale', (t) => {
  const s = new SsspState();
  t.is(s.request(), undefined, 'no source, nothing to ask');
  s.pickSource(1);
  t.deepEqual([s.request()?.source, s.request()?.undirected], [1, false]);
  s.sent(5);
  s.accept(new SsspResultT(1, [1, 2, 3], [0, 1, 2], [1, 1, 2]), 5);
  t.true(s.pickTarget(3));
  t.true(s.setIgnoreDirection(true), 'a source to ask again for');
  t.false(s.setIgnoreDirection(true), 'no change, nothing to ask');
  t.deepEqual([s.request()?.source, s.request()?.undirected], [1, true]);
  s.sent(6);
  t.is(s.distanceOf(3), 2, 'the shown distances stay until the new answer');
  s.accept(new SsspResultT(1, [1, 2, 3], [0, 1, 9], [1, 1, 2]), 5);
  t.is(s.distanceOf(3), 2, 'a late answer to the earlier reading is ignored');
  s.accept(new SsspResultT(1, [1, 3, 2], [0, 1, 2], [1, 1, 3]), 6);
  t.is(s.distanceOf(3), 1);
  t.deepEqual([...s.path].sort(), [1, 3], 'the path to the picked target follows the new answer');
  s.clear();
  t.false(s.setIgnoreDirection(false), 'no source: the choice is kept for the next one');
  t.false(s.ignoreDirection);
});

test('the position store interpolates towards each frame and asks for a keyframe after a gap', (t) => {
  const ids = [5, 6, 7, 8];
  const encoder = new PositionStreamEncoder();
  const store = new PositionStore();
  store.setIdTable(new PositionIdTableT(1, ids, [0, 1, 0, 1]));
  // Node 5 moves, the others stay: the frames after the keyframe are deltas (had every node
  // moved, the encoder would send keyframes, which need no earlier frame).
  const at = (x: number) => Float32Array.from([x, 0, 0, -40, 0, 0, 40, 1, 1, 0, 2, 2]);
  const key = encoder.encode({ epoch: 1, positions: at(0) })!;
  t.is(store.accept(key, 0), undefined);
  store.interpolate(0);
  const start = at(0);
  t.true(
    [...store.display].every((v, i) => Math.abs(v - start[i]!) < 0.01),
    `the keyframe: ${[...store.display].join(', ')}`,
  );
  const next = encoder.encode({ epoch: 1, positions: at(10) })!;
  t.is(store.accept(next, 100), undefined);
  store.interpolate(100 + store.meanIntervalMs / 2);
  t.true(Math.abs(store.display[0]! - 5) < 0.5, `half way: ${store.display[0]}`);
  store.interpolate(100 + store.meanIntervalMs);
  t.true(Math.abs(store.display[0]! - 10) < 0.1);
  encoder.encode({ epoch: 1, positions: at(20) }); // lost on the way
  const after = encoder.encode({ epoch: 1, positions: at(30) })!;
  const ask = store.accept(after, 200);
  t.truthy(ask, 'a keyframe is requested');
  t.is(ask?.epoch, 1);
  store.overrides.set(6, [1, 2, 3]);
  store.interpolate(1000);
  t.deepEqual(store.positionOf(6), [1, 2, 3]);
});

test('render mode: meshes up to the threshold, point sprites past it; the setting forces either; ?pointsAbove= lowers it', (t) => {
  t.is(chooseRenderMode('auto', POINTS_THRESHOLD, POINTS_THRESHOLD), 'mesh');
  t.is(chooseRenderMode('auto', POINTS_THRESHOLD + 1, POINTS_THRESHOLD), 'points');
  t.is(chooseRenderMode('mesh', 1_000_000, POINTS_THRESHOLD), 'mesh');
  t.is(chooseRenderMode('points', 3, POINTS_THRESHOLD), 'points');
  t.is(chooseRenderMode('something else', 3, 2), 'points', 'an unknown setting behaves as auto');
  t.is(thresholdFromQuery('?token=x&pointsAbove=10'), 10);
  t.is(thresholdFromQuery('?pointsAbove=0'), 0);
  for (const bad of [
    '',
    '?pointsAbove=',
    '?pointsAbove=-5',
    '?pointsAbove=1e9',
    '?pointsAbove=abc',
    '?pointsAbove=9999999999',
    '?pointsAbove=999999999',
  ]) {
    t.is(thresholdFromQuery(bad), POINTS_THRESHOLD, bad);
  }
  // A software rasteriser gets sprites much sooner; the URL still has the last word.
  t.is(defaultThreshold('Google SwiftShader'), SOFTWARE_POINTS_THRESHOLD);
  t.is(defaultThreshold('llvmpipe (LLVM 15.0.6, 256 bits)'), SOFTWARE_POINTS_THRESHOLD);
  t.is(defaultThreshold('NVIDIA H100 80GB HBM3/PCIe/SSE2'), POINTS_THRESHOLD);
  t.is(defaultThreshold(undefined), POINTS_THRESHOLD);
  t.is(thresholdFromQuery('', defaultThreshold('SwiftShader')), SOFTWARE_POINTS_THRESHOLD);
  t.is(thresholdFromQuery('?pointsAbove=50000', defaultThreshold('SwiftShader')), 50_000);
});

test('agent status: from metadata, then from agent events for the registered node; long text is cut; unknown agents are ignored', (t) => {
  const a = new AgentStatus();
  t.is(a.describe(7), 'status unknown · no current task');
  a.fromMetadata(7, { status: 'idle', task: '  plan\n the   week ', progress: '0.25' });
  t.is(a.describe(7), 'idle · plan the week (25%)');
  t.false(a.accept(Payload.TaskAssigned, new TaskAssignedT('t1', 'ghost', null, 'x')), 'an agent never registered');
  t.true(a.accept(Payload.AgentRegister, new AgentRegisterT('agent-a', 'coder', 'A', [], 7)));
  t.is(a.get(7)?.status, 'registered');
  a.accept(Payload.AgentHeartbeat, new AgentHeartbeatT('agent-a', 5, 0n, 0, 0.9));
  t.is(a.get(7)?.status, 'healthy');
  a.accept(Payload.TaskAssigned, new TaskAssignedT('t1', 'agent-a', null, 'x'.repeat(500)));
  t.is(a.get(7)?.status, 'working');
  t.is(a.get(7)?.task?.length, 160);
  a.accept(Payload.TaskProgress, new TaskProgressT('t1', 'agent-a', 0.5));
  t.regex(a.describe(7), /^working · x+… \(50%\)$/);
  a.accept(Payload.TaskCompleted, new TaskCompletedT('t1', 'agent-a', true));
  t.is(a.describe(7), 'idle · no current task');
  a.accept(Payload.AgentError, new AgentErrorT('agent-a', null, 'boom', false));
  t.is(a.get(7)?.status, 'error');
  a.fromMetadata(9, { agent_id: 'agent-b', status: 'idle' });
  a.accept(Payload.TaskAssigned, new TaskAssignedT('t2', 'agent-b', null, 'Review'));
  t.is(a.describe(9), 'working · Review', 'metadata may name the agent id');
});
