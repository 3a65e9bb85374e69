// One client session per WebSocket connection: the handshake (a signed token, optional resume),
// subscriptions, requests routed to the graph, the layout, settings, SSSP, agents and tasks, and what comes
// back. Its states (handshaking, live, detached-awaiting-resume, closing) and why a detached one
// may be resumed: src/actors/session-state.ts. Each message kind has its handler below, over the
// session's state record; what a live session does with a client's requests: session-requests.ts.
//
// A session whose socket dropped is held for the resume window, still collecting its sequenced
// messages; a client that comes back with a Handshake naming it (session_id) and the last seq it
// applied (resume_from) is sent what it missed and a fresh keyframe. If the session crashes, its socket is closed with 1011 and the
// other sessions never notice.

import { randomUUID } from 'node:crypto';
import type { ActorContext, ActorFactory } from '../runtime/actor.ts';
import type { TimerHandle } from '../shared/clock.ts';
import type { Ref } from '../runtime/ref.ts';
import { can, type Permission } from '../auth/roles.ts';
import { describeTokenFailure, type TokenAuthority, type TokenClaims } from '../auth/token.ts';
import { CloseCode } from '../gateway/close-codes.ts';
import type { Connection, ConnectionEvent } from '../gateway/connection.ts';
import type { GatewayLimits } from '../gateway/limits.ts';
import { Outbox } from '../gateway/outbox.ts';
import type { PositionHub } from '../gateway/position-hub.ts';
import type {
  AgentEvent,
  AgentPort,
  GraphApplied,
  GraphChanged,
  GraphPort,
  LayoutPort,
  SsspPort,
  SsspResultMsg,
  TaskPort,
} from '../gateway/ports.ts';
import type { ReplayBudget } from '../gateway/replay-ring.ts';
import type { SessionRegistry } from '../gateway/session-registry.ts';
import type { GatewayStats } from '../gateway/stats.ts';
import type { Envelope } from '../protocol/index.ts';
import { decodeEnvelope, ErrorCode, ErrorReplyT, Handshake, HandshakeAcceptedT, Payload } from '../protocol/index.ts';
import type { SettingsBroadcast, SettingsMsg } from '../settings/protocol.ts';
import { sessionRequests, type RequestReply, type SessionRequests } from './session-requests.ts';
import type { TaskSessionMsg } from './session-tasks.ts';
import { claimsOf, detachReason, type ResumableClose, type SessionState, type SessionStateKind } from './session-state.ts';

export interface SessionDeps {
  readonly tokens: TokenAuthority;
  readonly limits: GatewayLimits;
  readonly hub: PositionHub;
  readonly registry: SessionRegistry<SessionMsg>;
  readonly stats: GatewayStats;
  /** Shared by the replay rings of all the gateway's sessions. */
  readonly replayBudget: ReplayBudget;
  /** Wall-clock milliseconds since the Unix epoch (token expiry). */
  readonly wallClock: () => number;
  readonly settings: () => Ref<SettingsMsg> | undefined;
  /** Whether the actor at `path` failed (read once, in postStop: a crash closes with 1011). */
  failed(path: string): boolean;
  readonly graph?: GraphPort;
  readonly layout?: LayoutPort;
  readonly sssp?: SsspPort;
  readonly agents?: AgentPort;
  readonly tasks?: TaskPort;
}

type TimerName = 'handshake' | 'heartbeat' | 'stall' | 'resume-window' | 'token-expiry' | 'handover-done';

export type SessionMsg =
  | ConnectionEvent
  | { readonly type: 'attach'; readonly conn: Connection; readonly resumeFrom: number; readonly claims: TokenClaims }
  | { readonly type: 'timer'; readonly name: TimerName }
  | { readonly type: 'end'; readonly code: number; readonly reason: string }
  | RequestReply
  | SettingsBroadcast
  | GraphChanged
  | GraphApplied
  | SsspResultMsg
  | AgentEvent
  | TaskSessionMsg;

export type SessionPhase = SessionStateKind;

