// `npm run bench -- runtime [--quick]`: our actor runtime (ActorSystem) against the floor (a bare
// async queue written below, no supervision) and the two peers the design card names, nact and
// comedy (in-memory mode, same process), on the same workloads in the same run:
//   1. tell throughput: N tells to one counting actor, sent in chunks, the sender yielding a
//      macrotask between chunks; timed until the receiver has counted all N (best of 3, after two
//      unmeasured warm-up runs of N/4 per contender).
//   2. sequential ask latency: asks one after another, each awaited; mean and p99.
//   3. concurrent asks: all issued at once, each carrying a unique number whose reply must be a
//      function of it; lost (timed out / never answered) and crossed (answer to another request)
//      replies are counted, and the time from the first request to the last reply.
//   4. heap per queued message: consumption suspended, N tells of one pre-allocated message,
//      (heapUsed after - before) / N around a full gc.
// Every figure is ours, with one peer as the comparison. node runs with --expose-gc (see package.json).
import { ActorSystem } from '../src/runtime/system.ts';
import type { Ref } from '../src/runtime/ref.ts';
import type { BenchOptions } from './run.ts';
import { figure, progress, report, type Figure } from './report.ts';

const SUITE = 'runtime';

interface Sizes {
  tells: number;
  chunk: number;
  repeats: number;
  seqAsks: number;
  seqWarmup: number;
  concurrentAsks: number;
  askTimeoutMs: number;
  heapMessages: number;
}

const FULL: Sizes = {
  tells: 2_000_000,
  chunk: 10_000,
  repeats: 3,
  seqAsks: 20_000,
  seqWarmup: 2_000,
  concurrentAsks: 100_000,
  askTimeoutMs: 10_000,
  heapMessages: 1_000_000,
};

const QUICK: Sizes = {
  tells: 200_000,
  chunk: 10_000,
  repeats: 3,
  seqAsks: 2_000,
  seqWarmup: 500,
  concurrentAsks: 10_000,
  askTimeoutMs: 5_000,
  heapMessages: 100_000,
};

/** The one message every tell carries: the figures measure delivery, not message allocation. */
const TICK = Object.freeze({ kind: 'tick' as const });
type Tick = typeof TICK;

/** The reply an echo actor owes request `n`; a reply equal to anything else is a crossed reply. */
const answerTo = (n: number): number => n * 2 + 1;

// ---- what each contender provides ------------------------------------------------------------------

interface Counter {
  tell(message: Tick): void;
  readonly tally: Tally;
  dispose(): Promise<void> | void;
}

type Ask = (n: number) => Promise<number>;

interface Contender {
  readonly name: string;
  /** A fresh actor that counts the messages it handles. */
  counter(): Promise<Counter>;
  /** An actor answering `answerTo(n)`, and the way to ask it. */
  echo(): Promise<Ask>;
  /** Bytes of heap per message queued while the receiver does not consume. */
  heapPerQueuedMessage(count: number): Promise<number>;
  close(): Promise<void>;
}

// ---- helpers -----------------------------------------------------------------------------------------

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * What a counting actor's handler does: one increment and one comparison per message, resolving a
 * waiter when the count reaches its mark (so the sender waits without polling the event loop).
 */
class Tally {
  count = 0;
  private mark = -1;
  private onMark: (() => void) | undefined;

  readonly hit = (): void => {
    if (++this.count === this.mark) {
      const resolve = this.onMark!;
      this.onMark = undefined;
      this.mark = -1;
      resolve();
    }
  };

  /** Resolves once `count` handled messages have been counted. */
  reached(count: number): Promise<void> {
    if (this.count >= count) return Promise.resolve();
    this.mark = count;
    return new Promise((resolve) => (this.onMark = resolve));
  }
}

function collectGarbage(): void {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench does)');
  gc();
  gc();
}

function heapAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** Rejects with a clear message instead of hanging when a contender stops delivering. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const fmt = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits });

// ---- the floor: a bare async queue ---------------------------------------------------------------------

/**
 * The simplest actor there is: a growable ring of messages drained in one microtask by a handler.
 * No supervision, no bounds, no fairness, no yielding: what delivery costs when it does nothing else.
 */
class BareQueue<M> {
  private ring: (M | undefined)[] = new Array<M | undefined>(16);
  private mask = 15;
  private head = 0;
  private tail = 0;
  private scheduled = false;

