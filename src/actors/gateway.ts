// The gateway: the node's one HTTP server and its WebSocket endpoint (/ws). Each upgraded socket
// gets a client-session actor of its own, supervised here (temporary: a crashed session is closed
// with 1011 and not restarted; the client reconnects). Position snapshots from the frame source
// arrive here and are fanned out by the position hub to every subscribed session's socket.
//
// Upgrades are checked before they complete (gateway-upgrade.ts). The Handshake's own token (and
// the session it resumes) and each Subscribe's position filter are checked by the session. The
// gateway's state record: gateway-state.ts; each message kind has its handler below.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { TokenAuthority } from '../auth/token.ts';
import { FANOUT_SCHEDULING, positionFanout } from './position-fanout.ts';
import { httpHandler } from '../gateway/http-api.ts';
import { DEFAULT_HTTP_LIMITS, limitConnections, serverOptions, type HttpLimits } from '../gateway/http-limits.ts';
import { DEFAULT_LIMITS, type GatewayLimits } from '../gateway/limits.ts';
import type {
  AgentPort,
  FrameSource,
  GraphPort,
  LayoutPort,
  PositionSnapshot,
  PositionTick,
  SsspPort,
  TaskPort,
} from '../gateway/ports.ts';
import { report, type ReadinessReport } from '../gateway/readiness.ts';
import { GatewayStats, NO_COUNTERS, type LiveFigures } from '../gateway/stats.ts';
import type { FrameInfo, GroupCounters } from '../gateway/stream-group.ts';
import { newGatewayState, settingsRef, type GatewayState } from './gateway-state.ts';
import { answerRemoteInfo, isRemoteRoute, type RemoteUpgrades } from './gateway-remote.ts';
import { upgrade } from './gateway-upgrade.ts';

export interface GatewayOptions {
  readonly host: string;
  /** 0 picks a free port; ask for the bound one with an `address` message. */
  readonly port: number;
  readonly tokens: TokenAuthority;
  readonly registry?: Registry;
  readonly limits?: Partial<GatewayLimits>;
  /** Timeouts and connection caps of the HTTP server (http-limits.ts). */
  readonly http?: Partial<HttpLimits>;
  /**
   * What /readyz reports beside the gateway's own state (`treeUp`: the app tree is there and the
   * server listens); without it, just that.
   */
  readonly readiness?: (treeUp: boolean) => Promise<ReadinessReport>;
  readonly frames?: FrameSource;
  readonly graph?: GraphPort;
  /** Where node drags go (the physics). */
  readonly layout?: LayoutPort;
  readonly sssp?: SsspPort;
  readonly agents?: AgentPort;
  /** Takes the upgrades of /remote (agents and other systems); none: /remote is not served. */
  readonly remote?: RemoteUpgrades;
  /** The agents' task queue (TaskSubmit, TaskCancel, Topic.Tasks and /api/tasks). */
  readonly tasks?: TaskPort;
  /** The application tree's root: the node is not ready before it exists (none: never ready). */
  readonly treePath?: string;
  /** Where the settings actor lives (the application tree says); none: the node serves no settings. */
  readonly settingsPath?: string;
  /** The viewer's bundle (default viewer/dist of this checkout). */
  readonly staticRoot?: string;
  /** Wall-clock ms since the Unix epoch, for token expiry (default Date.now). */
  readonly wallClock?: () => number;
  /** Rate asked of the frame source (default 60). */
  readonly positionRateHz?: number;
  readonly keyframeInterval?: number;
  /** Supervision events kept for /api/events (default 200). */
  readonly recentEvents?: number;
  /** Instrumentation: called for every position frame a stream group encodes. */
  readonly onPositionFrame?: (info: FrameInfo) => void;
}

