// The remote transport's parts on their own: backoff, the failure detector, the codec registry,
// limits, handshake proofs, frames written and read back, the timing of a peer that never answers
// (on the virtual clock), and the metrics.
import test from 'ava';
import { Builder } from 'flatbuffers';
import { Registry } from 'prom-client';
import { AgentHeartbeat } from '../../../src/protocol/generated/vf/agent-heartbeat.ts';
import { Envelope } from '../../../src/protocol/generated/vf/envelope.ts';
import { Payload } from '../../../src/protocol/generated/vf/payload.ts';
import { VirtualClock } from '../../../src/shared/clock.ts';
import { CodecRegistry, NoCodecError, remotable } from '../../../src/runtime/remote/codec-registry.ts';
import { FailureDetector } from '../../../src/runtime/remote/failure-detector.ts';
import { readFrame, recipientAt, senderAt } from '../../../src/protocol/remote/frame-reader.ts';
import { FrameWriter } from '../../../src/runtime/remote/frame-writer.ts';
import { chooseVersion, newNonce, proofMatches, proofOf, type Transcript } from '../../../src/runtime/remote/handshake.ts';
import { writeString } from '../../../src/runtime/remote/codec-strings.ts';
import { reconnectDelay } from '../../../src/runtime/remote/reconnect-backoff.ts';
import { remoteLimits } from '../../../src/runtime/remote/remote-limits.ts';
import { bindRemoteMetrics } from '../../../src/runtime/remote/remote-metrics.ts';
import { RemoteTransport } from '../../../src/runtime/remote/remote-transport.ts';
import { ActorSystem } from '../../../src/runtime/system.ts';
import { advanceSettled } from '../../helpers/system.ts';
import { mulberry32 } from '../../helpers/mulberry32.ts';
import { workerCodecs, type Beat, type Done, type Task } from '../../fixtures/remote-worker.ts';
import { startLocal } from './support/local.ts';
import { eventually, SECRET } from './support/peers.ts';

test('reconnect delays double from the minimum to the maximum, each within the jitter', (t) => {
  const schedule = { reconnectMinMs: 100, reconnectMaxMs: 5_000, reconnectJitter: 0.2 };
  t.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8].map((n) => reconnectDelay(n, { ...schedule, reconnectJitter: 0 }, () => 0.5)),
    [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000],
  );
  t.is(
    reconnectDelay(3, schedule, () => 0),
    320,
  );
  t.is(
    reconnectDelay(3, schedule, () => 0.999999),
    480,
  );
  t.is(
    reconnectDelay(1_000, schedule, () => 0.5),
    5_000,
    'no overflow for huge attempt numbers',
  );
});

test('the failure detector: alive, missed past two heartbeats, down at the bound, but not on a check that came late', (t) => {
  const d = new FailureDetector(100, 1_000, 0);
  t.is(d.check(100), 'alive');
  t.is(d.check(200), 'alive');
  t.is(d.check(300), 'missed');
  d.heard(350);
  t.is(d.check(400), 'alive');
  for (let at = 500; at < 1_300; at += 100) d.check(at);
  t.is(d.check(1_350), 'down');
  const paused = new FailureDetector(100, 1_000, 0);
  t.is(paused.check(100), 'alive');
  t.is(paused.check(5_000), 'missed', 'this process was paused itself: one more round first');
  t.is(paused.check(5_100), 'down');
  const starved = new FailureDetector(100, 1_000, 0);
  t.is(starved.check(2_000), 'missed');
  t.is(starved.check(2_500), 'down', 'late again: one round of grace, not more');
});

test('the codec registry refuses ambiguity and names what is missing', (t) => {
  const registry = new CodecRegistry(workerCodecs);
  t.throws(() => registry.register(workerCodecs[0]!), { message: /two codecs for message kind "beat"/ });
  const other = remotable<{ kind: 'other' }, AgentHeartbeat>({
    kind: 'other',
    payload: Payload.AgentHeartbeat,
    table: AgentHeartbeat,
    encode: () => 0,
    decode: () => ({ kind: 'other' }),
  });
  t.throws(() => registry.register(other), { message: /"beat" and "other" both use AgentHeartbeat/ });
  const none = remotable<{ kind: 'none' }, AgentHeartbeat>({
    kind: 'none',
    payload: Payload.NONE,
    table: AgentHeartbeat,
    encode: () => 0,
    decode: () => ({ kind: 'none' }),
  });
  t.throws(() => registry.register(none), { message: /not a Payload member/ });
  t.throws(() => registry.forMessage({ kind: 'missing' }), { instanceOf: NoCodecError, message: /no codec for message kind "missing"/ });
  t.throws(() => registry.forMessage('text'), { instanceOf: NoCodecError, message: /only objects with a string kind/ });
  t.is(registry.forMessage({ kind: 'task' }).payload, Payload.TaskAssigned);
  t.is(registry.forPayload(Payload.TaskCompleted)?.kind, 'done');
  t.deepEqual(registry.kinds, ['beat', 'task', 'done', 'introduce']);
});

