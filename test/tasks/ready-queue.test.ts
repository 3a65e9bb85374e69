// The ready queue against a plain sorted list: whatever adds and removals it gets, the best task
// for a set of capabilities is the one the list puts first (priority desc, then oldest, then first
// queued), and it stays compact.
import test from 'ava';
import fc from 'fast-check';
import { ReadyQueue, type ReadyTask } from '../../src/tasks/ready-queue.ts';

type Op = { add: true; n: number; swarm: string; capability: string; priority: number; createdMs: number } | { add: false; n: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    add: fc.constant(true as const),
    n: fc.nat(30),
    swarm: fc.constantFrom('s1', 's2'),
    capability: fc.constantFrom('a', 'b', 'c'),
    priority: fc.integer({ min: 0, max: 3 }),
    createdMs: fc.integer({ min: 0, max: 5 }),
  }),
  fc.record({ add: fc.constant(false as const), n: fc.nat(30) }),
);

test('best() agrees with a sorted reference under random adds and removals', (t) => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), fc.subarray(['a', 'b', 'c'], { minLength: 1 }), (ops, caps) => {
      const q = new ReadyQueue();
      const model = new Map<string, ReadyTask & { seq: number }>();
      let seq = 0;
      for (const o of ops) {
        const id = `t${o.n}`;
        if (o.add) {
          const task = { id, swarm: o.swarm, capability: o.capability, priority: o.priority, createdMs: o.createdMs };
          q.add(task);
          model.set(id, { ...task, seq: seq++ });
        } else {
          q.remove(id);
          model.delete(id);
        }
        for (const swarm of ['s1', 's2']) {
          const expected = [...model.values()]
            .filter((m) => m.swarm === swarm && caps.includes(m.capability))
            .sort((x, y) => y.priority - x.priority || x.createdMs - y.createdMs || x.seq - y.seq)[0]?.id;
          if (q.best(swarm, caps) !== expected) return false;
        }
        if (q.size !== model.size) return false;
      }
      return true;
    }),
    { numRuns: 200, seed: 7 },
  );
  t.pass();
});

test('capabilities and swarms with queued work', (t) => {
  const q = new ReadyQueue();
  q.add({ id: 'x', swarm: 's', capability: 'link', priority: 0, createdMs: 0 });
  q.add({ id: 'y', swarm: 's', capability: 'echo', priority: 0, createdMs: 0 });
  t.deepEqual(q.capabilities('s').sort(), ['echo', 'link']);
  q.remove('y');
  t.deepEqual(q.capabilities('s'), ['link']);
  t.deepEqual(q.swarms(), ['s']);
  q.remove('x');
  t.deepEqual(q.swarms(), []);
  t.is(q.best('s', ['link']), undefined);
});
