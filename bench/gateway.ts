// `npm run bench -- gateway [--quick]`: the WebSocket gateway under load. The server (this process)
// runs the gateway actor with a fake layout of 10k nodes ticking at 60 Hz (10% of the nodes in
// visible motion each tick, the rest settled with jitter under the delta threshold), a fake graph
// port whose updates pin a node in that layout and are broadcast, and the real settings actor on an
// in-memory delta log. The load generator (bench/gateway-load.ts) runs in a separate process.
//
// Figures: clients served and the frames per second each got; frame lag p50/p95/p99 (client receipt
// minus the time the layout made the snapshot, same machine clock); server CPU (process.cpuUsage
// over the window, % of one core) and memory; update-to-client latency (A's node move -> B's
// position stream shows it) and the graph-event broadcast; settings broadcast latency, beside the
// floor for any message from one client to another on this machine under the same load (a bare
// ws relay in this process, timed by the same probe); and a stalled reader's cost: its buffered
// bytes in frames while big frames overflow the kernel's socket buffers.
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { gateway, GATEWAY_SCHEDULING, type GatewayMsg, type GatewayStatsView } from '../src/actors/gateway.ts';
import { settingsActor, SETTINGS_SCHEDULING } from '../src/actors/settings.ts';
import { TokenAuthority } from '../src/auth/token.ts';
import type { FrameSource, GraphPort, GraphChanged, PositionSnapshot, PositionTick } from '../src/gateway/ports.ts';
import type { FrameInfo } from '../src/gateway/stream-group.ts';
import { GraphOp, type UpdateNodeT } from '../src/protocol/index.ts';
import type { Ref } from '../src/runtime/ref.ts';
import { ActorSystem } from '../src/runtime/system.ts';
import { InMemoryDeltaLog } from '../src/settings/delta-log.ts';
import type { BenchOptions } from './run.ts';
import { hostCpuWindow } from './host-cpu.ts';
import { figure, progress, report, type Figure } from './report.ts';
import type { LoadResult, LoadToParent, ParentToLoad } from './gateway-load.ts';
import { scopesOf } from '../test/fixtures/change-scopes.ts';

const NODES = 10_000;
const HZ = 60;
const MOVING = 0.1;
/** Ticks in one period of the stand-in layout's motion: 2 s at 60 Hz. */
const CYCLE = 2 * HZ;

/** A layout that ticks at `hz` on its own timer; fresh arrays every tick (snapshots are immutable). */
class FakeLayout implements FrameSource {
  private readonly subscribers = new Set<Ref<PositionTick>>();
  private readonly base: Float32Array;
  private readonly amplitude: Float32Array;
  private readonly phase: Float32Array;
  private readonly cycle: Float32Array[];
  readonly ids: Uint32Array;
  readonly kinds: Uint8Array;
  readonly pinned = new Map<number, [number, number, number]>();
  private timer: NodeJS.Timeout | undefined;
  private latest: PositionSnapshot | undefined;
  ticks = 0;

  constructor(readonly n: number) {
    this.base = new Float32Array(3 * n);
    this.amplitude = new Float32Array(n);
    this.phase = new Float32Array(n);
    this.ids = Uint32Array.from({ length: n }, (_, i) => i + 1);
    this.kinds = Uint8Array.from({ length: n }, (_, i) => i % 7);
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < 3; a++) this.base[3 * i + a] = (rnd() - 0.5) * 1000;
      this.amplitude[i] = rnd() < MOVING ? 20 : 0.05;
      this.phase[i] = rnd() * Math.PI * 2;
    }
    // One period of the motion (0.5 Hz at HZ ticks a second); fewer, coarser steps where a period
    // would take more than 64 MiB (the 200k-node stall scenario, where the motion hardly matters).
    const steps = Math.max(2, Math.min(CYCLE, Math.floor((64 << 20) / (12 * n))));
    this.cycle = Array.from({ length: steps }, (_, k) => {
      const w = (2 * Math.PI * k) / steps;
      const p = new Float32Array(3 * n);
      for (let i = 0; i < n; i++) {
        const d = this.amplitude[i]! * Math.sin(w + this.phase[i]!);
        p[3 * i] = this.base[3 * i]! + d;
        p[3 * i + 1] = this.base[3 * i + 1]! + d;
        p[3 * i + 2] = this.base[3 * i + 2]!;
      }
      return p;
    });
  }

  subscribe(subscriber: Ref<PositionTick>): void {
    this.subscribers.add(subscriber);
    if (this.latest !== undefined) subscriber.tell({ type: 'positions', snapshot: this.latest });
  }

  unsubscribe(subscriber: Ref<PositionTick>): void {
    this.subscribers.delete(subscriber);
  }

  start(hz: number): void {
    const period = 1000 / hz;
    let next = performance.now();
    const loop = (): void => {
      this.tick();
      next += period;
      const now = performance.now();
      if (next < now - period) next = now; // fell far behind: do not burst
      this.timer = setTimeout(loop, Math.max(0, next - now));
    };
    loop();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private tick(): void {
    const t = performance.now();
    // The motion repeats every period and was laid out in advance: the real physics computes
    // on worker threads, so the producer must not charge its own arithmetic to the gateway's loop.
    const p = this.cycle[this.ticks % this.cycle.length]!.slice();
    for (const [index, [x, y, z]] of this.pinned) {
      p[3 * index] = x;
      p[3 * index + 1] = y;
      p[3 * index + 2] = z;
    }
    this.ticks++;
    this.latest = { epoch: 1, ids: this.ids, kinds: this.kinds, positions: p, time: t };
    for (const s of this.subscribers) s.tell({ type: 'positions', snapshot: this.latest });
  }
}