export interface GatewayStatsView {
  readonly sessions: number;
  /** Bytes the sessions' replay rings hold together (at most limits.replayBudgetBytes). */
  readonly replayBytes: number;
  readonly liveSockets: number;
  /** Bytes each live socket has buffered and not yet handed to the kernel. */
  readonly buffered: readonly number[];
  readonly streamMembers: number;
  readonly streamGroups: number;
  readonly counters: GroupCounters;
  readonly stats: GatewayStats;
}

export type GatewayMsg =
  | PositionTick
  /** Its own: the last frames are still going out and a snapshot waits for them (see receive). */
  | { readonly type: 'fanout-behind' }
  | { readonly type: 'address'; readonly replyTo: Ref<{ readonly host: string; readonly port: number }> }
  | { readonly type: 'stats'; readonly replyTo: Ref<GatewayStatsView> };

const DEFAULT_STATIC_ROOT = fileURLToPath(new URL('../../viewer/dist/', import.meta.url));

/**
 * How the dispatcher runs the gateway: normal priority, one message per turn. The layout's tick
 * (encoding each group's frame once, and the first slice of sockets) runs here at normal priority;
 * the rest of the fan-out runs in the gateway's low-priority child (position-fanout.ts), one slice
 * per turn, so sessions and the settings actor get their go between slices. Measured in three
 * interleaved pairs of gateway bench runs against the whole chain in this actor: settings broadcast
 * p99 7.6-8.2 ms against 8.9-10.2 ms, frame lag p99 unchanged (12.9-13.7 against 13.1-13.4 ms). With
 * the whole gateway at low priority instead, the tick waited behind every session's message and the
 * frame lag p99 rose by 3-5 ms.
 */
/** Its name under /app/gateway (the application tree, src/supervisors/app-tree.ts); sessions are its children (…/server/s-1, …). */
export const GATEWAY_NAME = 'server';

export const GATEWAY_SCHEDULING = { throughput: 1, priority: 'normal' } as const;

export function gateway(options: GatewayOptions): ActorFactory<GatewayMsg> {
  const limits: GatewayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const httpLimits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.http };
  // Outlive restarts: the counters go on, and the metrics are registered once (prom-client refuses
  // a second metric of the same name, which made every restart fail). They read the live figures
  // of whichever incarnation is current.
  const stats = new GatewayStats();
  let live: () => LiveFigures = () => ({ sessions: 0, streamMembers: 0, counters: NO_COUNTERS });
  if (options.registry !== undefined) stats.bind(options.registry, () => live());
  return (ctx) => {
    const s = newGatewayState(ctx, options, limits, stats);
    live = () => ({ sessions: s.registry.size, streamMembers: s.hub.memberCount, counters: s.hub.counters });
    return {
      preStart: () => listen(s, httpLimits),
      postStop: () => closeServer(s),
      preRestart: () => closeServer(s),
      receive: (msg) => receive(s, msg),
    };
  };
}

function receive(s: GatewayState, msg: GatewayMsg): void {
  switch (msg.type) {
    case 'positions':
      return tick(s, msg.snapshot);
    case 'fanout-behind':
      return catchUp(s);
    case 'address': {
      const address = s.server?.address() as AddressInfo | null;
      return msg.replyTo.tell({ host: s.options.host, port: address?.port ?? -1 });
    }
    case 'stats':
      return msg.replyTo.tell(statsView(s));
    default:
      return unreachable(msg);
  }
}

function statsView(s: GatewayState): GatewayStatsView {
  const { hub, sockets } = s;
  return {
    sessions: s.registry.size,
    replayBytes: s.replayBudget.held,
    liveSockets: sockets.size,
    buffered: [...sockets].map((c) => c.bufferedAmount),
    streamMembers: hub.memberCount,
    streamGroups: hub.groupCount,
    counters: { ...hub.counters },
    stats: s.stats,
  };
}

