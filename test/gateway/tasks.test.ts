// Tasks over the WebSocket: TaskSubmit and TaskCancel answered by a TaskStatus or an ErrorReply
// with the request's seq, role checks, malformed requests, Topic.Tasks watchers (a detached one
// gets the latest state of each task), and a queue that is down or silent.
import test from 'ava';
import fc from 'fast-check';
import { TASK_QUEUE_PATH } from '../../src/actors/task-messages.ts';
import { ErrorCode, Payload, TaskCancelT, TaskSubmitT, Topic, encodeEnvelope, type HandshakeAcceptedT } from '../../src/protocol/index.ts';
import { startGateway } from './support.ts';
import { answerTo, answersTo, changes, startTaskGateway, WireTaskState } from './tasks-support.ts';

const submit = (description: string, capability: string | null = 'summarise', recipe: string | null = null) =>
  new TaskSubmitT(description, recipe, capability, null, null, 0, 0, 0);

test('an editor submits a task: a TaskStatus in state Queued with the request seq, the queue told who asked', async (t) => {
  const h = await startTaskGateway(t);
  const editor = await h.session('editor');
  const seq = editor.send(new TaskSubmitT('summarise page 7', null, 'summarise', '{"page":7}', 'docs', 9, 30_000, 2));
  const { status } = await answerTo(editor, seq);
  t.is(status?.state, WireTaskState.Queued);
  t.is(status?.taskId, 't-1');
  t.is(status?.swarm, 'docs');
  t.is(status?.capability, 'summarise');
  const asked = h.queue.received.find((m) => m.type === 'submit');
  t.like(asked, {
    type: 'submit',
    task: {
      description: 'summarise page 7',
      capability: 'summarise',
      input: '{"page":7}',
      swarm: 'docs',
      priority: 9,
      deadlineMs: 30_000,
      maxAttempts: 2,
    },
    by: { subject: 'user-editor', role: 'editor' },
  });
  t.is(h.queue.tasks.get('t-1')?.submittedBy, 'user-editor');
});

test('viewers and agents may not submit or cancel; an admin may submit', async (t) => {
  const h = await startTaskGateway(t);
  for (const role of ['viewer', 'agent'] as const) {
    const c = await h.session(role);
    const s1 = c.send(submit('x'));
    const s2 = c.send(new TaskCancelT('t-1', 0, null));
    t.is((await answerTo(c, s1)).error?.code, ErrorCode.Unauthorized);
    t.regex((await answerTo(c, s1)).error!.message, new RegExp(`role ${role} may not submit tasks`));
    t.is((await answerTo(c, s2)).error?.code, ErrorCode.Unauthorized);
  }
  t.false(h.queue.received.some((m) => m.type === 'submit' || m.type === 'cancel'));
  const admin = await h.session('admin');
  t.is((await answerTo(admin, admin.send(submit('by the admin')))).status?.state, WireTaskState.Queued);
});

test('cancel: an editor its own task, not another one; an admin any; unknown and final tasks are refused', async (t) => {
  const h = await startTaskGateway(t);
  const alice = await h.session('editor', { token: h.token('editor', 3600, 'alice') });
  const bob = await h.session('editor', { token: h.token('editor', 3600, 'bob') });
  const admin = await h.session('admin');
  const a1 = (await answerTo(alice, alice.send(submit('alice 1')))).id!;
  const a2 = (await answerTo(alice, alice.send(submit('alice 2')))).id!;

  const notYours = await answerTo(bob, bob.send(new TaskCancelT(a1, 0, 'mine now')));
  t.is(notYours.error?.code, ErrorCode.Unauthorized);
  t.regex(notYours.error!.message, /not yours/);

  const own = await answerTo(alice, alice.send(new TaskCancelT(a1, 0, 'changed my mind')));
  t.is(own.status?.state, WireTaskState.Cancelled);
  t.deepEqual(own.status?.errors, ['changed my mind']);
  t.like(
    h.queue.received.find((m) => m.type === 'cancel' && m.by.subject === 'alice'),
    { taskId: a1, reason: 'changed my mind', by: { role: 'editor' } },
  );

  t.is((await answerTo(admin, admin.send(new TaskCancelT(a2, 0, null)))).status?.state, WireTaskState.Cancelled);
  t.regex(String(h.queue.tasks.get(a2)?.errors.at(-1)), /cancelled by user-admin/);
  t.is((await answerTo(alice, alice.send(new TaskCancelT(a1, 0, null)))).error?.code, ErrorCode.Conflict);
  t.is((await answerTo(admin, admin.send(new TaskCancelT('t-404', 0, null)))).error?.code, ErrorCode.NotFound);
  t.is((await answerTo(admin, admin.send(new TaskCancelT('', 0, null)))).error?.code, ErrorCode.BadMessage);
});

