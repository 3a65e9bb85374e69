// `npm run bench -- remote [--quick]`: remote actors between two processes on this machine (this
// one and a child forked from bench/remote-load.ts), small messages (a beat: AgentHeartbeat with a
// 32-byte sender id and a counter, about 64 bytes an envelope on the wire), against
//   (a) a raw `ws` floor: the same frames (the same bytes, the same envelopes per frame as our run
//       averaged), built once and sent with only their first seq patched; the far end reads the seq
//       and count of each and acknowledges it, nothing verified, decoded or delivered;
//   (b) comedy 2.1.7's forked actors (its child process over the IPC channel, JSON);
//   (c) nact 7.6.2, which cannot cross a process: it has no remote or cluster transport.
// Figures:
//   1. one-way tell throughput: N tells in chunks of 10,000, at most a window of 50,000 sent and
//      not yet acknowledged (ours: the association's outbound queue; the floor: its acks; comedy:
//      each chunk's send promises), timed until the far actor has counted all N (best of R after a
//      warm-up); every run checks that no message was lost or came out of order;
//   2. ask round trip, sequential, p50 and p99: idle, and under load (a tell stream as in 1 running
//      on the same connection meanwhile, with at most 10,000 messages unacknowledged);
//   3. bytes per message on the wire (frame bytes / messages, during 1);
//   4. memory per idle association: heap and buffers of this process with K systems associated
//      and idle, minus without, over K; the peer is K idle bare `ws` connections.
// node runs with --expose-gc (see package.json).
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { CodecRegistry } from '../src/runtime/remote/codec-registry.ts';
import { FrameWriter } from '../src/runtime/remote/frame-writer.ts';
import { RemoteTransport } from '../src/runtime/remote/remote-transport.ts';
import { ActorSystem } from '../src/runtime/system.ts';
import { worker, workerCodecs, type Beat, type Done, type Task } from '../test/fixtures/remote-worker.ts';
import { hostCpuWindow } from './host-cpu.ts';
import type { LoadArgs } from './remote-load.ts';
import { figure, progress, report, type Figure } from './report.ts';
import type { BenchOptions } from './run.ts';

const SUITE = 'remote';
const LOAD = fileURLToPath(new URL('./remote-load.ts', import.meta.url));
const SECRET = randomBytes(32).toString('hex');
const CHUNK = 10_000;
/** Sent and not yet acknowledged, at most: half the transport's default outbound queue bound. */
const WINDOW = 50_000;
/**
 * The same for the stream that loads the link while asks are timed: an ask waits behind what is
 * queued before it (one connection, in order), so this window is what "under load" costs it.
 */
const LOAD_WINDOW = 10_000;

interface Sizes {
  readonly tells: number;
  readonly repeats: number;
  readonly asks: number;
  readonly loadedAsks: number;
  readonly warmupAsks: number;
  readonly idleAssociations: number;
}

const FULL: Sizes = { tells: 2_000_000, repeats: 3, asks: 20_000, loadedAsks: 5_000, warmupAsks: 2_000, idleAssociations: 200 };
const QUICK: Sizes = { tells: 200_000, repeats: 2, asks: 2_000, loadedAsks: 500, warmupAsks: 500, idleAssociations: 40 };

/** A sender id of 32 bytes: with the counter, the beat's table is about 64 bytes an envelope. */
const FROM = 'bench-a/stream/0123456789abcdef0';

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const fmt = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits });

function collectGarbage(): void {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench does)');
  gc();
  gc();
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

interface Latency {
  readonly p50Us: number;
  readonly p99Us: number;
}

async function sequential(n: number, one: (i: number) => Promise<void>): Promise<Latency> {
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await one(i);
    samples[i] = (performance.now() - t) * 1000;
  }
  samples.sort();
  return { p50Us: percentile(samples, 0.5), p99Us: percentile(samples, 0.99) };
}

interface Throughput {
  readonly rate: number;
  readonly lost: number;
  readonly reordered: number;
}