test('writeString writes exactly what createString writes, ASCII or not, short or long', (t) => {
  for (const text of [
    '',
    'a',
    'vf://node-b/app/worker',
    'ünïcode ✓',
    'ascii first, then ünïcode',
    'y'.repeat(200) + '✓',
    'x'.repeat(300),
    '\u0000nul',
  ]) {
    // Room or none (the buffer grows), and strings after 0 to 3 bytes already written (padding).
    for (const size of [8, 1024]) {
      for (let before = 0; before < 4; before++) {
        const a = new Builder(size);
        const b = new Builder(size);
        for (let i = 0; i < before; i++) {
          a.addInt8(i + 1);
          b.addInt8(i + 1);
        }
        a.finish(a.createString(text));
        b.finish(writeString(b, text));
        t.deepEqual(b.asUint8Array(), a.asUint8Array(), `${JSON.stringify(text.slice(0, 20))}, ${size}, ${before}`);
      }
    }
  }
});

test('limits: defaults, overrides, and a clear error for one that makes no sense', (t) => {
  t.is(remoteLimits().downAfterMs, 10_000);
  t.is(remoteLimits({ downAfterMs: 3_000 }).downAfterMs, 3_000);
  t.throws(() => remoteLimits({ maxQueueBytes: 0 }), { message: /maxQueueBytes must be a positive number/ });
  t.throws(() => remoteLimits({ heartbeatMs: 5_000, downAfterMs: 1_000 }), { message: /downAfterMs must exceed heartbeatMs/ });
  t.throws(() => remoteLimits({ reconnectJitter: 1 }), { message: /reconnectJitter/ });
  t.throws(() => remoteLimits({ batchBytes: 8 << 20 }), { message: /batchBytes must not exceed maxFrameBytes/ });
});

test('handshake proofs bind the role, both systems, both incarnations and both nonces', (t) => {
  const base: Transcript = {
    version: 1,
    dialer: 'a',
    dialerIncarnation: 1,
    acceptor: 'b',
    acceptorIncarnation: 2,
    dialerNonce: newNonce(),
    acceptorNonce: newNonce(),
  };
  const proof = proofOf(SECRET, 'dialer', base);
  t.true(proofMatches(SECRET, 'dialer', base, proof));
  t.false(proofMatches(SECRET, 'acceptor', base, proof), 'a proof cannot be reflected');
  t.false(proofMatches(Buffer.alloc(32, 1), 'dialer', base, proof), 'another secret');
  for (const change of [
    { dialer: 'x' },
    { acceptor: 'x' },
    { dialerIncarnation: 3 },
    { acceptorIncarnation: 3 },
    { dialerNonce: newNonce() },
    { acceptorNonce: newNonce() },
    { version: 2 },
  ]) {
    t.false(proofMatches(SECRET, 'dialer', { ...base, ...change }, proof), JSON.stringify(Object.keys(change)));
  }
  t.false(proofMatches(SECRET, 'dialer', base, null));
  t.false(proofMatches(SECRET, 'dialer', base, proof.subarray(0, 16)));
  t.is(chooseVersion(1, 1), 1);
  t.is(chooseVersion(1, 9), 1);
  t.is(chooseVersion(2, 3), undefined);
});