/** Longest delay a Node timer takes; token expiry further out is re-checked when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Sessions are control plane: requests, replies, settings and graph changes for one client, each a
 * small piece of work with someone waiting on it. They run ahead of the layout's ticks and the
 * position fan-out (the dispatcher bounds how far: HIGH_SHARE runs in a row); what a client may
 * send is bounded by its rate limits.
 */
export const SESSION_SCHEDULING = { priority: 'high' } as const;

/** Everything one session holds; `state` is where it is in its life (session-state.ts). */
interface Session {
  readonly deps: SessionDeps;
  readonly ctx: ActorContext<SessionMsg>;
  readonly outbox: Outbox;
  readonly requests: SessionRequests;
  /** Empty until the handshake gives the session its id. */
  id: string;
  state: SessionState<SessionMsg>;
  expiryTimer: TimerHandle | undefined;
}

type AttachMsg = Extract<SessionMsg, { type: 'attach' }>;

export function sessionActor(deps: SessionDeps, firstConn: Connection): ActorFactory<SessionMsg> {
  return (ctx) => {
    const outbox = new Outbox(deps.limits.replayMessages, deps.limits.replayBytes, deps.replayBudget);
    outbox.conn = firstConn;
    const session: Session = {
      deps,
      ctx,
      outbox,
      id: '',
      state: { kind: 'handshaking' },
      expiryTimer: undefined,
      requests: sessionRequests({
        ctx,
        deps,
        outbox,
        sessionId: () => session.id,
        claims: () => claimsOf(session.state)!,
        conn: () => outbox.conn,
      }),
    };
    return {
      preStart() {
        deps.stats.sessionsOpened++;
        ctx.scheduleOnce(deps.limits.handshakeTimeoutMs, { type: 'timer', name: 'handshake' });
      },
      receive: (msg) => receive(session, msg),
      postStop: () => postStop(session),
    };
  };
}

function receive(s: Session, msg: SessionMsg): void {
  if (s.state.kind === 'closing') return whileClosing(s, s.state.handedTo, msg);
  switch (msg.type) {
    case 'inbound':
      if (msg.conn === s.outbox.conn) inbound(s, msg.data, msg.conn);
      return;
    case 'rate-limited':
      return rateLimited(s, msg.conn, msg.data);
    case 'socket-closed':
      return socketClosed(s, msg.conn, msg.code);
    case 'attach':
      return attach(s, msg);
    case 'timer':
      return timer(s, msg.name);
    case 'end':
      return end(s, msg.code, msg.reason);
    default:
      return s.requests.event(msg);
  }
}

/** A session ending for good handles nothing more, except what must follow a handed-over socket. */
function whileClosing(s: Session, handedTo: Ref<SessionMsg> | undefined, msg: SessionMsg): void {
  if (msg.type === 'timer' && msg.name === 'handover-done') return timer(s, msg.name);
  // Pipelined messages that reached this mailbox before the handover follow the socket.
  if (msg.type === 'inbound' || msg.type === 'socket-closed' || msg.type === 'rate-limited') handedTo?.tell(msg, s.ctx.sender);
}

/** Closes the socket; a resumable close keeps the session for its client to come back. */
function end(s: Session, code: number, reason: string, resumable?: ResumableClose): void {
  const conn = s.outbox.conn;
  if (conn !== undefined && conn.closedWith === undefined) {
    conn.close(code, reason);
    s.deps.stats.recordClose({ session: s.id, code, reason });
    if (resumable !== undefined && s.state.kind === 'live') s.state.closedFor = resumable;
  }
  if (resumable === undefined) stop(s);
}

function stop(s: Session): void {
  if (s.state.kind !== 'closing') s.state = { kind: 'closing', handedTo: undefined };
  void s.ctx.stop();
}

function allowed(s: Session, permission: Permission, what: string, correlationId: number): boolean {
  const claims = claimsOf(s.state);
  if (claims !== undefined && can(claims.role, permission)) return true;
  s.outbox.send(new ErrorReplyT(ErrorCode.Unauthorized, `forbidden: role ${claims?.role ?? 'none'} may not ${what}`), correlationId);
  return false;
}