  constructor(private readonly handler: (message: M) => void) {}

  push(message: M): void {
    this.ring[this.tail] = message;
    this.tail = (this.tail + 1) & this.mask;
    if (this.tail === this.head) this.grow();
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.drain);
    }
  }

  private readonly drain = (): void => {
    while (this.head !== this.tail) {
      const message = this.ring[this.head] as M;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
      this.handler(message);
    }
    this.scheduled = false;
  };

  private grow(): void {
    const old = this.ring;
    const size = old.length;
    const next = new Array<M | undefined>(size * 2);
    for (let i = 0; i < size; i++) next[i] = old[(this.head + i) & this.mask];
    this.ring = next;
    this.mask = size * 2 - 1;
    this.head = 0;
    this.tail = size;
  }
}

interface BareRequest {
  readonly n: number;
  readonly reply: (answer: number) => void;
}

function bareContender(): Contender {
  return {
    name: 'bare-queue',
    counter() {
      const tally = new Tally();
      const queue = new BareQueue<Tick>(tally.hit);
      return Promise.resolve({ tell: (m) => queue.push(m), tally, dispose: () => undefined });
    },
    echo() {
      const queue = new BareQueue<BareRequest>((r) => r.reply(answerTo(r.n)));
      // No per-ask timer: lost replies are caught by the harness deadline, as for comedy.
      return Promise.resolve((n: number) => new Promise<number>((reply) => queue.push({ n, reply })));
    },
    async heapPerQueuedMessage(count) {
      // Consumption is suspended by never yielding: the drain microtask cannot run until the
      // synchronous loop and the measurement after it are done.
      let handled = 0;
      const finished = deferred();
      const queue = new BareQueue<Tick>(() => {
        if (++handled === count) finished.resolve();
      });
      const before = heapAfterGc();
      for (let i = 0; i < count; i++) queue.push(TICK);
      const after = heapAfterGc();
      await within(finished.promise, 60_000, 'bare-queue heap drain');
      return (after - before) / count;
    },
    close: () => Promise.resolve(),
  };
}

// ---- ours ------------------------------------------------------------------------------------------------

interface EchoRequest {
  readonly n: number;
  readonly replyTo: Ref<number>;
}

const BLOCK = Object.freeze({ kind: 'block' as const });
type HeapMessage = Tick | typeof BLOCK;

function oursContender(sizes: Sizes): Contender {
  const system = new ActorSystem({ name: 'bench-runtime' });
  let serial = 0;
  return {
    name: 'ours',
    counter() {
      const tally = new Tally();
      const ref = system.spawn<Tick>(
        () => ({ receive: tally.hit }),
        // The sender keeps at most two chunks in flight (see tellThroughput): room for four.
        { name: `counter-${serial++}`, mailbox: { capacity: 4 * sizes.chunk, overflow: 'reject' } },
      );
      return Promise.resolve({ tell: (m) => ref.tell(m), tally, dispose: () => system.stop(ref) });
    },
    echo() {
      const ref = system.spawn<EchoRequest>(() => ({ receive: (r) => r.replyTo.tell(answerTo(r.n)) }), {
        name: `echo-${serial++}`,
        // Every concurrent ask is in the mailbox at once.
        mailbox: { capacity: sizes.concurrentAsks + 16, overflow: 'reject' },
      });
      return Promise.resolve((n: number) => system.ask<EchoRequest, number>(ref, (replyTo) => ({ n, replyTo }), sizes.askTimeoutMs));
    },
    async heapPerQueuedMessage(count) {
      // The actor's first handler is stuck on an unresolved promise, so everything after it stays in
      // the mailbox (the cell is busy and not scheduled).
      const gate = deferred();
      const entered = deferred();
      let handled = 0;
      const finished = deferred();
      const ref = system.spawn<HeapMessage>(
        () => ({
          receive: (m) => {
            if (m === BLOCK) {
              entered.resolve();
              return gate.promise;
            }
            if (++handled === count) finished.resolve();
            return undefined;
          },
        }),
        { name: `heap-${serial++}`, mailbox: { capacity: count + 16, overflow: 'reject' } },
      );
      ref.tell(BLOCK);
      await entered.promise;
      await nextMacrotask();
      const before = heapAfterGc();
      for (let i = 0; i < count; i++) ref.tell(TICK);
      const after = heapAfterGc();
      gate.resolve();
      // Every message was queued (none dead-lettered) only if every one is handled now.
      await within(finished.promise, 60_000, 'ours heap drain');
      await system.stop(ref);
      return (after - before) / count;
    },
    async close() {
      await within(system.terminate(), 10_000, 'ours terminate');
    },
  };
}

