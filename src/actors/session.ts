// One client session per WebSocket connection: the handshake (a signed token, optional resume),
// subscriptions, requests routed to the graph, the layout, settings, SSSP and agents, and what comes
// back.
//
//   awaiting-handshake --Handshake ok--> active --socket lost--> detached --resume--> active
//          |                               |                        | window over
//          +-- bad token / wrong message --+-- protocol violation --+--> stopped
//
// A session whose socket dropped is held for the resume window, still collecting its sequenced
// messages; a client that comes back with a Handshake naming it (session_id) and the last seq it
// applied (resume_from) is sent what it missed and a fresh keyframe. If the session crashes, its socket is closed with 1011 and the
// other sessions never notice.

import { randomUUID } from 'node:crypto';
import type { ActorContext, ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { can, type Permission } from '../auth/roles.ts';
import { describeTokenFailure, type TokenAuthority, type TokenClaims } from '../auth/token.ts';
import { CloseCode } from '../gateway/close-codes.ts';
import type { Connection, ConnectionEvent } from '../gateway/connection.ts';
import type { GatewayLimits } from '../gateway/limits.ts';
import { Outbox } from '../gateway/outbox.ts';
import type { PositionHub } from '../gateway/position-hub.ts';
import type { AgentEvent, AgentPort, GraphApplied, GraphChanged, GraphPort, LayoutPort, SsspPort, SsspResultMsg } from '../gateway/ports.ts';
import type { ReplayBudget } from '../gateway/replay-ring.ts';
import type { SessionRegistry } from '../gateway/session-registry.ts';
import type { GatewayStats } from '../gateway/stats.ts';
import type { Envelope} from '../protocol/index.ts';
import { decodeEnvelope, ErrorCode, ErrorReplyT, Handshake, HandshakeAcceptedT, Payload } from '../protocol/index.ts';
import type { SettingsBroadcast, SettingsMsg } from '../settings/protocol.ts';
import { sessionRequests, type RequestReply } from './session-requests.ts';

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
  | AgentEvent;

export type SessionPhase = 'awaiting-handshake' | 'active' | 'detached' | 'handed-over';

/** Longest delay a Node timer takes; token expiry further out is re-checked when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Sessions are control plane: requests, replies, settings and graph changes for one client, each a
 * small piece of work with someone waiting on it. They run ahead of the layout's ticks and the
 * position fan-out (the dispatcher bounds how far: HIGH_SHARE runs in a row); what a client may
 * send is bounded by its rate limits.
 */
export const SESSION_SCHEDULING = { priority: 'high' } as const;

export function sessionActor(deps: SessionDeps, firstConn: Connection): ActorFactory<SessionMsg> {
  return (ctx) => {
    const { limits } = deps;
    const outbox = new Outbox(limits.replayMessages, limits.replayBytes, deps.replayBudget);
    outbox.conn = firstConn;
    let phase: SessionPhase = 'awaiting-handshake';
    let id = '';
    let claims: TokenClaims | undefined;
    let handedTo: Ref<SessionMsg> | undefined;

    const requests = sessionRequests({
      ctx,
      deps,
      outbox,
      sessionId: () => id,
      claims: () => claims!,
      conn: () => outbox.conn,
    });

    const end = (code: number, reason: string, resumable = false): void => {
      const conn = outbox.conn;
      if (conn !== undefined && conn.closedWith === undefined) {
        conn.close(code, reason);
        deps.stats.recordClose({ session: id, code, reason });
      }
      if (!resumable) void ctx.stop();
    };

    const allowed = (permission: Permission, what: string, correlationId: number): boolean => {
      if (claims !== undefined && can(claims.role, permission)) return true;
      outbox.send(new ErrorReplyT(ErrorCode.Unauthorized, `forbidden: role ${claims?.role ?? 'none'} may not ${what}`), correlationId);
      return false;
    };

    const startTimers = (): void => {
      ctx.schedulePeriodic('heartbeat', limits.heartbeatMs, { type: 'timer', name: 'heartbeat' });
      ctx.schedulePeriodic('stall', limits.stallCheckMs, { type: 'timer', name: 'stall' });
      ctx.cancelTimer('resume-window');
      scheduleExpiry();
    };

    let expiryTimer: { cancel(): void } | undefined;
    const scheduleExpiry = (): void => {
      expiryTimer?.cancel();
      if (claims === undefined) return;
      const delay = Math.max(0, claims.exp * 1000 - deps.wallClock());
      expiryTimer = ctx.scheduleOnce(Math.min(delay, MAX_TIMER_MS), { type: 'timer', name: 'token-expiry' });
    };

    const accept = (nextSeq: number): void => {
      outbox.sendUnsequenced(new HandshakeAcceptedT(id, BigInt(nextSeq), limits.heartbeatMs));
    };

    const handshake = (env: Envelope, conn: Connection): void => {
      const hs = env.payload(new Handshake()) as Handshake;
      const check = deps.tokens.verify(hs.token());
      if (!check.ok) return end(CloseCode.PolicyViolation, describeTokenFailure(check.reason));
      const resumeFrom = Number(hs.resumeFrom());
      const resumeId = hs.sessionId();
      if (resumeId !== null && resumeId !== '') {
        const entry = deps.registry.get(resumeId);
        if (entry !== undefined && entry.subject === check.claims.sub) {
          if (entry.canResumeFrom(resumeFrom)) {
            // Hand this socket to the session it resumes; messages already in this mailbox follow it.
            phase = 'handed-over';
            handedTo = entry.ref;
            conn.target = entry.ref;
            outbox.conn = undefined;
            entry.ref.tell({ type: 'attach', conn, resumeFrom, claims: check.claims });
            ctx.self.tell({ type: 'timer', name: 'handover-done' });
            return;
          }
          // Too much was missed: the old session is of no use; this client starts afresh.
          entry.ref.tell({ type: 'end', code: CloseCode.GoingAway, reason: 'superseded by a new session' });
        }
      }
      claims = check.claims;
      id = randomUUID();
      phase = 'active';
      deps.stats.handshakes++;
      deps.registry.add(id, { ref: ctx.self, subject: claims.sub, canResumeFrom: (n) => outbox.canResumeFrom(n) });
      accept(outbox.nextSeq);
      startTimers();
    };

    const attach = (msg: Extract<SessionMsg, { type: 'attach' }>): void => {
      const old = outbox.conn;
      if (old !== undefined && old !== msg.conn && old.open) {
        old.close(CloseCode.PolicyViolation, 'session resumed on another connection');
      }
      outbox.conn = msg.conn;
      msg.conn.target = ctx.self;
      claims = msg.claims;
      phase = 'active';
      deps.registry.attach(id);
      deps.stats.resumes++;
      accept(msg.resumeFrom + 1);
      outbox.replay(msg.resumeFrom);
      requests.resumed(msg.conn);
      startTimers();
    };

    const inbound = (data: Uint8Array, conn: Connection): void => {
      const decoded = decodeEnvelope(data);
      if (!decoded.ok) return end(CloseCode.InvalidPayload, `malformed envelope: ${decoded.error.code}: ${decoded.error.message}`);
      const env = decoded.value;
      const type = env.payloadType();
      if (phase === 'awaiting-handshake') {
        if (type !== Payload.Handshake) return end(CloseCode.PolicyViolation, `expected a Handshake first, got ${Payload[type]}`);
        return handshake(env, conn);
      }
      if (type === Payload.Handshake) return end(CloseCode.PolicyViolation, 'Handshake sent twice on one connection');
      requests.handle(env, type, allowed);
    };

    const socketClosed = (conn: Connection, peerCode: number): void => {
      if (conn !== outbox.conn) return; // an old socket of a resumed session
      requests.detached();
      // Held for a resume: a lost connection (1001, 1006, a dead peer, a stalled reader, an expired
      // token). Not: a client that said goodbye (1000) or one closed for breaking the protocol.
      const closedWith = conn.closedWith;
      const byServer = closedWith !== undefined;
      const resumable =
        phase === 'active' &&
        (byServer
          ? closedWith.code === CloseCode.GoingAway || closedWith.reason.startsWith('stalled') || closedWith.reason.endsWith('token expired')
          : peerCode !== 1000);
      if (!resumable) {
        void ctx.stop();
        return;
      }
      phase = 'detached';
      deps.registry.detach(id, ctx.self);
      ctx.cancelTimer('heartbeat');
      ctx.cancelTimer('stall');
      ctx.scheduleOnce(limits.resumeWindowMs, { type: 'timer', name: 'resume-window' });
    };

    const timer = (name: TimerName): void => {
      const conn = outbox.conn;
      switch (name) {
        case 'handshake':
          if (phase === 'awaiting-handshake') end(CloseCode.PolicyViolation, `no Handshake within ${limits.handshakeTimeoutMs} ms`);
          return;
        case 'heartbeat':
          if (phase === 'active' && conn !== undefined && !conn.heartbeat()) {
            deps.stats.recordClose({ session: id, code: CloseCode.GoingAway, reason: 'heartbeat timeout' });
            conn.terminate(CloseCode.GoingAway, 'heartbeat timeout');
          }
          return;
        case 'stall':
          if (phase === 'active' && conn !== undefined && conn.stalled(ctx.system.clock.now(), limits.stallTimeoutMs)) {
            end(CloseCode.PolicyViolation, `stalled: no position frame could be sent for ${limits.stallTimeoutMs} ms`, true);
          }
          return;
        case 'resume-window':
          if (phase === 'detached') void ctx.stop();
          return;
        case 'token-expiry':
          if (claims !== undefined && deps.wallClock() >= claims.exp * 1000) end(CloseCode.PolicyViolation, 'unauthorized: token expired', true);
          else scheduleExpiry();
          return;
        case 'handover-done':
          void ctx.stop();
          return;
      }
    };

    const handle = (msg: SessionMsg, c: ActorContext<SessionMsg>): void => {
      if (phase === 'handed-over') {
        // Pipelined messages that reached this mailbox before the handover follow the socket.
        if (msg.type === 'timer' && msg.name === 'handover-done') return timer(msg.name);
        if (msg.type === 'inbound' || msg.type === 'socket-closed' || msg.type === 'rate-limited') handedTo?.tell(msg, c.sender);
        return;
      }
      switch (msg.type) {
        case 'inbound':
          if (msg.conn === outbox.conn) inbound(msg.data, msg.conn);
          return;
        case 'rate-limited':
          if (msg.conn !== outbox.conn) return;
          deps.stats.recordRateLimited();
          outbox.send(new ErrorReplyT(ErrorCode.Overloaded, `rate limit: ${msg.dropped} message(s) dropped`));
          return;
        case 'socket-closed':
          return socketClosed(msg.conn, msg.code);
        case 'attach':
          return attach(msg);
        case 'timer':
          return timer(msg.name);
        case 'end':
          return end(msg.code, msg.reason);
        default:
          return requests.event(msg);
      }
    };

    return {
      preStart() {
        deps.stats.sessionsOpened++;
        ctx.scheduleOnce(limits.handshakeTimeoutMs, { type: 'timer', name: 'handshake' });
      },
      receive: handle,
      postStop() {
        requests.stopped();
        outbox.release();
        if (id !== '') deps.registry.remove(id, ctx.self);
        if (phase === 'handed-over') return;
        const conn = outbox.conn;
        const crashed = deps.failed(ctx.path);
        if (conn !== undefined && conn.closedWith === undefined && conn.open) {
          const code = crashed ? CloseCode.InternalError : CloseCode.GoingAway;
          const reason = crashed ? 'internal error in the session' : 'server shutting down';
          deps.stats.recordClose({ session: id, code, reason });
          conn.close(code, reason);
        }
      },
    };
  };
}