function goLive(s: Session, claims: TokenClaims, nextSeq: number): void {
  const { ctx, deps } = s;
  s.state = { kind: 'live', claims };
  s.outbox.sendUnsequenced(new HandshakeAcceptedT(s.id, BigInt(nextSeq), deps.limits.heartbeatMs));
  ctx.schedulePeriodic('heartbeat', deps.limits.heartbeatMs, { type: 'timer', name: 'heartbeat' });
  ctx.schedulePeriodic('stall', deps.limits.stallCheckMs, { type: 'timer', name: 'stall' });
  ctx.cancelTimer('resume-window');
  scheduleExpiry(s);
}

function scheduleExpiry(s: Session): void {
  s.expiryTimer?.cancel();
  const claims = claimsOf(s.state);
  if (claims === undefined) return;
  const delay = Math.max(0, claims.exp * 1000 - s.deps.wallClock());
  s.expiryTimer = s.ctx.scheduleOnce(Math.min(delay, MAX_TIMER_MS), { type: 'timer', name: 'token-expiry' });
}

function handshake(s: Session, env: Envelope, conn: Connection): void {
  const { deps, ctx } = s;
  const hs = env.payload(new Handshake()) as Handshake;
  const check = deps.tokens.verify(hs.token());
  if (!check.ok) return end(s, CloseCode.PolicyViolation, describeTokenFailure(check.reason));
  const resumeFrom = Number(hs.resumeFrom());
  if (resumeExisting(s, hs.sessionId(), check.claims, resumeFrom, conn)) return;
  s.id = randomUUID();
  deps.stats.handshakes++;
  deps.registry.add(s.id, { ref: ctx.self, subject: check.claims.sub, canResumeFrom: (n) => s.outbox.canResumeFrom(n) });
  goLive(s, check.claims, s.outbox.nextSeq);
}

/** Hands `conn` to the session it names when that one can resume from `resumeFrom`; false: start afresh. */
function resumeExisting(s: Session, resumeId: string | null, claims: TokenClaims, resumeFrom: number, conn: Connection): boolean {
  if (resumeId === null || resumeId === '') return false;
  const entry = s.deps.registry.get(resumeId);
  if (entry === undefined || entry.subject !== claims.sub) return false;
  if (!entry.canResumeFrom(resumeFrom)) {
    // Too much was missed: the old session is of no use; this client starts afresh.
    entry.ref.tell({ type: 'end', code: CloseCode.GoingAway, reason: 'superseded by a new session' });
    return false;
  }
  // Hand this socket to the session it resumes; messages already in this mailbox follow it.
  s.state = { kind: 'closing', handedTo: entry.ref };
  conn.target = entry.ref;
  s.outbox.conn = undefined;
  entry.ref.tell({ type: 'attach', conn, resumeFrom, claims });
  s.ctx.self.tell({ type: 'timer', name: 'handover-done' });
  return true;
}

function attach(s: Session, msg: AttachMsg): void {
  const old = s.outbox.conn;
  if (old !== undefined && old !== msg.conn && old.open) {
    old.close(CloseCode.PolicyViolation, 'session resumed on another connection');
  }
  s.outbox.conn = msg.conn;
  msg.conn.target = s.ctx.self;
  s.deps.registry.attach(s.id);
  s.deps.stats.resumes++;
  goLive(s, msg.claims, msg.resumeFrom + 1);
  s.outbox.replay(msg.resumeFrom);
  s.requests.resumed(msg.conn);
}

function inbound(s: Session, data: Uint8Array, conn: Connection): void {
  const decoded = decodeEnvelope(data);
  if (!decoded.ok) return end(s, CloseCode.InvalidPayload, `malformed envelope: ${decoded.error.code}: ${decoded.error.message}`);
  const env = decoded.value;
  const type = env.payloadType();
  if (s.state.kind === 'handshaking') {
    if (type !== Payload.Handshake) return end(s, CloseCode.PolicyViolation, `expected a Handshake first, got ${Payload[type]}`);
    return handshake(s, env, conn);
  }
  if (type === Payload.Handshake) return end(s, CloseCode.PolicyViolation, 'Handshake sent twice on one connection');
  s.requests.handle(env, type, (permission, what, correlationId) => allowed(s, permission, what, correlationId));
}