// ---- nact 7.6.2 ---------------------------------------------------------------------------------------

/** nact's refs are plain objects it resolves by path on every dispatch. */
interface NactRef {
  readonly type: string;
}

interface NactModule {
  start(): NactRef;
  spawnStateless<M>(parent: NactRef, f: (message: M, ctx: { sender: NactRef }) => unknown, name?: string): NactRef;
  dispatch(ref: NactRef, message: unknown, sender?: NactRef): void;
  query(ref: NactRef, message: (tempRef: NactRef) => unknown, timeoutMs: number): Promise<unknown>;
  stop(ref: NactRef): void;
}

interface NactRequest {
  readonly n: number;
  readonly replyTo: NactRef;
}

async function nactContender(sizes: Sizes): Promise<Contender> {
  const nact = ((await import('nact')) as unknown as { default: NactModule }).default;
  const system = nact.start();
  let serial = 0;
  return {
    name: 'nact',
    counter() {
      const tally = new Tally();
      const ref = nact.spawnStateless<Tick>(system, tally.hit, `counter-${serial++}`);
      return Promise.resolve({ tell: (m) => nact.dispatch(ref, m), tally, dispose: () => nact.stop(ref) });
    },
    echo() {
      const ref = nact.spawnStateless<NactRequest>(system, (r) => nact.dispatch(r.replyTo, answerTo(r.n)), `echo-${serial++}`);
      return Promise.resolve((n: number) => nact.query(ref, (replyTo) => ({ n, replyTo }), sizes.askTimeoutMs) as Promise<number>);
    },
    async heapPerQueuedMessage(count) {
      // As for ours: the first handler's promise is pending, nact marks the actor busy and pushes
      // every later dispatch onto its denque mailbox. `dispatch(ref, msg)` without a sender is how
      // nact is told; its default parameter allocates a `Nobody` per message, part of its cost.
      const gate = deferred();
      const entered = deferred();
      let handled = 0;
      const finished = deferred();
      const ref = nact.spawnStateless<HeapMessage>(
        system,
        (m) => {
          if (m === BLOCK) {
            entered.resolve();
            return gate.promise;
          }
          if (++handled === count) finished.resolve();
          return undefined;
        },
        `heap-${serial++}`,
      );
      nact.dispatch(ref, BLOCK);
      await entered.promise;
      await nextMacrotask();
      const before = heapAfterGc();
      for (let i = 0; i < count; i++) nact.dispatch(ref, TICK);
      const after = heapAfterGc();
      gate.resolve();
      await within(finished.promise, 120_000, 'nact heap drain');
      nact.stop(ref);
      return (after - before) / count;
    },
    close() {
      nact.stop(system);
      return Promise.resolve();
    },
  };
}

// ---- comedy 2.1.7 (in-memory mode) ---------------------------------------------------------------------

interface ComedyActor {
  send(topic: string, ...message: unknown[]): Promise<unknown>;
  sendAndReceive(topic: string, ...message: unknown[]): Promise<unknown>;
  destroy(): Promise<void>;
}

interface ComedyRoot {
  createChild(definition: object, config: { mode: 'in-memory'; name?: string }): Promise<ComedyActor>;
}

interface ComedySystem {
  rootActor(): Promise<ComedyRoot>;
  destroy(): Promise<void>;
}

type ComedyFactory = (options: Record<string, unknown>) => ComedySystem;

