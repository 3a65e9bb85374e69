// What one incarnation of the gateway holds: its HTTP and WebSocket servers, the live sockets, the
// position hub that fans snapshots out to them, and what its sessions share (session.ts's deps).
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { ActorContext } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { Connection } from '../gateway/connection.ts';
import { EventLog } from './event-log.ts';
import type { GatewayLimits } from '../gateway/limits.ts';
import { PositionHub } from '../gateway/position-hub.ts';
import type { PositionSnapshot } from '../gateway/ports.ts';
import { ReplayBudget } from '../gateway/replay-ring.ts';
import { SessionRegistry } from '../gateway/session-registry.ts';
import type { GatewayStats } from '../gateway/stats.ts';
import type { SettingsMsg } from '../settings/protocol.ts';
import type { FanoutMsg } from './position-fanout.ts';
import type { SessionDeps, SessionMsg } from './session.ts';
import type { GatewayMsg, GatewayOptions } from './gateway.ts';

export interface GatewayState {
  readonly ctx: ActorContext<GatewayMsg>;
  readonly options: GatewayOptions;
  readonly limits: GatewayLimits;
  readonly stats: GatewayStats;
  readonly registry: SessionRegistry<SessionMsg>;
  readonly replayBudget: ReplayBudget;
  readonly events: EventLog;
  readonly sockets: Set<Connection>;
  /** Sockets handed to the remote transport (/remote), until they close. */
  readonly remoteSockets: Set<Duplex>;
  readonly hub: PositionHub;
  /** What every session of this gateway is given. */
  readonly sessionDeps: SessionDeps;
  /** Sessions that failed, by path, until their postStop asks (a crash closes with 1011). */
  readonly failedSessions: Set<string>;
  server: Server | undefined;
  wss: WebSocketServer | undefined;
  unsubscribeEvents: (() => void) | undefined;
  sessionCounter: number;
  /** Whether the gateway takes frames from the frame source (only while someone streams positions). */
  subscribed: boolean;
  fanout: Ref<FanoutMsg> | undefined;
  /** The newest snapshot that arrived while the last frames were still going out. */
  deferred: PositionSnapshot | undefined;
}

export function newGatewayState(
  ctx: ActorContext<GatewayMsg>,
  options: GatewayOptions,
  limits: GatewayLimits,
  stats: GatewayStats,
): GatewayState {
  const registry = new SessionRegistry<SessionMsg>();
  const replayBudget = new ReplayBudget(limits.replayBudgetBytes);
  const failedSessions = new Set<string>();
  const hub = positionHub(ctx, options, limits, (wanted) => framesWanted(s, wanted));
  const shared: SharedBySessions = { limits, stats, registry, replayBudget, failedSessions, hub };
  const s: GatewayState = {
    ctx,
    options,
    ...shared,
    events: new EventLog(options.recentEvents ?? 200),
    sockets: new Set(),
    remoteSockets: new Set(),
    sessionDeps: sessionDeps(ctx, options, shared),
    server: undefined,
    wss: undefined,
    unsubscribeEvents: undefined,
    sessionCounter: 0,
    subscribed: false,
    fanout: undefined,
    deferred: undefined,
  };
  return s;
}

type SharedBySessions = Pick<GatewayState, 'limits' | 'stats' | 'registry' | 'replayBudget' | 'failedSessions' | 'hub'>;

export function settingsRef(ctx: ActorContext<GatewayMsg>, options: GatewayOptions): Ref<SettingsMsg> | undefined {
  return options.settingsPath === undefined ? undefined : ctx.system.lookup<SettingsMsg>(options.settingsPath);
}

function positionHub(
  ctx: ActorContext<GatewayMsg>,
  options: GatewayOptions,
  limits: GatewayLimits,
  onDemand: (wanted: boolean) => void,
): PositionHub {
  const clock = ctx.system.clock;
  return new PositionHub(
    {
      minHighWaterBytes: limits.minHighWaterBytes,
      regionRefreshMs: limits.regionRefreshMs,
      ...(options.keyframeInterval !== undefined ? { keyframeInterval: options.keyframeInterval } : {}),
      ...(options.onPositionFrame !== undefined ? { onFrame: options.onPositionFrame } : {}),
      onDemand,
    },
    () => clock.now(),
  );
}

/** The hub says whether anyone streams positions: the gateway takes frames only then. */
function framesWanted(s: GatewayState, wanted: boolean): void {
  const frames = s.options.frames;
  if (frames === undefined || wanted === s.subscribed) return;
  s.subscribed = wanted;
  if (wanted) frames.subscribe(s.ctx.self, s.options.positionRateHz ?? 60);
  else frames.unsubscribe(s.ctx.self);
}

function sessionDeps(ctx: ActorContext<GatewayMsg>, options: GatewayOptions, shared: SharedBySessions): SessionDeps {
  return {
    failed: (path) => shared.failedSessions.delete(path),
    tokens: options.tokens,
    limits: shared.limits,
    hub: shared.hub,
    registry: shared.registry,
    stats: shared.stats,
    replayBudget: shared.replayBudget,
    wallClock: options.wallClock ?? Date.now,
    settings: () => settingsRef(ctx, options),
    ...(options.graph !== undefined ? { graph: options.graph } : {}),
    ...(options.layout !== undefined ? { layout: options.layout } : {}),
    ...(options.sssp !== undefined ? { sssp: options.sssp } : {}),
    ...(options.agents !== undefined ? { agents: options.agents } : {}),
    ...(options.tasks !== undefined ? { tasks: options.tasks } : {}),
  };
}
