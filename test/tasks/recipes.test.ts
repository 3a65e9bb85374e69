// The declared recipes and the aggregation rule, as pure functions.
import test from 'ava';
import { aggregateSubtasks } from '../../src/tasks/aggregate.ts';
import { queuedRecord } from '../../src/tasks/new-task.ts';
import { decompose, MAX_SUBTASKS, parseAgentPlan, RECIPES } from '../../src/tasks/recipes.ts';
import type { TaskRecord } from '../../src/tasks/task.ts';

const parent = (recipe: string, input = ''): TaskRecord =>
  queuedRecord(
    { description: 'p', recipe, input, priority: 4, swarm: 'blue' },
    { swarm: 'default', deadlineMs: 1_000, maxAttempts: 2 },
    { id: 't-p', parentId: undefined, submittedBy: 'alice', now: 1, capability: '' },
  );
const pages = Array.from({ length: 41 }, (_, i) => ({ id: i * 2, title: `p${i}` }));

test('the bundled recipes are declared with their capabilities', (t) => {
  t.deepEqual(
    [...RECIPES.values()].map((r) => [r.name, r.kind, r.capability]),
    [
      ['link-pages', 'page-batches', 'link'],
      ['summarise-pages', 'page-batches', 'summarise'],
      ['curate', 'pass-through', 'curate'],
      ['plan-with-agent', 'agent-plans', 'plan'],
    ],
  );
});

test("page recipes: every page once, in batches (default 20), the parent's swarm and priority inherited", (t) => {
  const r = decompose(parent('link-pages'), pages);
  if (!r.ok) return t.fail(r.message);
  t.deepEqual(
    r.value.map((s) => (JSON.parse(s.input!) as { pages: number[] }).pages.length),
    [20, 20, 1],
  );
  t.deepEqual(
    r.value.flatMap((s) => (JSON.parse(s.input!) as { pages: number[] }).pages),
    pages.map((p) => p.id),
  );
  t.true(r.value.every((s) => s.capability === 'link' && s.swarm === 'blue' && s.priority === 4 && s.maxAttempts === 2));
  const chosen = decompose(parent('summarise-pages', '{"pages":[5,5,6,7],"batch":2}'), pages);
  t.deepEqual(chosen.ok && chosen.value.map((s) => s.input), ['{"pages":[5,6]}', '{"pages":[7]}']);
  for (const input of ['nope', '{"batch":0}', '{"pages":["x"]}', '{"other":1}', '{"pages":[1,2,3],"batch":0}'])
    t.false(decompose(parent('link-pages', input), pages).ok, input);
  const huge = decompose(
    parent('link-pages', JSON.stringify({ batch: 1 })),
    Array.from({ length: MAX_SUBTASKS + 1 }, (_, id) => ({ id, title: '' })),
  );
  t.false(huge.ok);
});

test("curate passes the input through; plan-with-agent is not the planner's", (t) => {
  const r = decompose(parent('curate', '{"x":1}'));
  t.deepEqual(r.ok && r.value.map((s) => [s.capability, s.input]), [['curate', '{"x":1}']]);
  t.false(decompose(parent('plan-with-agent')).ok);
});

test("an agent's plan: a JSON array of checked NewTasks naming capabilities", (t) => {
  t.deepEqual(parseAgentPlan('[{"description":"a","capability":"echo"}]'), { ok: true, value: [{ description: 'a', capability: 'echo' }] });
  const why = (s: string): string => {
    const r = parseAgentPlan(s);
    return r.ok ? 'ok' : r.message;
  };
  t.regex(why('{'), /not JSON/);
  t.regex(why('{"description":"a"}'), /not a JSON array/);
  t.regex(why('[{"description":"a","recipe":"curate"}]'), /names a capability and no recipe/);
  t.regex(why('[{"description":"a","capability":"echo","priority":300}]'), /subtask 0: priority/);
});

test('aggregation: done when every subtask is done, failed otherwise with the reasons; bounded', (t) => {
  const sub = (id: string, state: TaskRecord['state'], result?: string, errors: string[] = []): TaskRecord => ({
    ...parent('curate'),
    id,
    state,
    result,
    errors,
  });
  const good = aggregateSubtasks([sub('a', 'done', 'A'), sub('b', 'done', 'B')]);
  t.true(good.success);
  t.deepEqual(JSON.parse(good.result), {
    subtasks: [
      { id: 'a', state: 'done', result: 'A' },
      { id: 'b', state: 'done', result: 'B' },
    ],
    done: 2,
    failed: 0,
  });
  const bad = aggregateSubtasks([sub('a', 'done', 'A'), sub('b', 'failed', undefined, ['x', 'why']), sub('c', 'cancelled')]);
  t.false(bad.success);
  const parsed = JSON.parse(bad.result) as { subtasks: { reason?: string }[]; done: number; failed: number };
  t.deepEqual([parsed.done, parsed.failed, parsed.subtasks[1]!.reason], [1, 2, 'why']);
  const big = aggregateSubtasks(Array.from({ length: 4 }, (_, i) => sub(`s${i}`, 'done', 'r'.repeat(600_000))));
  t.true(big.success);
  t.true(Buffer.byteLength(big.result) <= 1_048_576);
  t.is((JSON.parse(big.result) as { done: number }).done, 4);
});