/** Applies node moves by pinning the node in the layout, and broadcasts every change. */
class FakeGraph implements GraphPort {
  private readonly subscribers = new Set<Ref<GraphChanged>>();
  private committed = 0;
  constructor(private readonly layout: FakeLayout) {}
  apply({ mutation, origin, replyTo, tag }: Parameters<GraphPort['apply']>[0]): void {
    if (mutation.kind === 'update' && mutation.update.opType === GraphOp.UpdateNode) {
      const node = (mutation.update.op as UpdateNodeT).node;
      if (node?.position) this.layout.pinned.set(node.id - 1, [node.position.x, node.position.y, node.position.z]);
    }
    const version = ++this.committed;
    const scopes = scopesOf(mutation, (id) => this.layout.kinds[id - 1] ?? -1);
    for (const s of this.subscribers) s.tell({ type: 'graph-changed', version, change: mutation, scopes, origin: origin.session });
    replyTo.tell({ type: 'graph-applied', answerTo: tag, result: { ok: true, version } });
  }
  async version() {
    return this.committed;
  }
  async node() {
    return undefined;
  }
  async neighbours() {
    return undefined;
  }
  async search() {
    return [];
  }
  async nodesById() {
    return [];
  }
  async edgePage(offset: number) {
    return { total: 0, offset, edges: [] };
  }
  async nodePage(offset: number) {
    return { total: 0, offset, nodes: [] };
  }
  subscribe(s: Ref<GraphChanged>): void {
    this.subscribers.add(s);
  }
  unsubscribe(s: Ref<GraphChanged>): void {
    this.subscribers.delete(s);
  }
}

/** A plain ws server in this process that forwards every message to its other clients at once. */
function bareRelay(): Promise<WebSocketServer> {
  return new Promise((resolve) => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    wss.on('connection', (ws) => {
      ws.on('message', (data: Buffer) => {
        for (const c of wss.clients) if (c !== ws && c.readyState === WebSocket.OPEN) c.send(data);
      });
    });
    wss.on('listening', () => resolve(wss));
  });
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Scenario {
  readonly clients: number;
  readonly nodes: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly stalled: number;
  readonly stallTimeoutMs: number;
}