test('a batch is written once and read back: paths shared, sizes counted, a failing codec leaves the batch as it was', (t) => {
  const registry = new CodecRegistry(workerCodecs);
  const refs = { pathOf: () => 'vf://a/app/x' };
  const writer = new FrameWriter(256);
  const sizes: number[] = [];
  for (let n = 1; n <= 3; n++)
    sizes.push(
      writer.add(
        10 + n,
        'vf://b/app/sink',
        'vf://a/app/s',
        0,
        registry.forMessage({ kind: 'beat' }),
        { kind: 'beat', from: 'a', n },
        refs,
        undefined,
        undefined,
      ),
    );
  const failing = remotable<{ kind: 'boom' }, AgentHeartbeat>({
    kind: 'boom',
    payload: Payload.AgentHeartbeat,
    table: AgentHeartbeat,
    encode(b: Builder) {
      AgentHeartbeat.startAgentHeartbeat(b);
      throw new RangeError('boom');
    },
    decode: () => ({ kind: 'boom' }),
  });
  t.throws(() => writer.add(14, 'vf://b/app/sink', undefined, 0, failing, { kind: 'boom' }, refs, undefined, undefined), {
    message: 'boom',
  });
  t.is(writer.count, 3);
  t.true(sizes[1]! < sizes[0]!, `later envelopes share the paths (${sizes.join(', ')} bytes)`);
  const batch = writer.finish(5, { watch: ['/app/w'], rewatch: true, unwatch: [], terminated: ['/app/t'] });
  t.is(batch.firstSeq, 11);
  t.is(batch.count, 3);
  const read = readFrame(batch.bytes, 1 << 20);
  if (!read.ok) return t.fail(read.error.message);
  const frame = read.value;
  t.is(Number(frame.firstSeq()), 11);
  t.is(Number(frame.ack()), 5);
  t.true(frame.rewatch());
  t.deepEqual([frame.watch(0), frame.terminated(0)], ['/app/w', '/app/t']);
  const env = new Envelope();
  const at = [0, 1, 2].map((i) => recipientAt(frame.envelopes(i, env)!));
  t.true(
    at.every((p) => p === at[0]),
    'one recipient string for the whole batch',
  );
  t.true(senderAt(frame.envelopes(2, env)!) > 0);
  const beats = [0, 1, 2].map(
    (i) =>
      registry
        .forPayload(Payload.AgentHeartbeat)!
        .decode(frame.envelopes(i, env)!, { refFor: () => undefined as never }, undefined) as Beat,
  );
  t.deepEqual(
    beats.map((b) => b.n),
    [1, 2, 3],
  );
  t.is(writer.count, 0, 'a fresh batch after finish');
});

test('a peer that never answers: reconnects back off with jitter, and at the bound its queued messages dead-letter (virtual clock)', async (t) => {
  const clock = new VirtualClock();
  const system = new ActorSystem({ name: 'node-a', clock, random: mulberry32(7) });
  t.teardown(() => system.terminate());
  const letters: string[] = [];
  system.events.subscribe((e) => {
    if (e.type === 'dead-letter') letters.push(`${clock.now()} ${e.letter.reason}`);
  });
  const limits = { heartbeatMs: 100, downAfterMs: 2_000, reconnectMinMs: 100, reconnectMaxMs: 800, reconnectJitter: 0.2 };
  // Port 9 on 127.0.0.1 (discard): nothing listens there, so every dial is refused.
  const transport = await RemoteTransport.start(system, {
    peers: { 'node-b': 'ws://127.0.0.1:9' },
    codecs: new CodecRegistry(workerCodecs),
    clusterSecret: SECRET,
    limits,
  });
  const delays: number[] = [];
  transport.events.subscribe((e) => {
    if (e.type === 'reconnect-scheduled') delays.push(e.delayMs);
  });
  const sink = system.resolve<Beat>('vf://node-b/app/sink')!;
  for (let n = 1; n <= 5; n++) sink.tell({ kind: 'beat', from: 'a', n });
  const asked = system.ask<Task, Done>(
    system.resolve<Task>('vf://node-b/app/worker')!,
    (replyTo) => ({ kind: 'task', id: '1', text: '1', replyTo }),
    60_000,
  );
  asked.catch(() => undefined);
  // Each refused dial (real I/O) schedules the next on the virtual clock: move to it.
  for (let done = 0; letters.length === 0; done++) {
    await eventually(
      () => delays.length > done || letters.length > 0 || undefined,
      5_000,
      `reconnect ${done + 1} (after ${delays.join(', ')})`,
    );
    if (letters.length === 0) await advanceSettled(system, clock, delays[done]!);
  }
  t.true(delays.length >= 4, `${delays.length} reconnects`);
  t.deepEqual(
    delays.slice(0, 4).map((d, i) => d >= 100 * 2 ** i * 0.8 && d <= 100 * 2 ** i * 1.2),
    [true, true, true, true],
    delays.join(', '),
  );
  t.true(delays.every((d) => d <= 800 * 1.2));
  await t.throwsAsync(asked, { message: /transport-failed/ });
  t.deepEqual(
    letters,
    Array.from({ length: 6 }, () => letters[0]!),
    'all six at the same moment',
  );
  const downAt = Number(letters[0]!.split(' ')[0]);
  t.true(downAt >= 2_000 && downAt <= 2_100, `down at ${downAt} ms: the bound, checked every heartbeat`);
});