/** Starts the fan-out child, follows the supervision events and listens. */
async function listen(s: GatewayState, httpLimits: HttpLimits): Promise<void> {
  const { ctx, limits } = s;
  s.fanout = ctx.spawn(positionFanout(s.hub, limits.fanoutSlice), { name: 'fanout', ...FANOUT_SCHEDULING });
  const prefix = `${ctx.path}/`;
  s.unsubscribeEvents = ctx.system.events.subscribe((event) => {
    s.events.add(event);
    if (event.type === 'actor-failed' && event.path.startsWith(prefix)) s.failedSessions.add(event.path);
  });
  s.wss = new WebSocketServer({
    noServer: true,
    // Refused as soon as a frame declares more, before it is buffered; Connection gives
    // the close its reason.
    maxPayload: limits.maxMessageBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const handle = routes(s);
  const remoteInfo = s.options.remote !== undefined;
  const server = createServer(serverOptions(httpLimits), (req, res) =>
    remoteInfo && isRemoteRoute(req) ? answerRemoteInfo(res, ctx.system.name) : void handle(req, res),
  );
  limitConnections(server, httpLimits);
  server.on('upgrade', (req, socket, head) => upgrade(s, req, socket, head));
  s.server = server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(s.options.port, s.options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function routes(s: GatewayState): ReturnType<typeof httpHandler> {
  const { ctx, options } = s;
  return httpHandler({
    system: ctx.system,
    tokens: options.tokens,
    limits: s.limits,
    registry: options.registry,
    staticRoot: options.staticRoot ?? DEFAULT_STATIC_ROOT,
    graph: options.graph,
    tasks: options.tasks,
    settings: () => settingsRef(ctx, options),
    wallClock: options.wallClock ?? Date.now,
    readiness: () => {
      const treeUp = s.server?.listening === true && options.treePath !== undefined && ctx.system.lookup(options.treePath) !== undefined;
      return options.readiness === undefined ? Promise.resolve(report(treeUp, {})) : options.readiness(treeUp);
    },
    recentEvents: () => s.events.list(),
  });
}

// One slice of the fan-out now; the rest go out from the low-priority fan-out child, after
// whatever normal work is waiting.
function deliverSlice(s: GatewayState): void {
  if (s.hub.deliver(s.limits.fanoutSlice)) s.fanout?.tell({ type: 'kick' });
}

// A snapshot that finds the last frames still going out (the low-priority chain fell behind)
// waits for them: the rest go out from here, a slice per turn at normal priority, and then the
// newest waiting snapshot is encoded (one that a newer one replaced is skipped: positions are
// absolute, so the next delta covers it). Flushing them all in one go instead held the event
// loop for up to 20 ms on a loaded machine, and every control message waited behind it.
function tick(s: GatewayState, snapshot: PositionSnapshot): void {
  if (s.hub.pendingCount > 0) {
    const alreadyBehind = s.deferred !== undefined;
    if (alreadyBehind) s.stats.snapshotsSkipped++;
    else s.stats.snapshotsDeferred++;
    s.deferred = snapshot;
    if (!alreadyBehind) catchUp(s);
    return;
  }
  s.hub.tick(snapshot);
  deliverSlice(s);
}

function catchUp(s: GatewayState): void {
  if (s.hub.deliver(s.limits.fanoutSlice)) {
    s.ctx.self.tell({ type: 'fanout-behind' });
    return;
  }
  const snapshot = s.deferred;
  s.deferred = undefined;
  if (snapshot !== undefined) tick(s, snapshot);
}

async function closeServer(s: GatewayState): Promise<void> {
  s.unsubscribeEvents?.();
  if (s.subscribed) s.options.frames?.unsubscribe(s.ctx.self);
  s.subscribed = false;
  for (const conn of s.sockets) conn.terminate(1001, 'server shutting down');
  // The remote transport owns these sockets, but the server would wait for them to close: they are
  // cut, and the systems behind them dial again (a restarted gateway) or see this node go down.
  for (const socket of s.remoteSockets) socket.destroy();
  s.remoteSockets.clear();
  s.wss?.close();
  const server = s.server;
  s.server = undefined;
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function unreachable(value: never): never {
  throw new Error(`gateway: unhandled message ${String((value as { type?: unknown }).type)}`);
}
