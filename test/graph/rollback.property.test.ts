// Rolling back a unit that did not commit, as a property: a shard applies units one after another
// (any ops, any stamps, on a few nodes and edges), some of them fail; rolling the failed ones back,
// newest first, leaves every register exactly as if only the committed ones had been applied, as
// long as no committed unit touched what a failed one did (the router makes such units depend on
// each other, so they fail together).
import test from 'ava';
import fc from 'fast-check';
import type { Hlc } from '../../src/crdt/hlc.ts';
import type { GraphOp } from '../../src/graph/commands.ts';
import { ShardState, type UndoEntry } from '../../src/graph/shard-state.ts';

const stamp = fc.record({
  wallMs: fc.integer({ min: 1, max: 6 }),
  logical: fc.integer({ min: 0, max: 2 }),
  node: fc.integer({ min: 0, max: 2 }),
});
const nodeId = fc.integer({ min: 0, max: 3 });
const edgeId = fc.bigInt({ min: 0n, max: 2n });
const op: fc.Arbitrary<GraphOp> = fc.oneof(
  nodeId.map((id): GraphOp => ({ op: 'add-node', node: { id, kind: 'knowledge', title: `n${id}`, metadata: [] } }) as GraphOp),
  fc.tuple(nodeId, fc.string({ maxLength: 3 })).map(([id, title]): GraphOp => ({ op: 'update-node', id, patch: { title } }) as GraphOp),
  nodeId.map((id): GraphOp => ({ op: 'move-node', id, position: { x: id, y: 1, z: 2 } }) as GraphOp),
  nodeId.map((id): GraphOp => ({ op: 'remove-node', id }) as GraphOp),
  fc
    .tuple(edgeId, nodeId, nodeId)
    .map(([id, source, target]): GraphOp => ({ op: 'add-edge', edge: { id, source, target, weight: 1 } }) as GraphOp),
  edgeId.map((id): GraphOp => ({ op: 'remove-edge', id }) as GraphOp),
  fc.tuple(edgeId, fc.integer({ min: 1, max: 3 })).map(([id, weight]): GraphOp => ({ op: 'set-edge-weight', id, weight }) as GraphOp),
);
const unit = fc.record({ ops: fc.array(fc.tuple(op, stamp), { minLength: 1, maxLength: 3 }), fails: fc.boolean() });

/** The keys a unit's ops write (nodes and edges). */
function keysOf(ops: readonly (readonly [GraphOp, Hlc])[]): Set<string> {
  return new Set(
    ops.map(([o]) =>
      'node' in o
        ? `n${o.node.id}`
        : 'edge' in o
          ? `e${o.edge.id}`
          : o.op.includes('edge')
            ? `e${(o as { id: bigint }).id}`
            : `n${(o as { id: number }).id}`,
    ),
  );
}

function registers(s: ShardState): string {
  const out: string[] = [];
  for (const [k, r] of s.nodes.entries()) out.push(`n${k}:${JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  for (const [k, r] of s.edges.entries()) out.push(`e${k}:${JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  return out.sort().join('\n');
}

test('rolling back the failed units leaves exactly what the committed ones made', (t) => {
  fc.assert(
    fc.property(fc.array(unit, { maxLength: 8 }), (units) => {
      // A unit that touches what a failed one touched fails with it (the router's dependencies).
      const failedKeys = new Set<string>();
      const plan = units.map((u) => {
        const keys = keysOf(u.ops);
        const fails = u.fails || [...keys].some((k) => failedKeys.has(k));
        if (fails) for (const k of keys) failedKeys.add(k);
        return { ...u, fails };
      });
      const live = new ShardState();
      const undos: { undo: UndoEntry[]; fails: boolean }[] = [];
      for (const u of plan) {
        const undo: UndoEntry[] = [];
        for (const [o, s] of u.ops) live.decide(o, s, undo);
        undos.push({ undo, fails: u.fails });
      }
      for (let i = undos.length - 1; i >= 0; i--) if (undos[i]!.fails) live.rollback(undos[i]!.undo);
      const committedOnly = new ShardState();
      for (const u of plan) if (!u.fails) for (const [o, s] of u.ops) committedOnly.decide(o, s);
      t.is(registers(live), registers(committedOnly));
    }),
    { numRuns: 400 },
  );
});
