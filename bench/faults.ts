// `npm run bench -- faults [--quick]`: how faults stay where they happen, as figures (not pass/fail):
//   1. graph write availability while one shard stalls for 12 s (past the 10 s part timeout), under
//      an open-loop load of 400 updates/s to random nodes over 4 shards on PostgreSQL: the share of
//      writes to the healthy shards that succeed during the stall, the writes per second they keep
//      getting, the share of writes to the stalled shard, and the time from the stall's end to full
//      service (every write sent after it succeeds). --quick: a 3 s stall past a 2 s part timeout.
//   2. restarts caused per injected fault under load: a shard stalled, a shard thrown into once, a
//      shard killed, the router killed; then a shard thrown into 1,000 times (its restarts, whether
//      a restart limit tripped, and the share of writes to the other shards that fail meanwhile).
//   3. physics engine restarts (the CPU engine, two worker threads, a 2k-node layout): RSS after a
//      warm-up and every tenth of 100 more kills of the engine, half of them landing again while the
//      new engine is still starting its workers, as a least-squares slope per 100 restarts, and the
//      process's threads before and after; then frames per 5 s window with a kill every 3 s against
//      the same layout left alone, the time from a kill to the next frame, and when the layout left
//      alone comes to rest, to tell the layout settling from the restarts.
//   4. start-to-ready (spawn to /readyz 200) on a new and on an existing store, PGlite and
//      PostgreSQL, as `npm start` runs the node; and SIGTERMs sent at random moments of a start that
//      do not exit 0.
// Targets from issue 19 are printed as `"peer":"target"` lines (lower is better for each).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { GraphAck, GraphRouterMsg, GraphStats } from '../src/actors/graph-router.ts';
import type { PhysicsFrame, PhysicsMsg, PhysicsStats } from '../src/actors/physics-messages.ts';
import { physicsActor } from '../src/actors/physics.ts';
import { cpuCandidate } from '../src/actors/physics-engines.ts';
import { Partitioner } from '../src/graph/partition.ts';
import { graphSubsystemParts } from '../src/supervisors/app-tree.ts';
import type { TopologyChange, TopologySubscription } from '../src/graph/topology.ts';
import { engineFallbackDecider, EngineSelector } from '../src/physics/engine-selector.ts';
import { barabasiAlbert, toTopology } from '../src/physics/generators.ts';
import type { RuntimeEvent } from '../src/runtime/events.ts';
import { ActorSystem } from '../src/runtime/system.ts';
import { openStoreOn, type Store } from '../src/storage/open-store.ts';
import { pgClient } from '../src/storage/pg-client.ts';
import { childSpec, type ChildSpec } from '../src/supervisors/child-spec.ts';
import { Strategies } from '../src/supervisors/strategy.ts';
import { supervisorSpec, type SupervisorMsg } from '../src/supervisors/supervisor.ts';
import { mulberry32 } from '../test/helpers/mulberry32.ts';
import { figure, progress, report, type Figure } from './report.ts';
import type { BenchOptions } from './run.ts';

const SUITE = 'faults';
const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- a throwaway PostgreSQL database ---------------------------------------------------------------

