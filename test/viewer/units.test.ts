// The viewer's pure parts, without a browser: reconnect backoff, the graph store, shortest-path
// colouring and paths, and the position store's interpolation and keyframe requests.
import test from 'ava';
import { GraphBatchT, GraphOp, GraphUpdateT, PositionIdTableT, PositionStreamEncoder, RemoveNodeT, SsspResultT } from '../../src/protocol/index.ts';
import { backoffDelay, RECONNECT_BACKOFF } from '../../viewer/src/backoff.ts';
import { BUCKET, RAMP_STEPS } from '../../viewer/src/colours.ts';
import { GraphStore } from '../../viewer/src/graph-store.ts';
import { PositionStore } from '../../viewer/src/position-store.ts';
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
});

test('the position store interpolates towards each frame and asks for a keyframe after a gap', (t) => {
  const ids = [5, 6];
  const encoder = new PositionStreamEncoder();
  const store = new PositionStore();
  store.setIdTable(new PositionIdTableT(1, ids, [0, 1]));
  const at = (x: number) => Float32Array.from([x, 0, 0, 0 - x, 0, 0]);
  const key = encoder.encode({ epoch: 1, positions: at(0) })!;
  t.is(store.accept(key, 0), undefined);
  store.interpolate(0);
  t.deepEqual([...store.display], [...at(0)]);
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