async function comedyContender(): Promise<Contender> {
  const actors = ((await import('comedy')) as unknown as { default: ComedyFactory }).default;
  // test: silent logger, no actors.json lookup or file watching; config: programmatic (empty);
  // busyLagLimit 0: never drop messages as "overloaded" while the benchmark lags the event loop.
  const system = actors({ test: true, config: {}, busyLagLimit: 0 });
  const root = await system.rootActor();
  let serial = 0;
  const child = (definition: object): Promise<ComedyActor> =>
    root.createChild(definition, { mode: 'in-memory', name: `actor-${serial++}` });
  return {
    name: 'comedy',
    async counter() {
      const tally = new Tally();
      const actor = await child({ tick: tally.hit });
      return { tell: (m) => void actor.send('tick', m), tally, dispose: () => actor.destroy() };
    },
    async echo() {
      const actor = await child({ ask: (n: number) => answerTo(n) });
      // comedy's sendAndReceive has no timeout of its own: the harness deadline catches lost replies.
      return (n: number) => actor.sendAndReceive('ask', n) as Promise<number>;
    },
    async heapPerQueuedMessage(count) {
      // comedy has no mailbox: an in-memory actor runs every message's handler as soon as bluebird's
      // async queue (drained on setImmediate) reaches it, concurrently with the ones still running,
      // so a handler stuck on a promise suspends nothing. What is queued while the receiver is not
      // scheduled is the promise chain each send builds; it is measured before the queue can run,
      // by sending and measuring in one synchronous stretch (the returned promises are dropped).
      let handled = 0;
      const finished = deferred();
      const actor = await child({
        tick: () => {
          if (++handled === count) finished.resolve();
        },
      });
      await nextMacrotask();
      const before = heapAfterGc();
      for (let i = 0; i < count; i++) void actor.send('tick', TICK);
      const after = heapAfterGc();
      await within(finished.promise, 120_000, 'comedy heap drain');
      await actor.destroy();
      return (after - before) / count;
    },
    async close() {
      await within(system.destroy(), 10_000, 'comedy destroy');
    },
  };
}

// ---- workloads --------------------------------------------------------------------------------------------

/**
 * Sends `n` tells in chunks of `chunk`, yielding a macrotask after each, and holding a chunk back
 * while more than one chunk is still unhandled, so no mailbox ever holds more than two chunks: the
 * figure is delivery, not how a queue copes with a burst. Returns messages per second.
 */
async function tellThroughput(contender: Contender, n: number, chunk: number): Promise<number> {
  const counter = await contender.counter();
  const tally = counter.tally;
  collectGarbage();
  await nextMacrotask();
  const start = performance.now();
  let sent = 0;
  while (sent < n) {
    if (sent - tally.count > chunk) await within(tally.reached(sent - chunk), 120_000, `${contender.name} tell throughput`);
    const end = Math.min(n, sent + chunk);
    for (; sent < end; sent++) counter.tell(TICK);
    await nextMacrotask();
  }
  await within(tally.reached(n), 120_000, `${contender.name} tell throughput (counted ${tally.count} of ${n})`);
  const seconds = (performance.now() - start) / 1000;
  await counter.dispose();
  return n / seconds;
}

interface Latency {
  meanUs: number;
  p99Us: number;
}

async function sequentialAsks(ask: Ask, n: number, warmup: number, name: string): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await ask(i);
  collectGarbage();
  const samples = new Float64Array(n);
  let wrong = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const answer = await ask(i);
    samples[i] = performance.now() - t;
    if (answer !== answerTo(i)) wrong++;
  }
  if (wrong > 0) progress(`  ${name}: ${wrong} sequential asks answered wrongly`);
  let total = 0;
  for (const s of samples) total += s;
  samples.sort();
  const p99 = samples[Math.min(n - 1, Math.ceil(0.99 * n) - 1)]!;
  return { meanUs: (total / n) * 1000, p99Us: p99 * 1000 };
}

interface Concurrent {
  lost: number;
  crossed: number;
  ms: number;
}

/**
 * Issues `n` asks at once. An ask is lost when it rejects (its runtime timed it out or gave up) or is
 * still unanswered at the deadline; crossed when its answer is not the one its request called for.
 * The time runs from the first request to the last answer received.
 */
async function concurrentAsks(ask: Ask, n: number, deadlineMs: number): Promise<Concurrent> {
  collectGarbage();
  let answered = 0;
  let crossed = 0;
  let settled = 0;
  let lastAnswer = 0;
  const all = deferred();
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    ask(i).then(
      (answer) => {
        lastAnswer = performance.now();
        answered++;
        if (answer !== answerTo(i)) crossed++;
        if (++settled === n) all.resolve();
      },
      () => {
        if (++settled === n) all.resolve();
      },
    );
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all.promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
  clearTimeout(timer);
  return { lost: n - answered, crossed, ms: answered === 0 ? Number.NaN : lastAnswer - start };
}

// ---- the suite ------------------------------------------------------------------------------------------