async function forkLoad(args: LoadArgs): Promise<{ child: ChildProcess; url: string; count: number }> {
  const child = fork(LOAD, [JSON.stringify(args)], { execArgv: ['--import=tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<{ url: string; count: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`remote-load ${args.mode}: not ready within 120 s`)), 120_000);
    child.once('exit', (code) => reject(new Error(`remote-load ${args.mode} exited (${code})`)));
    child.on('message', (m: { ready?: boolean; url: string; count: number }) => {
      if (m.ready === true) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
  return { child, ...ready };
}

function stop(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

// ---- ours ---------------------------------------------------------------------------------------------

interface Ours {
  readonly system: ActorSystem;
  readonly transport: RemoteTransport;
  readonly child: ChildProcess;
  tells(n: number, from: string): Promise<Throughput>;
  ask(i: number): Promise<void>;
  /** A tell stream like tells(), until `until` resolves. */
  stream(until: Promise<void>, from: string): Promise<number>;
}

async function ours(): Promise<Ours> {
  const { child, url } = await forkLoad({ mode: 'ours', secret: SECRET });
  const system = new ActorSystem({ name: 'bench-a' });
  const transport = await RemoteTransport.start(system, {
    peers: { 'bench-b': url },
    codecs: new CodecRegistry(workerCodecs),
    clusterSecret: Buffer.from(SECRET, 'hex'),
  });
  const counter = system.resolve<Beat | Task>('vf://bench-b/counter')!;
  const echo = system.resolve<Task>('vf://bench-b/worker')!;
  const queued = (): number => transport.association('bench-b')?.queue.messages ?? 0;
  const expect = (from: string, n: number): Promise<Done> =>
    system.ask<Task, Done>(counter as never, (replyTo) => ({ kind: 'task', id: from, text: `expect:${from}:${n}`, replyTo }), 600_000);
  return {
    system,
    transport,
    child,
    async tells(n, from) {
      const done = expect(from, n);
      const start = performance.now();
      let sent = 0;
      while (sent < n) {
        while (queued() > WINDOW) await nextMacrotask();
        const end = Math.min(n, sent + CHUNK);
        while (sent < end) counter.tell({ kind: 'beat', from, n: ++sent });
        await nextMacrotask();
      }
      const result = JSON.parse((await done).result) as { count: number; outOfOrder: number };
      const seconds = (performance.now() - start) / 1000;
      return { rate: n / seconds, lost: n - result.count, reordered: result.outOfOrder };
    },
    async ask(i) {
      const reply = await system.ask<Task, Done>(echo, (replyTo) => ({ kind: 'task', id: 'a', text: String(i), replyTo }), 10_000);
      if (reply.result !== `bench-b:${i}`) throw new Error(`crossed reply: ${reply.result} for ${i}`);
    },
    async stream(until, from) {
      let stopped = false;
      void until.then(() => (stopped = true));
      let sent = 0;
      while (!stopped) {
        while (queued() > LOAD_WINDOW && !stopped) await nextMacrotask();
        for (let k = 0; k < LOAD_WINDOW / 4; k++) counter.tell({ kind: 'beat', from, n: ++sent });
        await nextMacrotask();
      }
      return sent;
    },
  };
}

// ---- the raw ws floor --------------------------------------------------------------------------------------

interface Floor {
  readonly child: ChildProcess;
  tells(n: number): Promise<Throughput>;
  ask(): Promise<void>;
  stream(until: Promise<void>): Promise<number>;
}

/** A frame of `perFrame` beats as the transport writes them, and where its first_seq lives. */
function beatFrame(perFrame: number): { bytes: Uint8Array; seqAt: number } {
  const codecs = new CodecRegistry(workerCodecs);
  const writer = new FrameWriter(1024);
  const MARK = 0x5eedf00d;
  for (let i = 0; i < perFrame; i++) {
    writer.add(
      MARK + i,
      'vf://bench-b/counter',
      undefined,
      0,
      codecs.forMessage({ kind: 'beat' }),
      { kind: 'beat', from: FROM, n: i + 1 },
      { pathOf: () => '' },
      undefined,
      undefined,
    );
  }
  const bytes = writer.finish(0, undefined).bytes;
  const view = new DataView(bytes.buffer);
  for (let at = 0; at + 8 <= bytes.length; at += 4) {
    if (view.getUint32(at, true) === MARK && view.getUint32(at + 4, true) === 0) return { bytes, seqAt: at };
  }
  throw new Error('first_seq not found in the frame');
}

function taskFrame(kind: 'task' | 'done'): Uint8Array {
  const codecs = new CodecRegistry(workerCodecs);
  const writer = new FrameWriter(512);
  const message =
    kind === 'task'
      ? { kind, id: 'a', text: '1234', replyTo: { path: 'vf://bench-a/temp/123456', tell: () => undefined } }
      : { kind, id: 'a', ok: true, result: 'bench-b:1234' };
  writer.add(
    1,
    kind === 'task' ? 'vf://bench-b/worker' : 'vf://bench-a/temp/123456',
    kind === 'task' ? 'vf://bench-a/temp/123456' : undefined,
    kind === 'task' ? 123456 : 0,
    codecs.forMessage(message),
    message,
    { pathOf: (r) => r.path },
    undefined,
    undefined,
  );
  return writer.finish(0, undefined).bytes;
}

async function floor(perFrame: number): Promise<Floor> {
  const { child, url } = await forkLoad({ mode: 'floor', secret: SECRET, replyFrame: [...taskFrame('done')] });
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 << 20 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const { bytes: frame, seqAt } = beatFrame(perFrame);
  const view = new DataView(frame.buffer);
  const ask = taskFrame('task');
  let acked = 0;
  let outOfOrder = 0;
  let replies = 0;
  // The stream and the asks wait side by side: every answer wakes all of them.
  let waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer) => {
    if (data.length === 8) {
      acked = data.readUInt32LE(0);
      outOfOrder = data.readUInt32LE(4);
    } else replies++;
    const woken = waiters;
    waiters = [];
    for (const w of woken) w();
  });
  const wake = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));
  let seq = 0;
  const sendUpTo = async (target: number, stopped: () => boolean, window: number): Promise<void> => {
    while (seq < target && !stopped()) {
      while (seq - acked > window && !stopped()) await wake();
      const end = Math.min(target, seq + Math.min(CHUNK, window / 4));
      while (seq < end) {
        // ws masks a copy as it sends (client to server), so the template can be patched again at once.
        view.setUint32(seqAt, seq + 1, true);
        view.setUint32(seqAt + 4, 0, true);
        ws.send(frame);
        seq += perFrame;
      }
      await nextMacrotask();
    }
  };
  return {
    child,
    async tells(n) {
      const first = seq;
      const start = performance.now();
      await sendUpTo(seq + n, () => false, WINDOW);
      while (acked < seq) await wake();
      const seconds = (performance.now() - start) / 1000;
      return { rate: (seq - first) / seconds, lost: seq - acked, reordered: outOfOrder };
    },
    async ask() {
      const before = replies;
      ws.send(ask);
      while (replies === before) await wake();
    },
    async stream(until) {
      let stopped = false;
      void until.then(() => (stopped = true));
      const first = seq;
      await sendUpTo(Number.MAX_SAFE_INTEGER, () => stopped, LOAD_WINDOW);
      return seq - first;
    },
  };
}

// ---- comedy 2.1.7, forked -----------------------------------------------------------------------------

interface ComedyActor {
  send(topic: string, ...message: unknown[]): Promise<unknown>;
  sendAndReceive(topic: string, ...message: unknown[]): Promise<unknown>;
}

interface ComedySystem {
  rootActor(): Promise<{ createChild(definition: object, config: { mode: 'forked' }): Promise<ComedyActor> }>;
  destroy(): Promise<void>;
}

/**
 * comedy ships a class's source text to its child process and evaluates it there, so the class is
 * made from plain JavaScript text at run time: the TypeScript loader's helpers (which its compiled
 * classes call) do not exist in comedy's child.
 */
const ComedyCounter = new Function(`return class ComedyCounter {
  constructor() { this.count = 0; this.last = new Map(); this.outOfOrder = 0; }
  beat(m) {
    const previous = this.last.get(m.from) || 0;
    if (m.n !== previous + 1) this.outOfOrder++;
    this.last.set(m.from, m.n);
    this.count++;
  }
  echo(text) { return 'comedy:' + text; }
  stats(from) { return { count: this.count, last: this.last.get(from) || 0, outOfOrder: this.outOfOrder }; }
};`)() as new () => object;

async function comedy(): Promise<{
  actor: ComedyActor;
  system: ComedySystem;
  tells(n: number, from: string): Promise<Throughput>;
  stream(until: Promise<void>, from: string): Promise<number>;
}> {
  const actors = ((await import('comedy')) as unknown as { default: (o: Record<string, unknown>) => ComedySystem }).default;
  const system = actors({ test: true, config: {}, busyLagLimit: 0 });
  const actor = await (await system.rootActor()).createChild(ComedyCounter, { mode: 'forked' });
  const run = async (n: number, from: string, stopped: () => boolean, chunk: number): Promise<number> => {
    let sent = 0;
    while (sent < n && !stopped()) {
      // No flow control of its own: each chunk's sends are awaited (handed to the IPC channel).
      const sends: Promise<unknown>[] = [];
      const end = Math.min(n, sent + chunk);
      while (sent < end) sends.push(actor.send('beat', { from, n: ++sent }));
      await Promise.all(sends);
    }
    return sent;
  };
  return {
    actor,
    system,
    async tells(n, from) {
      const start = performance.now();
      await run(n, from, () => false, CHUNK);
      let stats: { count: number; last: number; outOfOrder: number };
      do stats = (await actor.sendAndReceive('stats', from)) as typeof stats;
      while (stats.last < n);
      const seconds = (performance.now() - start) / 1000;
      return { rate: n / seconds, lost: n - stats.last, reordered: stats.outOfOrder };
    },
    async stream(until, from) {
      let stopped = false;
      void until.then(() => (stopped = true));
      return run(Number.MAX_SAFE_INTEGER, from, () => stopped, LOAD_WINDOW / 4);
    },
  };
}

// ---- memory per idle association -----------------------------------------------------------------------

function memory(): number {
  collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function idleAssociationBytes(count: number): Promise<number> {
  const system = new ActorSystem({ name: 'bench-a' });
  system.spawn(worker, { name: 'worker' });
  const transport = await RemoteTransport.start(system, {
    listen: {},
    codecs: new CodecRegistry(workerCodecs),
    clusterSecret: Buffer.from(SECRET, 'hex'),
  });
  // One association first, so that what every association shares (code, pools) is not counted.
  const warm = await forkLoad({ mode: 'dialers', secret: SECRET, url: transport.url!, count: 1 });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = memory();
  const load = await forkLoad({ mode: 'dialers', secret: SECRET, url: transport.url!, count });
  // Idle: the handshakes' and the asks' buffers are let go, heartbeats only.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const after = memory();
  const associations = transport.associationList().filter((a) => a.state === 'up').length;
  stop(load.child);
  stop(warm.child);
  await system.terminate();
  return (after - before) / (associations - 1);
}

async function idleSocketBytes(count: number): Promise<number> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const held: WebSocket[] = [];
  server.on('connection', (ws) => {
    held.push(ws);
    ws.on('message', () => undefined);
  });
  const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  const warm = await forkLoad({ mode: 'sockets', secret: SECRET, url, count: 1 });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = memory();
  const load = await forkLoad({ mode: 'sockets', secret: SECRET, url, count });
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const after = memory();
  const sockets = held.length - 1;
  stop(load.child);
  stop(warm.child);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return (after - before) / sockets;
}

// ---- the suite ----------------------------------------------------------------------------------------------

export async function run(opts: BenchOptions): Promise<void> {
  const sizes = opts.quick ? QUICK : FULL;
  const began = performance.now();
  const load = loadavg()[0]!;
  const host = hostCpuWindow();
  progress(
    `remote${opts.quick ? ' (quick)' : ''}: ${fmt(sizes.tells)} tells x${sizes.repeats}, ${fmt(sizes.asks)} asks idle, ${fmt(sizes.loadedAsks)} loaded, ${sizes.idleAssociations} idle associations; load average ${load.toFixed(2)}`,
  );
  progress('nact 7.6.2: no remote or cluster transport (actors live in one process only): not measured');
  const figures: Figure[] = [];

  // 1-3, ours.
  const o = await ours();
  await o.ask(0);
  await o.tells(Math.ceil(sizes.tells / 4), 'warmup');
  let oursTells: Throughput = { rate: 0, lost: 0, reordered: 0 };
  let lost = 0;
  let reordered = 0;
  const stats0 = { ...o.transport.association('bench-b')!.stats };
  for (let r = 1; r <= sizes.repeats; r++) {
    const t = await o.tells(sizes.tells, `${FROM}-${r}`);
    lost += t.lost;
    reordered += t.reordered;
    if (t.rate > oursTells.rate) oursTells = t;
    progress(`ours tell throughput run ${r}: ${fmt(t.rate)} msgs/s, lost ${t.lost}, out of order ${t.reordered}`);
  }
  const stats1 = o.transport.association('bench-b')!.stats;
  const framesOut = stats1.framesOut - stats0.framesOut;
  const messagesOut = stats1.messagesOut - stats0.messagesOut;
  const bytesPerMessage = (stats1.bytesOut - stats0.bytesOut) / messagesOut;
  const perFrame = Math.max(1, Math.round(messagesOut / framesOut));
  progress(`ours: ${fmt(bytesPerMessage, 1)} bytes a message on the wire, ${perFrame} envelopes a frame on average`);
  for (let i = 0; i < sizes.warmupAsks; i++) await o.ask(i);
  const oursIdle = await sequential(sizes.asks, (i) => o.ask(i));
  progress(`ours ask idle: p50 ${fmt(oursIdle.p50Us, 1)} us, p99 ${fmt(oursIdle.p99Us, 1)} us`);
  let endStream!: () => void;
  let streamed = o.stream(new Promise<void>((resolve) => (endStream = resolve)), `${FROM}-load`);
  const oursLoaded = await sequential(sizes.loadedAsks, (i) => o.ask(i));
  endStream();
  progress(
    `ours ask under load: p50 ${fmt(oursLoaded.p50Us, 1)} us, p99 ${fmt(oursLoaded.p99Us, 1)} us (${fmt(await streamed)} tells meanwhile)`,
  );
  await o.system.terminate();
  stop(o.child);

  // The floor, with our batching.
  const f = await floor(perFrame);
  await f.tells(Math.ceil(sizes.tells / 4));
  let floorTells: Throughput = { rate: 0, lost: 0, reordered: 0 };
  for (let r = 1; r <= sizes.repeats; r++) {
    const t = await f.tells(sizes.tells);
    if (t.rate > floorTells.rate) floorTells = t;
    progress(`raw ws floor tell throughput run ${r}: ${fmt(t.rate)} msgs/s, lost ${t.lost}, out of order ${t.reordered}`);
  }
  for (let i = 0; i < sizes.warmupAsks; i++) await f.ask();
  const floorIdle = await sequential(sizes.asks, () => f.ask());
  streamed = f.stream(new Promise<void>((resolve) => (endStream = resolve)));
  const floorLoaded = await sequential(sizes.loadedAsks, () => f.ask());
  endStream();
  progress(
    `raw ws floor ask: idle p50 ${fmt(floorIdle.p50Us, 1)} us p99 ${fmt(floorIdle.p99Us, 1)} us; loaded p50 ${fmt(floorLoaded.p50Us, 1)} p99 ${fmt(floorLoaded.p99Us, 1)} (${fmt(await streamed)} meanwhile)`,
  );
  stop(f.child);

  // comedy, forked.
  const c = await comedy();
  const comedyTells = Math.ceil(sizes.tells / 10);
  await c.tells(Math.ceil(comedyTells / 4), 'warmup');
  let comedyBest: Throughput = { rate: 0, lost: 0, reordered: 0 };
  for (let r = 1; r <= sizes.repeats; r++) {
    const t = await c.tells(comedyTells, `c-${r}`);
    if (t.rate > comedyBest.rate) comedyBest = t;
    progress(`comedy forked tell throughput run ${r}: ${fmt(t.rate)} msgs/s (${fmt(comedyTells)} tells)`);
  }
  for (let i = 0; i < sizes.warmupAsks; i++) await c.actor.sendAndReceive('echo', String(i));
  const comedyIdle = await sequential(sizes.asks, async (i) => void (await c.actor.sendAndReceive('echo', String(i))));
  streamed = c.stream(new Promise<void>((resolve) => (endStream = resolve)), 'c-load');
  const comedyLoaded = await sequential(sizes.loadedAsks, async (i) => void (await c.actor.sendAndReceive('echo', String(i))));
  endStream();
  progress(
    `comedy ask: idle p50 ${fmt(comedyIdle.p50Us, 1)} us p99 ${fmt(comedyIdle.p99Us, 1)} us; loaded p50 ${fmt(comedyLoaded.p50Us, 1)} p99 ${fmt(comedyLoaded.p99Us, 1)} (${fmt(await streamed)} meanwhile)`,
  );
  await c.system.destroy();

  // 4. memory.
  const perAssociation = await idleAssociationBytes(sizes.idleAssociations);
  const perSocket = await idleSocketBytes(sizes.idleAssociations);
  progress(`memory per idle association ${fmt(perAssociation)} B, per idle bare ws connection ${fmt(perSocket)} B`);
  const share = host();

  const floorPeer = (value: number) => ({ name: 'raw-ws-floor', value });
  const comedyPeer = (value: number) => ({ name: 'comedy-forked', value });
  figures.push(
    figure(SUITE, 'tell throughput', oursTells.rate, 'msgs/s', floorPeer(floorTells.rate)),
    figure(SUITE, 'tell throughput', oursTells.rate, 'msgs/s', comedyPeer(comedyBest.rate)),
    figure(SUITE, 'tell throughput share of the raw ws floor', oursTells.rate / floorTells.rate, 'x'),
    figure(SUITE, 'ask round trip p50 idle', oursIdle.p50Us, 'us', floorPeer(floorIdle.p50Us)),
    figure(SUITE, 'ask round trip p99 idle', oursIdle.p99Us, 'us', floorPeer(floorIdle.p99Us)),
    figure(SUITE, 'ask round trip p50 idle', oursIdle.p50Us, 'us', comedyPeer(comedyIdle.p50Us)),
    figure(SUITE, 'ask round trip p99 idle', oursIdle.p99Us, 'us', comedyPeer(comedyIdle.p99Us)),
    figure(SUITE, 'ask round trip p50 under load', oursLoaded.p50Us, 'us', floorPeer(floorLoaded.p50Us)),
    figure(SUITE, 'ask round trip p99 under load', oursLoaded.p99Us, 'us', floorPeer(floorLoaded.p99Us)),
    figure(SUITE, 'ask round trip p50 under load', oursLoaded.p50Us, 'us', comedyPeer(comedyLoaded.p50Us)),
    figure(SUITE, 'ask round trip p99 under load', oursLoaded.p99Us, 'us', comedyPeer(comedyLoaded.p99Us)),
    figure(SUITE, 'bytes per message on the wire', bytesPerMessage, 'bytes', floorPeer(bytesPerMessage)),
    figure(SUITE, 'envelopes per frame', perFrame, 'envelopes'),
    figure(SUITE, 'messages lost or out of order', lost + reordered, 'messages', floorPeer(floorTells.lost + floorTells.reordered)),
    figure(SUITE, 'memory per idle association', perAssociation, 'bytes', { name: 'raw-ws-connection', value: perSocket }),
    figure(SUITE, 'host load average (1 min) at start', load, 'load'),
    figure(SUITE, 'host CPU idle during the run', share?.idlePercent ?? Number.NaN, '% of all CPU'),
  );
  report(
    `remote${opts.quick ? ' (quick)' : ''}: two processes on this machine, ${fmt(sizes.tells)} tells of ~64-byte messages (best of ${sizes.repeats}); ` +
      `${fmt(sizes.asks)} sequential asks idle, ${fmt(sizes.loadedAsks)} under a tell stream (${fmt(LOAD_WINDOW)} unacknowledged at most); ${sizes.idleAssociations} idle associations (Node ${process.version}; nact cannot cross a process)`,
    figures,
  );
  progress(`remote suite took ${fmt((performance.now() - began) / 1000, 1)} s`);
}