async function throwawayDb(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `vf_bench_faults_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: PG_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

// ---- 1 and 2: the graph under load -------------------------------------------------------------------

const SHARDS = 4;
const NODES = 400;

interface Write {
  readonly shard: number;
  readonly sentAt: number;
  readonly ok: boolean;
}

interface GraphRig {
  readonly system: ActorSystem;
  readonly shardPaths: readonly string[];
  readonly routerPath: string;
  readonly events: RuntimeEvent[];
  update(command: unknown): Promise<GraphAck>;
  stop(): Promise<void>;
}

async function graphRig(store: Store): Promise<GraphRig> {
  const system = new ActorSystem({ name: 'bench-faults' });
  const parts = graphSubsystemParts({ store, shards: SHARDS, mountPath: '/graph' });
  const spec = supervisorSpec('graph', Strategies.oneForOne(), parts.children) as unknown as ChildSpec<SupervisorMsg>;
  system.spawn(spec.factory, spec);
  const router = system.lookup<GraphRouterMsg>(parts.routerPath)!;
  const events: RuntimeEvent[] = [];
  system.events.subscribe((e) => {
    if (e.type === 'actor-restarted' || e.type === 'actor-failed' || e.type === 'restart-intensity-exceeded' || e.type === 'fault-injected')
      events.push(e);
  });
  const update = (command: unknown): Promise<GraphAck> =>
    system
      .ask<GraphRouterMsg, GraphAck>(router, (replyTo) => ({ type: 'update', command, replyTo }), 30_000)
      .catch((error: unknown): GraphAck => ({ ok: false, error: { code: 'closed', message: String(error) } }));
  await system.ask<GraphRouterMsg, GraphStats>(router, (replyTo) => ({ type: 'stats', replyTo }), 60_000);
  const ack = await update({
    op: 'batch',
    ops: Array.from({ length: NODES }, (_, id) => ({ op: 'add-node', node: { id, title: `n${id}` } })),
  });
  if (!ack.ok) throw new Error(ack.error.message);
  return {
    system,
    shardPaths: parts.shardPaths,
    routerPath: parts.routerPath,
    events,
    update,
    stop: async () => void (await system.terminate()),
  };
}

/**
 * Writes at `perSecond` (open loop: as many clients would, none waiting for another's answer),
 * updating random nodes, until `stop()`; each write's answer is recorded when it comes.
 */
function openLoad(rig: GraphRig, perSecond: number): { readonly writes: Write[]; stop(): Promise<void> } {
  const partitioner = new Partitioner(SHARDS);
  const writes: Write[] = [];
  const inFlight = new Set<Promise<void>>();
  const random = mulberry32(6);
  const started = performance.now();
  let sent = 0;
  let n = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * perSecond);
    for (; sent < due; sent++) {
      const id = Math.floor(random() * NODES);
      const sentAt = performance.now();
      const p: Promise<void> = rig.update({ op: 'update-node', id, patch: { title: `o${n++}` } }).then((ack) => {
        writes.push({ shard: partitioner.shardOfNode(id), sentAt, ok: ack.ok });
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
  }, 10);
  return {
    writes,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}

/** `inFlight` writers updating random nodes until `stop()` says so. */
function writeLoad(rig: GraphRig, inFlight = 16): { readonly writes: Write[]; stop(): Promise<void> } {
  const partitioner = new Partitioner(SHARDS);
  const writes: Write[] = [];
  let running = true;
  const random = mulberry32(5);
  const writers = Array.from({ length: inFlight }, async () => {
    for (let n = 0; running; n++) {
      const id = Math.floor(random() * NODES);
      const sentAt = performance.now();
      const ack = await rig.update({ op: 'update-node', id, patch: { title: `t${n}` } });
      writes.push({ shard: partitioner.shardOfNode(id), sentAt, ok: ack.ok });
      // Failed writes come back at once: pace them like a client's retry would.
      if (!ack.ok) await sleep(20);
    }
  });
  return {
    writes,
    stop: async () => {
      running = false;
      await Promise.all(writers);
    },
  };
}

export async function stallSection(quick: boolean): Promise<Figure[]> {
  const partTimeoutMs = quick ? 2_000 : 10_000;
  const stallMs = quick ? 3_000 : 12_000;
  const db = await throwawayDb();
  const store = await openStoreOn(pgClient(db.url), db.url, { groupCommit: { partTimeoutMs } });
  const rig = await graphRig(store);
  const stalled = 1;
  try {
    const load = openLoad(rig, quick ? 200 : 400);
    await sleep(1_000);
    rig.system.faults.inject(rig.shardPaths[stalled]!, { kind: 'stall', durationMs: stallMs, times: 1 });
    await sleep(stallMs + (quick ? 3_000 : 5_000));
    await load.stop();
    const injected = rig.events.find((e) => e.type === 'fault-injected') as { time: number } | undefined;
    const start = injected?.time ?? 0;
    const end = start + stallMs;
    const during = load.writes.filter((w) => w.sentAt >= start && w.sentAt < end);
    const healthy = during.filter((w) => w.shard !== stalled);
    const toStalled = during.filter((w) => w.shard === stalled);
    const share = (ws: readonly Write[]): number => (ws.length === 0 ? 0 : (100 * ws.filter((w) => w.ok).length) / ws.length);
    // Full service: from the stall's end, the first moment after which every write succeeded.
    const lastFailure = load.writes.filter((w) => !w.ok && w.sentAt >= end).reduce((m, w) => Math.max(m, w.sentAt), end);
    const recovery = lastFailure - end;
    const restarts = rig.events.filter((e) => e.type === 'actor-restarted').length;
    progress(
      `stall: ${healthy.length} writes to healthy shards during it, ${toStalled.length} to the stalled one; ${load.writes.length} in all`,
    );
    const before = load.writes.filter((w) => w.sentAt < start && w.shard !== stalled);
    return [
      figure(SUITE, `writes to healthy shards that succeed during a ${stallMs / 1000} s stall of one shard`, share(healthy), '%'),
      figure(SUITE, `writes to healthy shards that fail during the stall`, 100 - share(healthy), '%', { name: 'target', value: 1 }),
      figure(
        SUITE,
        `writes per second to healthy shards during the stall (offered: ${quick ? 200 : 400}/s to all shards)`,
        healthy.length / (stallMs / 1000),
        'writes/s',
      ),
      figure(
        SUITE,
        'writes per second to healthy shards before the stall',
        before.length / ((start - (load.writes[0]?.sentAt ?? start)) / 1000 || 1),
        'writes/s',
      ),
      figure(SUITE, `writes to the stalled shard that succeed during the stall`, share(toStalled), '%'),
      figure(SUITE, "time from the stall's end to full service", recovery, 'ms', { name: 'target', value: 1_000 }),
      figure(SUITE, 'restarts caused by the stall', restarts, 'restarts'),
    ];
  } finally {
    await rig.stop();
    await store.close();
    await db.drop();
  }
}

export async function restartsPerFault(quick: boolean): Promise<Figure[]> {
  const db = await throwawayDb();
  const store = await openStoreOn(pgClient(db.url), db.url, { groupCommit: { partTimeoutMs: quick ? 2_000 : 10_000 } });
  const rig = await graphRig(store);
  const figures: Figure[] = [];
  try {
    const load = writeLoad(rig, 8);
    const count = async (name: string, fault: () => void, settleMs: number): Promise<void> => {
      const before = rig.events.length;
      fault();
      await sleep(settleMs);
      const restarts = rig.events.slice(before).filter((e) => e.type === 'actor-restarted').length;
      figures.push(
        figure(
          SUITE,
          `restarts caused by one fault: ${name}`,
          restarts,
          'restarts',
          name.startsWith('stall') ? undefined : { name: 'target', value: 1 },
        ),
      );
    };
    await sleep(500);
    await count(
      'stall 1 s, shard 0',
      () => rig.system.faults.inject(rig.shardPaths[0]!, { kind: 'stall', durationMs: 1_000, times: 1 }),
      3_000,
    );
    await count('throw once, shard 1', () => rig.system.faults.inject(rig.shardPaths[1]!, { kind: 'throw', times: 1 }), 2_000);
    await count('kill, shard 2', () => rig.system.faults.kill(rig.shardPaths[2]!), 2_000);
    await count('kill, router', () => rig.system.faults.kill(rig.routerPath), 3_000);
    const before = rig.events.length;
    const loopMs = quick ? 5_000 : 20_000;
    rig.system.faults.inject(rig.shardPaths[3]!, { kind: 'throw', times: 1_000 });
    const mark = load.writes.length;
    await sleep(loopMs);
    rig.system.faults.clear(rig.shardPaths[3]!);
    const looping = rig.events.slice(before);
    const others = load.writes.slice(mark).filter((w) => w.shard !== 3);
    figures.push(
      figure(
        SUITE,
        `restarts of a shard thrown into 1,000 times, over ${loopMs / 1000} s`,
        looping.filter((e) => e.type === 'actor-restarted').length,
        'restarts',
      ),
      figure(
        SUITE,
        'restart limits tripped meanwhile',
        looping.filter((e) => e.type === 'restart-intensity-exceeded').length,
        'escalations',
        { name: 'target', value: 0 },
      ),
      figure(
        SUITE,
        'writes to the other shards that fail meanwhile',
        others.length === 0 ? 0 : (100 * others.filter((w) => !w.ok).length) / others.length,
        '%',
        { name: 'target', value: 1 },
      ),
    );
    await sleep(2_000);
    await load.stop();
    return figures;
  } finally {
    await rig.stop();
    await store.close();
    await db.drop();
  }
}

// ---- 3: physics engine restarts ---------------------------------------------------------------------

const ENGINE_PATH = '/compute/physics/engine';
const PHYSICS_PATH = '/compute/physics';

function rssMb(): number {
  return process.memoryUsage().rss / (1 << 20);
}

function threads(): number {
  const m = /Threads:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m === null ? Number.NaN : Number(m[1]);
}

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(200);
  }
  return rssMb();
}

interface PhysicsRun {
  /** RSS (MB, after GC) read every tenth of the kills after warm-up: [restarts so far, MB]. */
  readonly rssSamples: readonly (readonly [number, number])[];
  readonly rssWarm: number;
  readonly rssEnd: number;
  readonly threadsWarm: number;
  readonly threadsEnd: number;
  readonly restarts: number;
  /** Frames the subscriber got in each 5 s window. */
  readonly frameWindows: readonly number[];
  /** From each kill to the next frame. */
  readonly gapsMs: readonly number[];
  /** From each restart's end of backoff to the new engine's start (its worker threads up). */
  readonly startsMs: readonly number[];
  readonly seconds: number;
}

interface PhysicsPlan {
  /** Kills of the engine child; 0: the control run. */
  readonly kills: number;
  /** Kills before RSS and threads are first read. */
  readonly warm: number;
  /** Every second kill lands again while the new engine is still starting its workers. */
  readonly whileStarting: boolean;
  /** Kill every this many ms (undefined: as soon as the last restart steps again). */
  readonly everyMs?: number;
  /** How long the control run lasts. */
  readonly seconds?: number;
}

/**
 * A physics actor with the CPU worker engine over a 2k-node graph and a 60 Hz frame subscriber;
 * the engine child is killed as `plan` says. The engine's restart limit is lifted here, so that
 * the kills measure restarts and not an escalation.
 */
async function physicsRun(plan: PhysicsPlan): Promise<PhysicsRun> {
  const system = new ActorSystem({ name: 'bench-physics' });
  const graph = toTopology(barabasiAlbert(2_000, 2, mulberry32(9)));
  const reset: TopologyChange = { type: 'reset', version: 1, nodes: graph.nodes, edges: graph.edges };
  const topology = system.spawn<TopologySubscription>(
    () => ({ receive: (m) => void (m.type === 'subscribe-topology' && m.subscriber.tell(reset)) }),
    { name: 'topology' },
  );
  const selector = new EngineSelector([cpuCandidate(2)]);
  const physics = childSpec(physicsActor({ selector, topology }), {
    name: 'physics',
    mailbox: { capacity: 100_000, overflow: 'reject' },
    supervision: Strategies.oneForOne({
      decider: engineFallbackDecider(selector),
      backoff: { minMs: 20, maxMs: 200, randomFactor: 0, resetAfterMs: 30_000, stashCapacity: 16 },
      intensity: { maxRestarts: 100_000, withinMs: 60_000 },
    }),
  });
  const spec = supervisorSpec('compute', Strategies.oneForOne(), [physics]) as unknown as ChildSpec<SupervisorMsg>;
  system.spawn(spec.factory, spec);
  const physicsRef = system.lookup<PhysicsMsg>(PHYSICS_PATH)!;
  let frames = 0;
  /** When the first frame since the engine last started came (0: none yet). */
  let firstFrameAfterKill = 0;
  const subscriber = system.spawn<PhysicsFrame>(
    () => ({
      receive: () => {
        frames++;
        if (firstFrameAfterKill === 0) firstFrameAfterKill = performance.now();
      },
    }),
    { name: 'frames' },
  );
  physicsRef.tell({ type: 'subscribe-frames', subscriber, hz: 60 });
  const started: number[] = [];
  const scheduled: { delayMs: number; at: number }[] = [];
  system.events.subscribe((e) => {
    if (e.type === 'actor-started' && e.path === ENGINE_PATH) {
      started.push(performance.now());
      // Frames sent before the new engine ran are not frames it made.
      firstFrameAfterKill = 0;
    }
    if (e.type === 'restart-scheduled' && e.path === ENGINE_PATH) scheduled.push({ delayMs: e.delayMs, at: performance.now() });
  });
  const stats = (): Promise<PhysicsStats> =>
    system.ask<PhysicsMsg, PhysicsStats>(physicsRef, (replyTo) => ({ type: 'stats', replyTo }), 10_000);
  const stepping = async (): Promise<void> => {
    const from = (await stats()).ticks;
    for (let i = 0; i < 300; i++) {
      const now = await stats();
      if (now.ticks >= from + 3 || now.sleeping) return;
      await sleep(10);
    }
  };
  await stepping();
  const t0 = performance.now();
  const frameWindows: number[] = [];
  const windowTimer = setInterval(() => {
    frameWindows.push(frames);
    frames = 0;
  }, 5_000);
  const gapsMs: number[] = [];
  const startsMs: number[] = [];
  const rssSamples: [number, number][] = [];
  const sampleEvery = Math.max(1, Math.floor((plan.kills - plan.warm) / 10));
  let rssWarm = 0;
  let threadsWarm = 0;
  try {
    if (plan.kills === 0) {
      await sleep((plan.seconds ?? 10) * 1000);
      rssWarm = await settledRss();
      threadsWarm = threads();
    }
    for (let i = 0; i < plan.kills; i++) {
      if (i === plan.warm) {
        rssWarm = await settledRss();
        threadsWarm = threads();
      }
      if (i >= plan.warm && (i - plan.warm) % sampleEvery === 0)
        rssSamples.push([i - plan.warm, i === plan.warm ? rssWarm : await settledRss()]);
      const before = started.length;
      const scheduledBefore = scheduled.length;
      const killedAt = performance.now();
      firstFrameAfterKill = 0;
      system.faults.kill(ENGINE_PATH);
      if (plan.whileStarting && i % 2 === 1) {
        for (let w = 0; scheduled.length === scheduledBefore && w < 2_000; w++) await sleep(1);
        await sleep((scheduled[scheduledBefore]?.delayMs ?? 0) + 15);
        system.faults.kill(ENGINE_PATH);
      }
      for (let w = 0; started.length === before && w < 2_000; w++) await sleep(5);
      if (started.length > before && scheduled.length > scheduledBefore)
        startsMs.push(started.at(-1)! - scheduled.at(-1)!.at - scheduled.at(-1)!.delayMs);
      await stepping();
      for (let w = 0; firstFrameAfterKill === 0 && w < 400; w++) await sleep(5);
      // None: the layout has come to rest, and a new engine does not wake it.
      if (firstFrameAfterKill !== 0) gapsMs.push(firstFrameAfterKill - killedAt);
      if (plan.everyMs !== undefined) await sleep(Math.max(0, killedAt + plan.everyMs - performance.now()));
    }
  } finally {
    clearInterval(windowTimer);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const rssEnd = await settledRss();
  if (plan.kills > 0) rssSamples.push([plan.kills - plan.warm, rssEnd]);
  const threadsEnd = threads();
  await system.terminate();
  return {
    rssSamples,
    rssWarm,
    rssEnd,
    threadsWarm,
    threadsEnd,
    restarts: started.length - 1,
    frameWindows,
    gapsMs,
    startsMs,
    seconds: elapsed,
  };
}

export async function physicsSection(quick: boolean): Promise<Figure[]> {
  const kills = quick ? 24 : 100;
  const warm = quick ? 4 : 30;
  const leak = await physicsRun({ kills: kills + warm, warm, whileStarting: true });
  progress(
    `physics: ${leak.restarts} engine restarts in ${leak.seconds.toFixed(1)} s; RSS ${leak.rssWarm.toFixed(1)} -> ${leak.rssEnd.toFixed(1)} MB; threads ${leak.threadsWarm} -> ${leak.threadsEnd}`,
  );
  // Frames: a fresh layout with a kill every 3 s while it still moves, against the same layout left
  // alone for twice as long (long enough to come to rest).
  const paced = quick ? 6 : 15;
  const killed = await physicsRun({ kills: paced, warm: 0, whileStarting: false, everyMs: 3_000 });
  const control = await physicsRun({ kills: 0, warm: 0, whileStarting: false, seconds: 2 * Math.round(killed.seconds) });
  progress(`physics frames per 5 s window, without kills: ${control.frameWindows.join(' ')}`);
  progress(`physics frames per 5 s window, a kill every 3 s: ${killed.frameWindows.join(' ')}`);
  const restAt = control.frameWindows.findIndex((f) => f === 0);
  // The least-squares slope over the samples: the allocator keeps freed memory and gives it back
  // in steps (MALLOC_TRIM_THRESHOLD_ is 64 MB here), so two readings alone say little.
  const perHundred = slope(leak.rssSamples) * 100;
  const readings = leak.rssSamples.map(([, mb]) => mb);
  progress(`physics RSS samples (restarts, MB): ${leak.rssSamples.map(([n, mb]) => `${n}:${mb.toFixed(0)}`).join(' ')}`);
  const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  return [
    figure(
      SUITE,
      `physics engine restarts measured, half of the kills while the engine starts (after ${warm} to warm up)`,
      kills,
      'restarts',
    ),
    figure(SUITE, 'RSS after warm-up', leak.rssWarm, 'MB'),
    figure(SUITE, `RSS after ${kills} more engine restarts`, leak.rssEnd, 'MB'),
    figure(SUITE, 'RSS growth per 100 physics engine restarts (slope over the samples)', perHundred, 'MB', { name: 'target', value: 5 }),
    figure(SUITE, 'RSS range over the samples after warm-up', Math.max(...readings) - Math.min(...readings), 'MB'),
    figure(SUITE, 'process threads after warm-up', leak.threadsWarm, 'threads'),
    figure(SUITE, 'process threads after the restarts', leak.threadsEnd, 'threads'),
    figure(SUITE, 'engine restart: kill to the next position frame', mean(killed.gapsMs), 'ms'),
    figure(SUITE, "engine restart: new engine's start (worker threads up)", mean(killed.startsMs), 'ms'),
    figure(
      SUITE,
      `frames per 5 s window without kills, first ${killed.frameWindows.length * 5} s`,
      mean(control.frameWindows.slice(0, killed.frameWindows.length)),
      'frames',
    ),
    figure(
      SUITE,
      `frames per 5 s window with a kill every 3 s, same ${killed.frameWindows.length * 5} s`,
      mean(killed.frameWindows),
      'frames',
    ),
    figure(SUITE, 'the layout without kills comes to rest (no more frames) after', restAt < 0 ? Number.NaN : restAt * 5, 's'),
  ];
}

// ---- 4: start-to-ready and SIGTERM at random moments -------------------------------------------------

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

interface Started {
  readonly readyAfterMs: number | undefined;
  readonly exit: { code: number | null; signal: string | null };
}

/**
 * `npm start` as `npm start` runs it, until /readyz says 200 (then SIGTERM), or until `sigtermAfterMs`
 * (a SIGTERM at that moment, ready or not).
 */
async function startNode(env: Record<string, string>, sigtermAfterMs?: number): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import=./src/cli/hold-signals.mjs', '--import=tsx', 'src/cli/start.ts'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', VF_DEMO: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const t0 = performance.now();
  let readyAfterMs: number | undefined;
  let done = false;
  void exited.then(() => (done = true));
  if (sigtermAfterMs !== undefined) {
    await sleep(sigtermAfterMs);
  } else {
    while (!done && performance.now() - t0 < 180_000) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) {
          readyAfterMs = performance.now() - t0;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(10);
    }
  }
  child.kill('SIGTERM');
  const exit = await Promise.race([exited, sleep(60_000).then(() => ({ code: null, signal: 'hung' }))]);
  if (exit.signal === 'hung') child.kill('SIGKILL');
  if (sigtermAfterMs === undefined && readyAfterMs === undefined) progress(`a start never got ready: ${stderr.slice(-500)}`);
  return { readyAfterMs, exit };
}

export async function startSection(quick: boolean): Promise<Figure[]> {
  const figures: Figure[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vf-bench-start-'));
  const db = await throwawayDb();
  try {
    const stores: [string, Record<string, string>][] = [
      ['PGlite', { VF_DATA_DIR: join(dir, 'pglite'), DATABASE_URL: '' }],
      ['PostgreSQL', { DATABASE_URL: db.url }],
    ];
    for (const [name, env] of stores) {
      const fresh = await startNode(env);
      const again = await startNode(env);
      figures.push(
        figure(SUITE, `start to ready, new store, ${name}`, fresh.readyAfterMs ?? Number.NaN, 'ms'),
        figure(SUITE, `restart to ready (the node started again on its store), ${name}`, again.readyAfterMs ?? Number.NaN, 'ms'),
      );
      progress(`${name}: ready after ${fresh.readyAfterMs?.toFixed(0)} ms new, ${again.readyAfterMs?.toFixed(0)} ms again`);
    }
    const tries = quick ? 4 : 10;
    const random = mulberry32(23);
    const upMs = figures[1]!.value;
    let clean = 0;
    for (let i = 0; i < tries; i++) {
      // From 400 ms: before that Node itself is starting and runs no JavaScript that could catch it.
      const at = 400 + Math.floor(random() * upMs);
      const r = await startNode(stores[0]![1], at);
      if (r.exit.code === 0 && r.exit.signal === null) clean++;
      else progress(`SIGTERM ${at} ms after spawn: ${JSON.stringify(r.exit)}`);
    }
    figures.push(
      figure(SUITE, `SIGTERMs at random moments of a start (PGlite) that do not exit 0, of ${tries}`, tries - clean, 'exits', {
        name: 'target',
        value: 0,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  }
  return figures;
}

export async function run(options: BenchOptions): Promise<void> {
  const quick = options.quick;
  const load = loadavg();
  progress(`load average at start: ${load.map((l) => l.toFixed(2)).join(', ')}`);
  const figures: Figure[] = [figure(SUITE, 'load average (1 min) at start', load[0]!, 'load')];
  progress('graph: one shard stalled under write load');
  figures.push(...(await stallSection(quick)));
  progress('graph: restarts per injected fault');
  figures.push(...(await restartsPerFault(quick)));
  progress('physics: engine restarts');
  figures.push(...(await physicsSection(quick)));
  progress('start-to-ready and SIGTERM');
  figures.push(...(await startSection(quick)));
  figures.push(figure(SUITE, 'load average (1 min) at the end', loadavg()[0]!, 'load'));
  report('faults: faults stay where they happen', figures);
}
