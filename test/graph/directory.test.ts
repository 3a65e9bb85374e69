// The router's directory as an edge list: pages in the order edges were added, removals closing
// the gaps, out-of-range offsets and limits giving empty pages.
import test from 'ava';
import { Directory } from '../../src/graph/directory.ts';

test('edgePage lists live edges in insertion order, page by page', (t) => {
  const dir = new Directory();
  const undo: (() => void)[] = [];
  for (const id of [1, 2, 3, 4]) dir.addNode(id, undo);
  dir.addEdge(10n, { source: 1, target: 2 }, undo);
  dir.addEdge(11n, { source: 2, target: 3 }, undo);
  dir.addEdge(12n, { source: 3, target: 4 }, undo);
  t.deepEqual(dir.edgePage(0, 2), [
    { id: 10n, source: 1, target: 2 },
    { id: 11n, source: 2, target: 3 },
  ]);
  t.deepEqual(dir.edgePage(2, 2), [{ id: 12n, source: 3, target: 4 }]);
  t.deepEqual(dir.edgePage(3, 2), []);
  t.deepEqual(dir.edgePage(0, 0), []);
  dir.removeEdge(11n, undo);
  t.deepEqual(dir.edgePage(0, 10).map((e) => e.id), [10n, 12n]);
});