test('malformed TaskSubmits are answered with BadMessage, naming the field; an unknown recipe is the queue refusal', async (t) => {
  const h = await startTaskGateway(t);
  const c = await h.session('editor');
  const cases: [TaskSubmitT, RegExp][] = [
    [submit(''), /description: must not be empty/],
    [submit('  \n\t '), /description: must not be empty/],
    [submit('no target', null, null), /recipe or a capability/],
    [new TaskSubmitT('x', null, 'summarise', null, '../etc', 0, 0, 0), /swarm: letters, digits/],
    [new TaskSubmitT('x', null, 'has space', null, null, 0, 0, 0), /capability: letters/],
    [new TaskSubmitT('x', 'r/../x', null, null, null, 0, 0, 0), /recipe: letters/],
  ];
  for (const [payload, message] of cases) {
    const answer = await answerTo(c, c.send(payload));
    t.is(answer.error?.code, ErrorCode.BadMessage);
    t.regex(answer.error!.message, message);
  }
  t.false(
    h.queue.received.some((m) => m.type === 'submit'),
    'none reached the queue',
  );
  const unknown = await answerTo(c, c.send(submit('plan it', null, 'no-such-recipe')));
  t.is(unknown.error?.code, ErrorCode.BadMessage);
  t.regex(unknown.error!.message, /unknown recipe "no-such-recipe"/);
  // Fields past the schema's own bounds fail the envelope's verification: 1007, as for any payload.
  const tooLong = await h.session('editor');
  tooLong.send(submit('x'.repeat(65_537)));
  const closed = await tooLong.waitClosed();
  t.is(closed.code, 1007);
  t.regex(closed.reason, /TOO_LONG/);
  // The other session goes on.
  t.is((await answerTo(c, c.send(submit('still here')))).status?.state, WireTaskState.Queued);
});

test('a watcher of Topic.Tasks gets every change of every task; Unsubscribe stops them', async (t) => {
  const h = await startTaskGateway(t);
  const viewer = await h.session('viewer');
  const editor = await h.session('editor');
  viewer.subscribe(Topic.Tasks);
  await viewer.waitFor(() => h.queue.watchers.size === 1);
  const id = (await answerTo(editor, editor.send(submit('watch me')))).id!;
  h.queue.update(id, { state: 'assigned', agentId: 'agent-1', attempts: 1 });
  h.queue.update(id, { state: 'running', progress: 0.5 });
  h.queue.update(id, { state: 'done', progress: 1, result: 'a summary' });
  await viewer.waitFor(() => changes(viewer).length === 4);
  t.deepEqual(
    changes(viewer).map((s) => [s.taskId, s.state, s.progress]),
    [
      [id, WireTaskState.Queued, 0],
      [id, WireTaskState.Assigned, 0],
      [id, WireTaskState.Running, 0.5],
      [id, WireTaskState.Done, 1],
    ],
  );
  t.is(changes(viewer)[3]!.result, 'a summary');
  t.is(changes(viewer)[1]!.agentId, 'agent-1');
  t.is(changes(editor).length, 0, 'the submitter did not subscribe');
  viewer.send(new (await import('../../src/protocol/index.ts')).UnsubscribeT(Topic.Tasks));
  await viewer.waitFor(() => h.queue.watchers.size === 0);
  h.queue.update(id, { description: 'after' });
  await h.advance(0);
  t.is(changes(viewer).length, 4);
});

