// The gateway: the node's one HTTP server and its WebSocket endpoint (/ws). Each upgraded socket
// gets a client-session actor of its own, supervised here (temporary: a crashed session is closed
// with 1011 and not restarted; the client reconnects). Position snapshots from the frame source
// arrive here and are fanned out by the position hub to every subscribed session's socket.
//
// Upgrades are checked before they complete: only /ws, under the session limit, with a valid
// token when one is given on the URL (?token=) or as a bearer header (401 otherwise). The
// Handshake's own token (and the session it resumes) and each Subscribe's position filter are
// checked by the session; the URL parameters that used to carry those are refused (400) rather than
// silently ignored.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { describeTokenFailure, type TokenAuthority } from '../auth/token.ts';
import { Connection, type ConnectionEvent } from '../gateway/connection.ts';
import { EventLog } from './event-log.ts';
import { FANOUT_SCHEDULING, positionFanout, type FanoutMsg } from './position-fanout.ts';
import { httpHandler } from '../gateway/http-api.ts';
import { requestToken } from '../gateway/http-auth.ts';
import { DEFAULT_HTTP_LIMITS, limitConnections, serverOptions, type HttpLimits } from '../gateway/http-limits.ts';
import { DEFAULT_LIMITS, type GatewayLimits } from '../gateway/limits.ts';
import { PositionHub } from '../gateway/position-hub.ts';
import type { AgentPort, FrameSource, GraphPort, LayoutPort, PositionSnapshot, PositionTick, SsspPort } from '../gateway/ports.ts';
import { report, type ReadinessReport } from '../gateway/readiness.ts';
import { ReplayBudget } from '../gateway/replay-ring.ts';
import { SessionRegistry } from '../gateway/session-registry.ts';
import { GatewayStats, NO_COUNTERS, type LiveFigures } from '../gateway/stats.ts';
import type { FrameInfo, GroupCounters } from '../gateway/stream-group.ts';
import { SETTINGS_ACTOR_PATH, type SettingsMsg } from '../settings/protocol.ts';
import { sessionActor, SESSION_SCHEDULING, type SessionDeps, type SessionMsg } from './session.ts';

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
  /** Where the settings actor lives (default /app/settings/store). */
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