test('metrics: per-peer bytes, frames, messages, queue, dead letters, closes and every limit at /metrics', async (t) => {
  const a = await startLocal(t, 'node-a');
  const b = await startLocal(t, 'node-b');
  a.transport.addPeer('node-b', b.transport.url!);
  const registry = new Registry();
  bindRemoteMetrics(a.transport, registry);
  const reply = await a.system.ask<Task, Done>(
    a.system.resolve<Task>('vf://node-b/app/worker')!,
    (replyTo) => ({ kind: 'task', id: 'm', text: 'm', replyTo }),
    5_000,
  );
  t.is(reply.result, 'node-b:m');
  a.system.resolve<unknown>('vf://node-b/app/worker')!.tell({ kind: 'nope' });
  const text = await registry.metrics();
  const value = (line: string): number =>
    Number(new RegExp(`^${line.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  t.is(value('vf_remote_messages_total{peer="node-b",direction="out"}'), 1);
  t.is(value('vf_remote_messages_total{peer="node-b",direction="in"}'), 1);
  t.true(value('vf_remote_bytes_total{peer="node-b",direction="out"}') > 100);
  t.true(value('vf_remote_frames_total{peer="node-b",direction="in"}') >= 1);
  t.is(value('vf_remote_dead_letters_total{peer="node-b",reason="no-codec"}'), 1);
  t.is(value('vf_remote_association_up{peer="node-b",kind="node"}'), 1);
  t.is(value('vf_remote_queue_messages{peer="node-b"}'), 0);
  t.is(value('vf_remote_limit{limit="downAfterMs"}'), 10_000);
  t.is(value('vf_remote_limit{limit="maxFrameBytes"}'), 4 << 20);
  for (const name of [
    'vf_remote_reconnects_total',
    'vf_remote_heartbeats_missed_total',
    'vf_remote_queue_bytes',
    'vf_remote_closed_total',
    'vf_remote_down_total',
  ])
    t.true(text.includes(`# TYPE ${name}`), name);
});

test('remote death watch in one process pair: unwatch means no Terminated, and a stopped watcher forgets its watches', async (t) => {
  const a = await startLocal(t, 'node-a');
  const b = await startLocal(t, 'node-b');
  a.transport.addPeer('node-b', b.transport.url!);
  const target = (name: string) => b.system.spawn<never>(() => ({ receive: () => undefined }), { name });
  const kept = target('kept');
  const dropped = target('dropped');
  const seen: string[] = [];
  type Cmd = { readonly kind: 'gone'; readonly what: string } | { readonly kind: 'unwatch' };
  const watcher = a.system.spawn<Cmd>(
    (ctx) => ({
      preStart() {
        ctx.watch(a.system.resolve('vf://node-b/kept')!, { kind: 'gone', what: 'kept' });
        ctx.watch(a.system.resolve('vf://node-b/dropped')!, { kind: 'gone', what: 'dropped' });
      },
      receive(m) {
        if (m.kind === 'unwatch') ctx.unwatch(a.system.resolve('vf://node-b/dropped')!);
        else seen.push(`${m.what} from ${ctx.sender?.path}`);
      },
    }),
    { name: 'watcher' },
  );
  await eventually(() => b.transport.association('node-a')?.state === 'up' || undefined, 5_000, 'associated');
  t.is(a.system.remoteWatchCount, 2);
  watcher.tell({ kind: 'unwatch' });
  await eventually(() => a.system.remoteWatchCount === 1 || undefined, 5_000, 'unwatched');
  // Let the unwatch reach node-b before the stop.
  await a.system.ask<Task, Done>(
    a.system.resolve<Task>('vf://node-b/app/worker')!,
    (replyTo) => ({ kind: 'task', id: 'x', text: 'x', replyTo }),
    5_000,
  );
  await b.system.stop(dropped);
  await b.system.stop(kept);
  await eventually(() => seen.length === 1 || undefined, 5_000, 'Terminated for the one still watched');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.deepEqual(seen, ['kept from vf://node-b/kept']);
  t.is(a.system.remoteWatchCount, 0);
  const other = target('other');
  const second = a.system.spawn<Cmd>(
    (ctx) => ({
      preStart: () => ctx.watch(a.system.resolve('vf://node-b/other')!, { kind: 'gone', what: 'other' }),
      receive: () => undefined,
    }),
    { name: 'second' },
  );
  await eventually(() => a.system.remoteWatchCount === 1 || undefined, 5_000, 'watching');
  await a.system.stop(second);
  t.is(a.system.remoteWatchCount, 0, 'a watcher that stops takes its watches with it');
  void other;
});