test('a watcher whose socket dropped gets the latest state of each task when it resumes, not each state', async (t) => {
  const h = await startTaskGateway(t);
  const editor = await h.session('editor');
  const viewer = await h.session('viewer');
  viewer.subscribe(Topic.Tasks);
  await viewer.waitFor(() => h.queue.watchers.size === 1);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await answerTo(editor, editor.send(submit(`task ${i}`)))).id!);
  await viewer.waitFor(() => changes(viewer).length === 3);
  const lastSeen = Math.max(...viewer.envelopes.map((e) => Number(e.seq)));
  const sessionId = viewer.sessionId;
  viewer.ws.terminate();
  await viewer.waitClosed();
  await h.advance(0);
  for (let step = 1; step <= 10; step++) for (const id of ids) h.queue.update(id, { state: 'running', progress: step / 10 });
  h.queue.update(ids[1]!, { state: 'failed', errors: ['agent lost'] });
  await h.advance(0);
  const back = await h.session('viewer', { resume: sessionId, resumeFrom: lastSeen });
  t.is(Number((back.of(Payload.HandshakeAccepted)[0]!.payload as HandshakeAcceptedT).nextSeq), lastSeen + 1);
  await back.waitFor(() => changes(back).length === 3);
  await h.advance(0);
  t.deepEqual(
    changes(back).map((s) => [s.taskId, s.state, s.progress]),
    [
      [ids[0], WireTaskState.Running, 1],
      [ids[1], WireTaskState.Failed, 1],
      [ids[2], WireTaskState.Running, 1],
    ],
  );
  // Still watching on the new socket.
  h.queue.update(ids[0]!, { state: 'done' });
  await back.waitFor(() => changes(back).length === 4);
  t.is(changes(back)[3]!.state, WireTaskState.Done);
});

test('no queue running: submit and Subscribe{Tasks} are answered with Overloaded, and work once it runs', async (t) => {
  const h = await startTaskGateway(t, { withQueue: false });
  const c = await h.session('editor');
  const down = await answerTo(c, c.send(submit('x')));
  t.is(down.error?.code, ErrorCode.Overloaded);
  t.regex(down.error!.message, /task queue is not available/);
  const sub = await answerTo(c, c.subscribe(Topic.Tasks));
  t.is(sub.error?.code, ErrorCode.Overloaded);
  t.regex(sub.error!.message, /not running/);
  const { spawnAt, fakeQueueActor } = await import('./tasks-support.ts');
  spawnAt(h.system, TASK_QUEUE_PATH, fakeQueueActor(h.queue));
  await h.system.settled();
  t.is((await answerTo(c, c.send(submit('x')))).status?.state, WireTaskState.Queued);
});

test('a queue that does not answer in time: Overloaded, saying the task may still be queued', async (t) => {
  const h = await startTaskGateway(t, { timeoutMs: 2_000 });
  h.queue.silent = true;
  const c = await h.session('editor');
  const seq = c.send(submit('x'));
  await c.waitFor(() => h.queue.received.length === 1);
  await h.advance(2_001);
  const answer = await answerTo(c, seq);
  t.is(answer.error?.code, ErrorCode.Overloaded);
  t.regex(answer.error!.message, /did not answer the submit within 2000 ms; it may still take effect/);
});

