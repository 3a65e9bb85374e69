// kill -9 of the NODE mid-pipeline, with real processes: a node process (test/fixtures/node-process.ts)
// with tasks queued, leased and running on three SDK agent processes, killed and started again on
// the same store and port, on PGlite and on PostgreSQL. The agents reconnect to the URL they were
// given and register again. Afterwards no task the node accepted (answered 201) is lost, each is
// done once in the store, and the agents sent exactly one completion for each that the node did not
// refuse: the one the store records.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { throwawayDatabase } from '../fixtures/graph-store.ts';
import { pollUntil } from '../helpers/poll.ts';
import { allFinal, freePort, startAgent, startNode, submitTask, type NodeArgs, type Proc, type TaskJson } from './support/processes.ts';

/** Per task, each completion an agent sent and the node did not refuse, as `agent#attempt`. */
function acceptedCompletions(agents: readonly Proc[]): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const agent of agents) {
    const refused = new Set(
      agent.lines.filter((l) => l.event === 'task-ended' && l.outcome === 'refused').map((l) => `${String(l.taskId)}#${String(l.attempt)}`),
    );
    for (const l of agent.lines) {
      if (l.event !== 'task-ended' || l.outcome !== 'completed') continue;
      const key = `${String(l.taskId)}#${String(l.attempt)}`;
      if (refused.has(key)) continue;
      by.set(String(l.taskId), [...(by.get(String(l.taskId)) ?? []), `${agent.label}#${String(l.attempt)}`]);
    }
  }
  return by;
}

async function submitMany(t: ExecutionContext, port: number, prefix: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const task = await submitTask(t, port, { description: `${prefix} ${i}`, capability: 'echo', input: { prefix, i }, deadlineMs: 60_000 });
    if (task !== undefined) ids.push(task.id);
  }
  return ids;
}

async function nodeKillRun(t: ExecutionContext, store: Omit<NodeArgs, 'name' | 'port'>, name: string): Promise<void> {
  const port = await freePort();
  const args: NodeArgs = { name, port, ...store };
  const first = await startNode(t, args, `${name}-1`);
  // Two quick agents and a slow one, whose tasks outlast the node's restart: they must resume.
  const agents = await Promise.all(
    [
      ['k-1', 1_500],
      ['k-2', 1_500],
      ['k-slow', 15_000],
    ].map(([id, workMs]) => startAgent(t, port, String(id), { workMs: Number(workMs), maxConcurrent: 2 })),
  );
  const slow = agents[2]!;

  // 24 tasks for 6 slots: some done, some running, most queued when the node dies.
  const before = await submitMany(t, port, 'before', 24);
  t.is(before.length, 24);
  await pollUntil(() => agents.flatMap((a) => a.lines).filter((l) => l.event === 'task-ended' && l.outcome === 'completed').length >= 3, {
    limitMs: 90_000,
    everyMs: 20,
    what: 'three tasks completed before the kill',
  });
  await pollUntil(() => slow.lines.some((l) => l.event === 'work'), { limitMs: 30_000, everyMs: 10, what: 'the slow agent working' });
  await first.kill9();
  const marks = agents.map((a) => a.lines.length);

  await startNode(t, args, `${name}-2`);
  // Every agent registers again with the node that came back.
  const again = await Promise.all(agents.map((a, i) => a.waitFor((l) => l.event === 'registered', 're-registered', 120_000, marks[i])));
  // The restarted node hands each agent back the attempts it held: the running ones go on.
  const resumed = again.flatMap((l) => l.resumed as string[]);
  t.true(resumed.length >= 1, `resumed after the restart: ${JSON.stringify(again)}`);
  const after = await submitMany(t, port, 'after', 6);
  t.is(after.length, 6);

  const ids = [...before, ...after];
  const final: Map<string, TaskJson> = await allFinal(port, ids, 240_000);
  const sent = acceptedCompletions(agents);
  let lost = 0;
  let twice = 0;
  for (const id of ids) {
    const task = final.get(id);
    if (task?.state !== 'done') lost++;
    const completions = sent.get(id) ?? [];
    if (completions.length > 1) twice++;
    t.is(task?.state, 'done', `${id}: ${JSON.stringify(task)}`);
    t.deepEqual(completions, [`${task?.agentId}#${task?.attempts}`], `${id}: the completions sent and not refused`);
  }
  t.log(
    `tasks lost: ${lost}, done twice: ${twice}; resumed: ${resumed.length}; attempts > 1: ${ids.filter((id) => final.get(id)!.attempts > 1).length}`,
  );
}

test.serial('PGlite: kill -9 the node mid-pipeline; after the restart every accepted task is done once', async (t) => {
  t.timeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'vf-node-kill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await nodeKillRun(t, { dataDir: join(dir, 'pglite') }, 'kill-pglite');
});

test.serial('PostgreSQL: kill -9 the node mid-pipeline; after the restart every accepted task is done once', async (t) => {
  t.timeout(600_000);
  const databaseUrl = await throwawayDatabase((fn) => t.teardown(fn), 'vf_e2e_kill');
  await nodeKillRun(t, { databaseUrl }, 'kill-pg');
});