/**
 * A message dropped for the rate limit is answered by its seq, so that its client knows which one
 * to send again; one that does not decode gets the answer with no seq (it was never processed).
 */
function rateLimited(s: Session, conn: Connection, data: Uint8Array): void {
  if (conn !== s.outbox.conn) return;
  s.deps.stats.recordRateLimited();
  const decoded = decodeEnvelope(data);
  const seq = decoded.ok ? Number(decoded.value.seq()) : 0;
  const limit = s.deps.limits.messagesPerSecond;
  s.outbox.send(
    new ErrorReplyT(ErrorCode.Overloaded, `rate limit: dropped (at most ${limit} messages a second); send it again later`),
    seq,
  );
}

function socketClosed(s: Session, conn: Connection, peerCode: number): void {
  if (conn !== s.outbox.conn) return; // an old socket of a resumed session
  s.requests.detached();
  const state = s.state;
  const reason = state.kind === 'live' ? detachReason(conn, peerCode, state.closedFor) : undefined;
  if (state.kind !== 'live' || reason === undefined) return stop(s);
  s.state = { kind: 'detached-awaiting-resume', claims: state.claims, reason };
  s.deps.registry.detach(s.id, s.ctx.self);
  s.ctx.cancelTimer('heartbeat');
  s.ctx.cancelTimer('stall');
  s.ctx.scheduleOnce(s.deps.limits.resumeWindowMs, { type: 'timer', name: 'resume-window' });
}

function timer(s: Session, name: TimerName): void {
  const { limits } = s.deps;
  const kind = s.state.kind;
  switch (name) {
    case 'handshake':
      if (kind === 'handshaking') end(s, CloseCode.PolicyViolation, `no Handshake within ${limits.handshakeTimeoutMs} ms`);
      return;
    case 'heartbeat':
      if (kind === 'live') checkHeartbeat(s);
      return;
    case 'stall':
      if (kind === 'live' && s.outbox.conn?.stalled(s.ctx.system.clock.now(), limits.stallTimeoutMs) === true) {
        end(s, CloseCode.PolicyViolation, `stalled: no position frame could be sent for ${limits.stallTimeoutMs} ms`, 'stalled');
      }
      return;
    case 'resume-window':
      if (kind === 'detached-awaiting-resume') stop(s);
      return;
    case 'token-expiry':
      return tokenExpiry(s);
    case 'handover-done':
      return stop(s);
    default:
      return unreachable(name);
  }
}

function checkHeartbeat(s: Session): void {
  const conn = s.outbox.conn;
  if (conn === undefined || conn.heartbeat()) return;
  if (conn.closedWith === undefined && s.state.kind === 'live') s.state.closedFor = 'heartbeat-timeout';
  s.deps.stats.recordClose({ session: s.id, code: CloseCode.GoingAway, reason: 'heartbeat timeout' });
  conn.terminate(CloseCode.GoingAway, 'heartbeat timeout');
}

function tokenExpiry(s: Session): void {
  const claims = claimsOf(s.state);
  if (claims !== undefined && s.deps.wallClock() >= claims.exp * 1000)
    end(s, CloseCode.PolicyViolation, 'unauthorized: token expired', 'token-expired');
  else scheduleExpiry(s);
}

function postStop(s: Session): void {
  const { deps } = s;
  s.requests.stopped();
  s.outbox.release();
  if (s.id !== '') deps.registry.remove(s.id, s.ctx.self);
  if (s.state.kind === 'closing' && s.state.handedTo !== undefined) return;
  const conn = s.outbox.conn;
  const crashed = deps.failed(s.ctx.path);
  if (conn !== undefined && conn.closedWith === undefined && conn.open) {
    const code = crashed ? CloseCode.InternalError : CloseCode.GoingAway;
    const reason = crashed ? 'internal error in the session' : 'server shutting down';
    deps.stats.recordClose({ session: s.id, code, reason });
    conn.close(code, reason);
  }
}

function unreachable(value: never): never {
  throw new Error(`session: unhandled ${String(value)}`);
}
