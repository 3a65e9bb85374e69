// Numbered topology changes: the hub numbers what it sends, a reset carries the number it includes,
// and a subscriber tells the next change from a late redelivery and from a lost one.
import test from 'ava';
import { ChangeSequence } from '../../src/graph/change-sequence.ts';
import { TopologyHub } from '../../src/graph/topology-hub.ts';
import type { TopologyChange } from '../../src/graph/topology.ts';
import type { Ref } from '../../src/runtime/ref.ts';

const added = (seq: number | undefined, id = seq ?? 0): TopologyChange =>
  seq === undefined
    ? { type: 'nodes-added', version: 1, nodes: [{ id, kind: 'task' }] }
    : { type: 'nodes-added', version: 1, seq, nodes: [{ id, kind: 'task' }] };
const reset = (seq: number | undefined): TopologyChange =>
  seq === undefined ? { type: 'reset', version: 1, nodes: [], edges: [] } : { type: 'reset', version: 1, seq, nodes: [], edges: [] };

test('a sequence applies the next change, skips what the copy holds, and reports a gap once', (t) => {
  const s = new ChangeSequence();
  t.is(s.accept(reset(5)), 'apply');
  t.is(s.accept(added(6)), 'apply');
  t.is(s.accept(added(6)), 'skip', 'a late redelivery');
  t.is(s.accept(added(3)), 'skip', 'older than the reset');
  t.is(s.accept(added(7)), 'apply');
  t.is(s.accept(added(9)), 'gap', '8 went missing');
  t.true(s.waiting);
  t.is(s.accept(added(10)), 'skip', 'nothing applies until the reset');
  t.is(s.gaps, 1);
  t.is(s.accept(reset(10)), 'apply');
  t.false(s.waiting);
  t.is(s.accept(added(11)), 'apply');
  s.lost();
  t.is(s.accept(added(12)), 'skip', 'a copy that went wrong waits for a reset too');
  t.is(s.accept(reset(12)), 'apply');
});

test('unnumbered changes (a publisher that does not number) always apply', (t) => {
  const s = new ChangeSequence();
  t.is(s.accept(added(undefined)), 'apply');
  t.is(s.accept(reset(undefined)), 'apply');
  t.is(s.accept(added(40)), 'apply');
  t.is(s.accept(added(undefined)), 'apply');
});

test('the topology hub numbers every change it sends, and a reset carries the last number it includes', (t) => {
  const hub = new TopologyHub();
  const seen: TopologyChange[] = [];
  const ref: Ref<TopologyChange> = { path: '/test/sub', tell: (c) => void seen.push(c) };
  const stamp = { wallMs: 1, logical: 0, node: 1 };
  hub.publish([{ type: 'node-added', stamp, node: { id: 1, kind: 'task', metadata: [] } }]);
  hub.subscribe(ref);
  hub.publish([
    { type: 'node-added', stamp, node: { id: 2, kind: 'task', metadata: [] } },
    { type: 'edge-created', stamp, edge: { id: 1n, source: 1, target: 2, weight: 1, metadata: [] } },
  ]);
  hub.publish([{ type: 'node-moved', stamp, id: 2, position: { x: 1, y: 1, z: 1 } }]);
  t.deepEqual(
    seen.map((c) => [c.type, c.seq]),
    [
      ['reset', 1],
      ['nodes-added', 2],
      ['edges-added', 3],
      ['nodes-moved', 4],
    ],
  );
  const s = new ChangeSequence();
  t.deepEqual(
    seen.map((c) => s.accept(c)),
    ['apply', 'apply', 'apply', 'apply'],
  );
});