async function scenario(s: Scenario) {
  const system = new ActorSystem({ name: 'bench' });
  const tokens = new TokenAuthority(Buffer.alloc(32, 3));
  const layout = new FakeLayout(s.nodes);
  const graph = new FakeGraph(layout);
  const frameTimes: { seqs: number[]; times: number[] } = { seqs: [], times: [] };
  let keyframeBytes = 0;
  const onPositionFrame = (f: FrameInfo): void => {
    if (f.snapshotTime === undefined) return;
    frameTimes.seqs.push(f.seq);
    frameTimes.times.push(performance.timeOrigin + f.snapshotTime);
    if (f.keyframe) keyframeBytes = Math.max(keyframeBytes, f.bytes);
  };
  system.spawn(settingsActor({ log: new InMemoryDeltaLog() }), { name: 'settings', ...SETTINGS_SCHEDULING });
  const ref = system.spawn(
    gateway({
      host: '127.0.0.1',
      port: 0,
      tokens,
      frames: layout,
      graph,
      settingsPath: '/settings',
      staticRoot: '/nonexistent',
      onPositionFrame,
      limits: { stallTimeoutMs: s.stallTimeoutMs, maxSessions: 100_000 },
    }),
    { name: 'gateway', ...GATEWAY_SCHEDULING },
  );
  const { port } = await system.ask<GatewayMsg, { port: number }>(ref, (replyTo) => ({ type: 'address', replyTo }), 10_000);
  const relay = await bareRelay();
  const stats = () => system.ask<GatewayMsg, GatewayStatsView>(ref, (replyTo) => ({ type: 'stats', replyTo }), 10_000);
  layout.start(HZ);

  const spawnClient = () =>
    fork(fileURLToPath(new URL('./gateway-load.ts', import.meta.url)), [], {
      execArgv: ['--import=tsx'],
      env: { ...process.env, VF_GATEWAY_LOAD: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  const child = spawnClient();
  const prober = spawnClient();
  const viewers = Array.from({ length: s.clients }, (_, i) => tokens.mint({ sub: `viewer-${i}`, role: 'viewer', ttlSeconds: 3600 }));
  const start: ParentToLoad & { type: 'start' } = {
    type: 'start',
    role: 'load',
    url: `ws://127.0.0.1:${port}/ws`,
    viewers,
    editor: tokens.mint({ sub: 'editor', role: 'editor', ttlSeconds: 3600 }),
    warmupMs: s.warmupMs,
    measureMs: s.measureMs,
    probeNode: 5,
    stalled: s.stalled,
    relayUrl: `ws://127.0.0.1:${(relay.address() as { port: number }).port}`,
  };
  child.send(start);
  const probed = new Promise<LoadResult>((resolve, reject) => {
    prober.on('message', (m: LoadToParent) => {
      if (m.type === 'done') resolve(m.result);
    });
    prober.on('exit', (code) => reject(new Error(`probe exited with ${code}`)));
  });
  prober.send({ ...start, role: 'probe' });
  const flush = setInterval(() => {
    if (frameTimes.seqs.length === 0) return;
    child.send({ type: 'frame-times', seqs: frameTimes.seqs.splice(0), times: frameTimes.times.splice(0) } satisfies ParentToLoad);
  }, 50);

  let cpu0 = process.cpuUsage();
  let host = hostCpuWindow();
  let t0 = performance.now();
  let ticks0 = 0;
  let peakRss = 0;
  let peakHeap = 0;
  let maxBufferedStalled = 0;
  // How long a socket event can wait for the server's event loop: the floor under every latency here.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed + m.external + m.arrayBuffers);
    stats().then(
      (v) => (maxBufferedStalled = Math.max(maxBufferedStalled, ...v.buffered)),
      () => undefined,
    );
  }, 200);
  const result = await new Promise<LoadResult>((resolve, reject) => {
    child.on('message', (m: LoadToParent) => {
      if (m.type === 'connected') progress(`${m.clients} clients connected`);
      if (m.type === 'measuring') {
        cpu0 = process.cpuUsage();
        host = hostCpuWindow();
        t0 = performance.now();
        ticks0 = layout.ticks;
        peakRss = 0;
        peakHeap = 0;
        loopDelay.enable();
      }
      if (m.type === 'done') resolve(m.result);
    });
    child.on('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
  });
  loopDelay.disable();
  const cpu = process.cpuUsage(cpu0);
  const hostShare = host();
  const wall = performance.now() - t0;
  const tickRate = ((layout.ticks - ticks0) * 1000) / wall;
  const probeResult = await probed;
  clearInterval(sampler);
  clearInterval(flush);
  const view = await stats();
  layout.stop();
  child.kill();
  prober.kill();
  for (const c of relay.clients) c.terminate();
  relay.close();
  await system.terminate();
  return {
    result: {
      ...result,
      updateToClientMs: probeResult.updateToClientMs,
      graphEventMs: probeResult.graphEventMs,
      settingsMs: probeResult.settingsMs,
      relayMs: probeResult.relayMs,
    },
    cpuPercent: (100 * (cpu.user + cpu.system)) / 1000 / wall,
    hostShare,
    tickRate,
    peakRss,
    peakHeap,
    view,
    keyframeBytes,
    maxBufferedStalled,
    // The histogram is in nanoseconds.
    loopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  };
}

export async function run(options: BenchOptions): Promise<void> {
  // VF_GATEWAY_CLIENTS overrides the client count (1: the latency floor of an unloaded server).
  const clients = process.env.VF_GATEWAY_CLIENTS !== undefined ? Number(process.env.VF_GATEWAY_CLIENTS) : options.quick ? 20 : 250;
  // 30 s: the latency probes are spaced 150 ms apart (a settings change must follow a quiet spell
  // to go out at once), so this gives 200 samples of each and a p99 that is not just the maximum.
  const measureMs = options.quick ? 3_000 : 30_000;
  progress(`gateway: ${clients} clients, ${NODES} nodes at ${HZ} Hz, ${measureMs} ms window`);
  const load = loadavg()[0]!;
  const main = await scenario({ clients, nodes: NODES, warmupMs: 2_000, measureMs, stalled: 2, stallTimeoutMs: 5_000 });
  const r = main.result;
  const suite = 'gateway';
  const figures: Figure[] = [
    figure(suite, 'clients served', r.clients, 'clients'),
    figure(suite, 'layout ticks per second (source)', main.tickRate, 'frames/s'),
    figure(suite, 'frames per second per client (min)', Math.min(...r.fpsPerClient), 'frames/s'),
    figure(suite, 'frames per second per client (mean)', r.fpsPerClient.reduce((a, b) => a + b, 0) / r.fpsPerClient.length, 'frames/s'),
    figure(suite, 'frame lag p50', percentile(r.frameLagsMs, 50), 'ms'),
    figure(suite, 'frame lag p95', percentile(r.frameLagsMs, 95), 'ms'),
    figure(suite, 'frame lag p99', percentile(r.frameLagsMs, 99), 'ms', { name: 'target', value: 20 }),
    figure(suite, 'frames dropped (slow readers)', main.view.counters.framesDropped, 'frames'),
    // Ticks that found the last frames still going out waited for them; a newer one replaced some.
    figure(suite, 'layout snapshots deferred (fan-out behind)', main.view.stats.snapshotsDeferred, 'snapshots'),
    figure(suite, 'layout snapshots skipped (replaced while deferred)', main.view.stats.snapshotsSkipped, 'snapshots'),
    figure(suite, 'server CPU', main.cpuPercent, '% of a core'),
    figure(suite, 'server event-loop delay p50', main.loopDelayMs.p50, 'ms'),
    figure(suite, 'server event-loop delay p99', main.loopDelayMs.p99, 'ms'),
    figure(suite, 'server event-loop delay max', main.loopDelayMs.max, 'ms'),
    // Context for the latency tails: the machine's CPU time stolen by the hypervisor, and left idle.
    figure(suite, 'host CPU stolen (steal) during window', main.hostShare?.stealPercent ?? NaN, '% of all CPU'),
    figure(suite, 'host CPU idle during window', main.hostShare?.idlePercent ?? NaN, '% of all CPU'),
    figure(suite, 'server RSS peak', main.peakRss / 2 ** 20, 'MiB'),
    figure(suite, 'server heap+external peak', main.peakHeap / 2 ** 20, 'MiB'),
    figure(suite, 'bytes to clients', r.bytesReceived / (measureMs / 1000) / 2 ** 20, 'MiB/s'),
    figure(suite, 'update-to-client p50 (position stream)', percentile(r.updateToClientMs, 50), 'ms'),
    figure(suite, 'update-to-client p99 (position stream)', percentile(r.updateToClientMs, 99), 'ms', { name: 'target', value: 35 }),
    figure(suite, 'graph event broadcast p99', percentile(r.graphEventMs, 99), 'ms'),
    figure(suite, 'settings broadcast p99', percentile(r.settingsMs, 99), 'ms', { name: 'target', value: 5 }),
    // The floor under the same load: one message in from a client and out to another through a
    // bare ws server in this process, timed by the same probe process between its settings probes.
    figure(suite, 'settings broadcast p50', percentile(r.settingsMs, 50), 'ms', {
      name: 'bare-ws-relay',
      value: percentile(r.relayMs, 50),
    }),
    figure(suite, 'settings broadcast p99', percentile(r.settingsMs, 99), 'ms', {
      name: 'bare-ws-relay',
      value: percentile(r.relayMs, 99),
    }),
    figure(suite, 'update probes', r.updateToClientMs.length, 'samples'),
    figure(suite, 'settings probes', r.settingsMs.length, 'samples'),
    figure(suite, 'keyframe size', main.keyframeBytes / 1024, 'KiB'),
    figure(suite, 'load average (1 min) at start', load, 'load'),
  ];
  // A stalled reader's cost: big frames (200k nodes) overflow the kernel's loopback buffers
  // (up to 32 MiB) in seconds; the user-space bytes held for the reader must stay <= 2 frames.
  progress('gateway: stalled readers with 200k-node frames');
  const stall = await scenario({
    clients: 2,
    nodes: 200_000,
    warmupMs: 500,
    measureMs: options.quick ? 6_000 : 10_000,
    stalled: 2,
    stallTimeoutMs: 2_000,
  });
  const stalledFrames = stall.keyframeBytes > 0 ? stall.maxBufferedStalled / stall.keyframeBytes : NaN;
  figures.push(
    figure(suite, 'stalled reader: max buffered', stall.maxBufferedStalled / 2 ** 20, 'MiB'),
    figure(suite, 'stalled reader: max buffered in frames', stalledFrames, 'frames', { name: 'target', value: 2 }),
    figure(suite, 'stalled readers disconnected', stall.view.stats.closes.filter((c) => c.reason.startsWith('stalled')).length, 'sessions'),
    figure(suite, 'stalled scenario: frames dropped', stall.view.counters.framesDropped, 'frames'),
  );
  report(`gateway: ${clients} clients, ${NODES} nodes at ${HZ} Hz (load average ${load.toFixed(2)})`, figures);
}