test('a node without a task queue says so: Unsupported', async (t) => {
  const h = await startGateway(t);
  const c = await h.session('editor');
  const seq = c.send(submit('x'));
  const seq2 = c.subscribe(Topic.Tasks);
  await c.waitFor(() => answersTo(c, seq).length === 1 && answersTo(c, seq2).length === 1);
  t.is((answersTo(c, seq)[0]!.payload as { code: ErrorCode }).code, ErrorCode.Unsupported);
  t.is((answersTo(c, seq2)[0]!.payload as { code: ErrorCode }).code, ErrorCode.Unsupported);
});

test('TaskStatus is server-only: a client sending one is told so', async (t) => {
  const h = await startTaskGateway(t);
  const c = await h.session('admin');
  const { TaskStatusT } = await import('../../src/protocol/index.ts');
  const answer = await answerTo(c, c.send(new TaskStatusT('t-1')));
  t.is(answer.error?.code, ErrorCode.BadMessage);
});

test('property: any TaskSubmit within the schema bounds gets exactly one answer and never ends the session', async (t) => {
  const h = await startTaskGateway(t);
  const c = await h.session('editor');
  const text = (max: number) => fc.option(fc.string({ unit: 'binary', maxLength: max }), { nil: null });
  const name = (max: number) =>
    fc.option(fc.oneof(fc.constantFrom('link-pages', 'summarise', 'docs', ''), fc.string({ unit: 'binary', maxLength: max })), {
      nil: null,
    });
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        description: fc.string({ unit: 'binary', maxLength: 64 }),
        recipe: name(32),
        capability: name(32),
        input: text(64),
        swarm: name(16),
        priority: fc.integer({ min: 0, max: 255 }),
        deadlineMs: fc.integer({ min: 0, max: 0xffff_ffff }),
        maxAttempts: fc.integer({ min: 0, max: 100 }),
      }),
      async (f) => {
        const seq = c.send(
          new TaskSubmitT(f.description, f.recipe, f.capability, f.input, f.swarm, f.priority, f.deadlineMs, f.maxAttempts),
        );
        await answerTo(c, seq);
        await h.advance(0);
        return answersTo(c, seq).length === 1 && c.closed === undefined;
      },
    ),
    { numRuns: 150, seed: 23 },
  );
  t.is(c.closed, undefined);
  // Raw bytes that are no envelope at all still close only this socket, with 1007.
  c.ws.send(encodeEnvelope({ seq: 10_000, payload: submit('ok') }).subarray(0, 20));
  t.is((await c.waitClosed()).code, 1007);
});

test('a watcher that reads slowly loses intermediate states, never the latest of a task', async (t) => {
  const h = await startTaskGateway(t);
  const editor = await h.session('editor');
  const viewer = await h.session('viewer');
  viewer.subscribe(Topic.Tasks);
  await viewer.waitFor(() => h.queue.watchers.size === 1);
  const ids = [(await answerTo(editor, editor.send(submit('a')))).id!, (await answerTo(editor, editor.send(submit('b')))).id!];
  await viewer.waitFor(() => changes(viewer).length === 2);
  viewer.ws.pause();
  const result = 'r'.repeat(512 << 10);
  const rounds = 60;
  for (let round = 1; round <= rounds; round++) {
    for (const id of ids) h.queue.update(id, { state: 'running', progress: round / rounds, result: `${round}:${result}` });
    await h.advance(0);
  }
  viewer.ws.resume();
  const latest = () =>
    ids.map(
      (id) =>
        changes(viewer)
          .filter((s) => s.taskId === id)
          .at(-1)?.progress,
    );
  for (let i = 0; i < 400 && !latest().every((p) => p === 1); i++) await h.advance(50);
  t.deepEqual(latest(), [1, 1]);
  const sent = changes(viewer).length - 2;
  t.log(`${sent} of ${2 * rounds} states sent`);
  t.true(sent < 2 * rounds, `${sent} of ${2 * rounds} states sent: the ones in between were dropped`);
  t.is(viewer.closed, undefined);
});