/** URL parameters of the first gateway, now fields of Handshake (session_id) and Subscribe (filter). */
const MOVED_PARAMS: ReadonlyMap<string, string> = new Map([
  ['resume', 'Handshake.session_id'],
  ['kinds', 'Subscribe.filter'],
  ['maxNodes', 'Subscribe.filter'],
  ['region', 'Subscribe.filter'],
]);

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
    const clock = ctx.system.clock;
    const wallClock = options.wallClock ?? Date.now;
    const registry = new SessionRegistry<SessionMsg>();
    const replayBudget = new ReplayBudget(limits.replayBudgetBytes);
    const events = new EventLog(options.recentEvents ?? 200);
    const sockets = new Set<Connection>();
    let server: Server | undefined;
    let wss: WebSocketServer | undefined;
    let unsubscribeEvents: (() => void) | undefined;
    let sessionCounter = 0;
    let subscribed = false;
    let fanout: Ref<FanoutMsg> | undefined;
    /** The newest snapshot that arrived while the last frames were still going out. */
    let deferred: PositionSnapshot | undefined;

    const hub = new PositionHub(
      {
        minHighWaterBytes: limits.minHighWaterBytes,
        regionRefreshMs: limits.regionRefreshMs,
        ...(options.keyframeInterval !== undefined ? { keyframeInterval: options.keyframeInterval } : {}),
        ...(options.onPositionFrame !== undefined ? { onFrame: options.onPositionFrame } : {}),
        onDemand: (wanted) => {
          if (options.frames === undefined || wanted === subscribed) return;
          subscribed = wanted;
          if (wanted) options.frames.subscribe(ctx.self, options.positionRateHz ?? 60);
          else options.frames.unsubscribe(ctx.self);
        },
      },
      () => clock.now(),
    );

    const settings = (): Ref<SettingsMsg> | undefined => ctx.system.lookup<SettingsMsg>(options.settingsPath ?? SETTINGS_ACTOR_PATH);
    const failedSessions = new Set<string>();
    const deps: SessionDeps = {
      failed: (path) => failedSessions.delete(path),
      tokens: options.tokens,
      limits,
      hub,
      registry,
      stats,
      replayBudget,
      wallClock,
      settings,
      ...(options.graph !== undefined ? { graph: options.graph } : {}),
      ...(options.layout !== undefined ? { layout: options.layout } : {}),
      ...(options.sssp !== undefined ? { sssp: options.sssp } : {}),
      ...(options.agents !== undefined ? { agents: options.agents } : {}),
    };
    live = () => ({ sessions: registry.size, streamMembers: hub.memberCount, counters: hub.counters });

    const handle = httpHandler({
      system: ctx.system,
      tokens: options.tokens,
      limits,
      registry: options.registry,
      staticRoot: options.staticRoot ?? DEFAULT_STATIC_ROOT,
      graph: options.graph,
      settings,
      wallClock,
      readiness: () => {
        const treeUp = server?.listening === true && ctx.system.lookup('/app') !== undefined;
        return options.readiness === undefined ? Promise.resolve(report(treeUp, {})) : options.readiness(treeUp);
      },
      recentEvents: () => events.list(),
    });

    const refuse = (socket: Socket, status: number, text: string, message: string): void => {
      const body = `${message}\n`;
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };

    const upgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
      socket.on('error', () => socket.destroy());
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/ws') return refuse(socket, 404, 'Not Found', 'WebSocket endpoint is /ws');
      // Sessions waiting for a resume count too; the one that has waited longest gives way to a
      // live client (it ends as if its resume window were over), so a client that connects and
      // drops in a loop cannot pile up held sessions and their replay rings.
      while (sockets.size + registry.detachedCount >= limits.maxSessions) {
        const oldest = registry.takeOldestDetached();
        if (oldest === undefined) return refuse(socket, 503, 'Service Unavailable', 'too many sessions');
        oldest.tell({ type: 'timer', name: 'resume-window' });
      }
      const token = requestToken(req, url);
      if (token !== undefined) {
        const check = options.tokens.verify(token);
        if (!check.ok) return refuse(socket, 401, 'Unauthorized', describeTokenFailure(check.reason));
      }
      for (const [param, field] of MOVED_PARAMS) {
        if (url.searchParams.has(param)) return refuse(socket, 400, 'Bad Request', `?${param}= is not accepted: send it in ${field}`);
      }
      wss!.handleUpgrade(req, socket, head, (ws) => {
        // Everything from here is synchronous, so no message can arrive before its session exists.
        const placeholder: Ref<ConnectionEvent> = { path: '/pending', tell: () => undefined };
        const info = {
          remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
          ...(token !== undefined ? { upgradeToken: token } : {}),
        };
        const conn = new Connection(ws, info, limits, clock, placeholder);
        sockets.add(conn);
        ws.once('close', () => sockets.delete(conn));
        try {
          conn.target = ctx.spawn(sessionActor(deps, conn), {
            name: `s-${++sessionCounter}`,
            restart: 'temporary',
            mailbox: { capacity: limits.messageBurst + 1024, overflow: 'reject' },
            ...SESSION_SCHEDULING,
          });
        } catch {
          conn.terminate(1001, 'server shutting down');
        }
      });
    };

    // One slice of the fan-out now; the rest go out from the low-priority fan-out child, after
    // whatever normal work is waiting.
    const deliverSlice = (): void => {
      if (hub.deliver(limits.fanoutSlice)) fanout?.tell({ type: 'kick' });
    };

    // A snapshot that finds the last frames still going out (the low-priority chain fell behind)
    // waits for them: the rest go out from here, a slice per turn at normal priority, and then the
    // newest waiting snapshot is encoded (one that a newer one replaced is skipped: positions are
    // absolute, so the next delta covers it). Flushing them all in one go instead held the event
    // loop for up to 20 ms on a loaded machine, and every control message waited behind it.
    const tick = (snapshot: PositionSnapshot): void => {
      if (hub.pendingCount > 0) {
        const alreadyBehind = deferred !== undefined;
        if (alreadyBehind) stats.snapshotsSkipped++;
        else stats.snapshotsDeferred++;
        deferred = snapshot;
        if (!alreadyBehind) catchUp();
        return;
      }
      hub.tick(snapshot);
      deliverSlice();
    };
    const catchUp = (): void => {
      if (hub.deliver(limits.fanoutSlice)) {
        ctx.self.tell({ type: 'fanout-behind' });
        return;
      }
      const snapshot = deferred;
      deferred = undefined;
      if (snapshot !== undefined) tick(snapshot);
    };

    const closeServer = async (): Promise<void> => {
      unsubscribeEvents?.();
      if (subscribed) options.frames?.unsubscribe(ctx.self);
      subscribed = false;
      for (const conn of sockets) conn.terminate(1001, 'server shutting down');
      wss?.close();
      const s = server;
      server = undefined;
      if (s === undefined) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    };

    return {
      async preStart() {
        fanout = ctx.spawn(positionFanout(hub, limits.fanoutSlice), { name: 'fanout', ...FANOUT_SCHEDULING });
        const prefix = `${ctx.path}/`;
        unsubscribeEvents = ctx.system.events.subscribe((event) => {
          events.add(event);
          if (event.type === 'actor-failed' && event.path.startsWith(prefix)) failedSessions.add(event.path);
        });
        wss = new WebSocketServer({
          noServer: true,
          // Refused as soon as a frame declares more, before it is buffered; Connection gives
          // the close its reason.
          maxPayload: limits.maxMessageBytes,
          perMessageDeflate: false,
          clientTracking: false,
        });
        const s = createServer(serverOptions(httpLimits), (req, res) => void handle(req, res));
        limitConnections(s, httpLimits);
        s.on('upgrade', upgrade);
        server = s;
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen(options.port, options.host, () => {
            s.off('error', reject);
            resolve();
          });
        });
      },
      postStop: closeServer,
      preRestart: closeServer,
      receive(msg) {
        switch (msg.type) {
          case 'positions':
            tick(msg.snapshot);
            return;
          case 'fanout-behind':
            catchUp();
            return;
          case 'address': {
            const address = server?.address() as AddressInfo | null;
            msg.replyTo.tell({ host: options.host, port: address?.port ?? -1 });
            return;
          }
          case 'stats':
            msg.replyTo.tell({
              sessions: registry.size,
              replayBytes: replayBudget.held,
              liveSockets: sockets.size,
              buffered: [...sockets].map((c) => c.bufferedAmount),
              streamMembers: hub.memberCount,
              streamGroups: hub.groupCount,
              counters: { ...hub.counters },
              stats,
            });
            return;
        }
      },
    };
  };
}

