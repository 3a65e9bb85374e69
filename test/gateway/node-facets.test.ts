// The facets the per-client filters read (node-facets.ts): types, degrees, blocks folded into their
// page; the filter that selects by them (filter.ts) and the id table that carries them
// (stream-group.ts).
import test from 'ava';
import { FacetTracker } from '../../src/gateway/node-facets.ts';
import { filterFromWire, filterKey, foldedInto, isIdentity, selectIndices } from '../../src/gateway/filter.ts';
import { PositionFilterT } from '../../src/protocol/index.ts';
import type { TopologyChange } from '../../src/graph/topology.ts';

const node = (id: number, type?: string) => ({ id, kind: 'knowledge' as const, ...(type === undefined ? {} : { type }) });
const edge = (id: number, source: number, target: number) => ({ id: BigInt(id), source, target, weight: 1, directed: true });

/** Page 1 holds block 10 (which holds 11); page 2 holds 12; block 11 links page 2, block 12 links page 3; 4 is untyped and alone. */
const RESET: TopologyChange = {
  type: 'reset',
  version: 1,
  nodes: [node(1, 'page'), node(2, 'page'), node(3, 'journal'), node(4), node(10, 'block'), node(11, 'block'), node(12, 'block')],
  edges: [edge(1, 1, 10), edge(2, 10, 11), edge(3, 2, 12), edge(4, 11, 2), edge(5, 12, 3)],
};

/** A tracker that has been asked for degrees and folds, and has had the snapshot that brings the edges. */
function tracking(): FacetTracker {
  const tracker = new FacetTracker();
  tracker.apply(RESET);
  askForEdges(tracker);
  return tracker;
}

function askForEdges(tracker: FacetTracker): void {
  tracker.facets(-10_000).degreeOf(1, false);
  if (!tracker.wantsReset) throw new Error('the edges were not asked for');
  tracker.apply(RESET);
}

test('edges are kept only once a filter reads degrees or folds; until a fresh snapshot they count as none', (t) => {
  const tracker = new FacetTracker();
  tracker.apply(RESET);
  const first = tracker.facets(0);
  t.false(tracker.wantsReset, 'types alone need no edges');
  t.is(first.typeOf(10), 3);
  t.is(first.degreeOf(2, false), 0, 'no edges held yet');
  t.true(tracker.wantsReset);
  tracker.apply(RESET);
  t.false(tracker.wantsReset);
  t.is(tracker.facets(1_000).degreeOf(2, false), 2);
});

test('facets: types by code, edge-end degrees, and blocks folded into the page above them with folded degrees', (t) => {
  const tracker = tracking();
  const f = tracker.facets(0);
  t.deepEqual(f.typeNames, ['', 'page', 'journal', 'block']);
  t.deepEqual(
    [1, 3, 4, 11].map((id) => f.typeNames[f.typeOf(id)]),
    ['page', 'journal', '', 'block'],
  );
  t.deepEqual(
    [10, 11, 12, 1, 4].map((id) => f.foldsInto(id)),
    [1, 1, 2, undefined, undefined],
  );
  t.deepEqual(
    [1, 2, 3, 4].map((id) => f.degreeOf(id, false)),
    [1, 2, 1, 0],
  );
  t.deepEqual(
    [1, 2, 3, 4].map((id) => f.degreeOf(id, true)),
    [1, 2, 1, 0],
    'folded: 1-2 and 2-3',
  );
  tracker.apply({ type: 'edges-added', version: 2, edges: [edge(6, 10, 3)] });
  t.true(tracker.stale);
  t.is(tracker.facets(100).version, f.version, 'not due yet: the last pass stands');
  const later = tracker.facets(1_000);
  t.is(later.version, f.version + 1);
  t.is(later.degreeOf(1, true), 2, 'Alpha now reaches the journal through its block');
});

const snapshot = (facets: ReturnType<FacetTracker['facets']>) => {
  const ids = Uint32Array.from([1, 2, 3, 4, 10, 11, 12]);
  return { epoch: 1, ids, kinds: new Uint8Array(ids.length), positions: new Float32Array(3 * ids.length), facets };
};

test('filters select by type, fold and degree; the id table lists what folds where', (t) => {
  const tracker = tracking();
  const snap = snapshot(tracker.facets(0));
  const parse = (wire: PositionFilterT) => {
    const r = filterFromWire(wire);
    if (!r.ok) throw new Error(r.error);
    return r.filter;
  };
  const fold = parse(new PositionFilterT([], 0, null, null, [], true));
  t.false(isIdentity(fold));
  const kept = selectIndices(fold, snap)!;
  t.deepEqual(
    [...kept].map((i) => snap.ids[i]),
    [1, 2, 3, 4],
  );
  const [folded, into] = foldedInto(fold, snap, Uint32Array.from([1, 2, 3, 4]));
  t.deepEqual([...folded], [10, 11, 12]);
  t.deepEqual([...into], [1, 1, 2]);
  const pages = parse(new PositionFilterT([], 0, null, null, ['page', ''], true, 1));
  t.deepEqual(
    [...selectIndices(pages, snap)!].map((i) => snap.ids[i]),
    [1, 2],
    'pages and untyped nodes with a link',
  );
  const range = parse(new PositionFilterT([], 0, null, null, [], true, 2, 2));
  t.deepEqual(
    [...selectIndices(range, snap)!].map((i) => snap.ids[i]),
    [2],
  );
  t.not(filterKey(fold), filterKey(pages));
  const refused = filterFromWire(new PositionFilterT([], 0, null, null, [], false, 3, 2));
  t.false(refused.ok);
  t.false(filterFromWire(new PositionFilterT([], 0, null, null, ['x'.repeat(300)])).ok);
});
