// The router's directory as an edge list: pages in the order edges were added, each edge with its
// direction, removals closing the gaps, out-of-range offsets and limits giving empty pages; an
// upsert (only) turns an edge around in place, and its undo turns it back.
import test from 'ava';
import { Directory } from '../../src/graph/directory.ts';

test('edgePage lists live edges in insertion order, page by page', (t) => {
  const dir = new Directory();
  const undo: (() => void)[] = [];
  for (const id of [1, 2, 3, 4]) dir.addNode(id, undo);
  dir.addEdge(10n, { source: 1, target: 2 }, undo);
  dir.addEdge(11n, { source: 2, target: 3, directed: true }, undo);
  dir.addEdge(12n, { source: 3, target: 4 }, undo);
  t.deepEqual(dir.edgePage(0, 2), [
    { id: 10n, source: 1, target: 2, directed: false },
    { id: 11n, source: 2, target: 3, directed: true },
  ]);
  t.deepEqual(dir.edgePage(2, 2), [{ id: 12n, source: 3, target: 4, directed: false }]);
  t.deepEqual(dir.edgePage(3, 2), []);
  t.deepEqual(dir.edgePage(0, 0), []);
  dir.removeEdge(11n, undo);
  t.deepEqual(
    dir.edgePage(0, 10).map((e) => e.id),
    [10n, 12n],
  );
});

test('nodePage lists live node ids in insertion order, page by page, removals closing the gaps', (t) => {
  const dir = new Directory();
  const undo: (() => void)[] = [];
  for (const id of [5, 1, 9, 3]) dir.addNode(id, undo);
  t.deepEqual(dir.nodePage(0, 2), [5, 1]);
  t.deepEqual(dir.nodePage(2, 5), [9, 3]);
  t.deepEqual(dir.nodePage(4, 5), []);
  t.deepEqual(dir.nodePage(0, 0), []);
  dir.removeNode(1, undo);
  t.deepEqual(dir.nodePage(0, 10), [5, 9, 3]);
});

test('an upsert turns an edge around in place; a plain add leaves it; undo restores it', (t) => {
  const dir = new Directory();
  const undo: (() => void)[] = [];
  for (const id of [1, 2, 3]) dir.addNode(id, undo);
  dir.addEdge(10n, { source: 1, target: 2 }, undo);
  dir.addEdge(11n, { source: 2, target: 3 }, undo);
  dir.addEdge(10n, { source: 1, target: 2, directed: true }, undo);
  t.false(dir.edgePage(0, 1)[0]!.directed, 'a plain add of a different value is refused by the shard: nothing changes');
  const turn: (() => void)[] = [];
  dir.addEdge(10n, { source: 1, target: 2, directed: true }, turn, true);
  t.deepEqual(dir.edgePage(0, 10), [
    { id: 10n, source: 1, target: 2, directed: true },
    { id: 11n, source: 2, target: 3, directed: false },
  ]);
  for (let i = turn.length - 1; i >= 0; i--) turn[i]!();
  t.false(dir.edgePage(0, 1)[0]!.directed);
});