export async function run(opts: BenchOptions): Promise<void> {
  const sizes = opts.quick ? QUICK : FULL;
  const began = performance.now();
  progress(
    `runtime${opts.quick ? ' (quick)' : ''}: ${fmt(sizes.tells)} tells x${sizes.repeats}, ${fmt(sizes.seqAsks)} sequential asks, ` +
      `${fmt(sizes.concurrentAsks)} concurrent asks, ${fmt(sizes.heapMessages)} queued messages`,
  );

  const contenders: Contender[] = [oursContender(sizes), bareContender(), await nactContender(sizes), await comedyContender()];
  const names = contenders.map((c) => c.name);

  // 1. tell throughput: first two unmeasured quarter-size runs each, so every contender is measured
  // with its hot paths compiled; then repetitions interleaved across contenders so drift hits them
  // all alike.
  for (const c of contenders) {
    for (let w = 0; w < 2; w++) await tellThroughput(c, Math.ceil(sizes.tells / 4), sizes.chunk);
  }
  const throughput = new Map<string, number>(names.map((name) => [name, 0]));
  for (let r = 1; r <= sizes.repeats; r++) {
    for (const c of contenders) {
      const rate = await tellThroughput(c, sizes.tells, sizes.chunk);
      throughput.set(c.name, Math.max(throughput.get(c.name)!, rate));
      progress(`tell throughput run ${r}/${sizes.repeats} ${c.name}: ${fmt(rate / 1e6, 3)} M msgs/s`);
    }
  }

  // 2 and 3: asks.
  const latency = new Map<string, Latency>();
  const concurrent = new Map<string, Concurrent>();
  for (const c of contenders) {
    const ask = await c.echo();
    const l = await sequentialAsks(ask, sizes.seqAsks, sizes.seqWarmup, c.name);
    latency.set(c.name, l);
    progress(`sequential ask ${c.name}: mean ${fmt(l.meanUs, 2)} us, p99 ${fmt(l.p99Us, 2)} us`);
    await nextMacrotask();
    const k = await concurrentAsks(await c.echo(), sizes.concurrentAsks, sizes.askTimeoutMs + 2_000);
    concurrent.set(c.name, k);
    progress(`${fmt(sizes.concurrentAsks)} concurrent asks ${c.name}: ${fmt(k.ms, 1)} ms, lost ${k.lost}, crossed ${k.crossed}`);
  }

  // 4. heap per queued message.
  const heap = new Map<string, number>();
  for (const c of contenders) {
    await nextMacrotask();
    const bytes = await c.heapPerQueuedMessage(sizes.heapMessages);
    heap.set(c.name, bytes);
    progress(`heap per queued message ${c.name}: ${fmt(bytes, 1)} B`);
  }

  for (const c of contenders) await c.close();

  const figures: Figure[] = [];
  const peers = names.filter((n) => n !== 'ours');
  const each = (metric: string, unit: string, value: (name: string) => number): void => {
    for (const peer of peers) figures.push(figure(SUITE, metric, value('ours'), unit, { name: peer, value: value(peer) }));
  };
  each('tell throughput', 'msgs/s', (n) => throughput.get(n)!);
  each('sequential ask mean', 'us', (n) => latency.get(n)!.meanUs);
  each('sequential ask p99', 'us', (n) => latency.get(n)!.p99Us);
  each('concurrent asks time', 'ms', (n) => concurrent.get(n)!.ms);
  each('concurrent asks lost', 'replies', (n) => concurrent.get(n)!.lost);
  each('concurrent asks crossed', 'replies', (n) => concurrent.get(n)!.crossed);
  each('heap per queued message', 'bytes', (n) => heap.get(n)!);
  figures.push(figure(SUITE, 'ours vs bare queue throughput share', throughput.get('ours')! / throughput.get('bare-queue')!, 'x'));

  report(
    `runtime${opts.quick ? ' (quick)' : ''}: ${fmt(sizes.tells)} tells in chunks of ${fmt(sizes.chunk)} (best of ${sizes.repeats} after 2 warm-up runs); ` +
      `${fmt(sizes.seqAsks)} sequential asks; ${fmt(sizes.concurrentAsks)} concurrent asks (time to last reply); ` +
      `${fmt(sizes.heapMessages)} queued tells of one message (Node ${process.version})`,
    figures,
  );
  progress(`runtime suite took ${fmt((performance.now() - began) / 1000, 1)} s`);
}
