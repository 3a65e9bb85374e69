// Faults in the task queue and the planner of a running node process while recipe tasks flow, with
// real processes: link-pages over 30 pages in batches of 5 (6 subtasks a task), three SDK agents of
// capability `link` that do no work, and POST /api/faults throwing in and killing /app/agents/queue
// and /app/agents/planner between the submissions. Supervision restarts them; the queue reloads its
// open tasks from the store. Every task the node accepted ends done, every subtask done once in the
// store by a completion an agent sent, and every parent's result aggregates its subtasks. (A
// completion that reaches the queue in the message that crashes it is lost: its subtask is done
// again on a later attempt. The test counts those rather than failing on them.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { PLANNER_PATH, TASK_QUEUE_PATH } from '../../src/actors/task-messages.ts';
import { pollUntil } from '../helpers/poll.ts';
import {
  ADMIN,
  allFinal,
  completionsOf,
  freePort,
  http,
  listTasks,
  spawnProc,
  startAgent,
  NODE_SCRIPT,
  KEY,
  submitTask,
  type TaskJson,
} from './support/processes.ts';

const PAGES = 30;
const BATCH = 5;

test.serial('faults in the queue and the planner while link-pages tasks flow: every accepted task and subtask done once', async (t) => {
  t.timeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'vf-faults-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const node = spawnProc(t, 'faults-node', NODE_SCRIPT, {
    name: 'faults',
    port,
    dataDir: join(dir, 'pglite'),
    keyHex: KEY.toString('hex'),
    pages: PAGES,
    remote: { heartbeatMs: 200, downAfterMs: 3_000 },
    swarms: { heartbeatMs: 1_000, leaseTimeoutMs: 5_000, graphFlushMs: 50 },
  });
  await node.waitFor((l) => l.event === 'listening', 'listening', 120_000);
  const agents = await Promise.all(
    ['l-1', 'l-2', 'l-3'].map((id) => startAgent(t, port, id, { capabilities: ['link'], workMs: 0, maxConcurrent: 2 })),
  );

  const fault = async (body: Record<string, unknown>): Promise<void> => {
    const reply = await http(port, '/api/faults', ADMIN, 'POST', body);
    t.is(reply.status, 200, `${JSON.stringify(body)}: ${reply.body}`);
  };
  const accepted: string[] = [];
  const submit = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const task = await submitTask(t, port, { description: `link all ${accepted.length}`, recipe: 'link-pages', input: { batch: BATCH } });
      if (task !== undefined) accepted.push(task.id);
    }
  };

  await submit(2);
  await fault({ path: PLANNER_PATH, kind: 'throw', times: 2 });
  await submit(2);
  await fault({ path: TASK_QUEUE_PATH, kind: 'throw', times: 1 });
  await submit(2);
  await fault({ path: TASK_QUEUE_PATH, kind: 'kill' });
  await submit(2);
  await fault({ path: PLANNER_PATH, kind: 'kill' });
  await submit(2);
  t.true(accepted.length >= 5, `accepted ${accepted.length} of 10`);

  const parents = await allFinal(port, accepted, 300_000);
  const all = await pollUntil(async () => (await listTasks(port).catch(() => undefined)) ?? false, {
    limitMs: 60_000,
    everyMs: 250,
    what: 'the task list',
  });
  const byId = new Map(all.map((task) => [task.id, task]));
  const sent = completionsOf(agents);
  let subtasks = 0;
  let redone = 0;
  for (const id of accepted) {
    const parent: TaskJson = parents.get(id)!;
    t.is(parent.state, 'done', `${id}: ${JSON.stringify(parent)}`);
    t.is(parent.subtasks.length, PAGES / BATCH, `${id}: its subtasks`);
    const aggregate = JSON.parse(parent.result ?? '{}') as { subtasks?: { id: string; state: string }[] };
    t.deepEqual(aggregate.subtasks?.map((s) => s.id).sort(), [...parent.subtasks].sort(), `${id}: the result aggregates its subtasks`);
    for (const sub of parent.subtasks) {
      subtasks++;
      const task = byId.get(sub);
      t.is(task?.state, 'done', `${sub}: ${JSON.stringify(task)}`);
      // The store's one completion is one an agent sent. A completion the queue was handed as it
      // crashed is lost with the message that crashed it: that attempt ends at its deadline and
      // the subtask is done again on a later attempt, never twice in the store (counted, logged).
      const completions = sent.get(sub) ?? [];
      const final = `${task?.agentId}#${task?.attempts}`;
      t.is(
        completions.filter((c) => c === final).length,
        1,
        `${sub}: the completion the store records, sent once: ${completions.join(', ')}`,
      );
      const earlier = completions.filter((c) => c !== final);
      t.true(
        earlier.every((c) => Number(c.split('#')[1]) < (task?.attempts ?? 0)),
        `${sub}: other completions only for earlier attempts: ${completions.join(', ')}`,
      );
      redone += earlier.length;
    }
  }
  t.log(`${accepted.length} tasks, ${subtasks} subtasks; subtasks done again after a completion lost in a queue crash: ${redone}`);
});
