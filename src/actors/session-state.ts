// The states of a client session, and why a session whose socket went away may be resumed.
//
//   handshaking --Handshake ok--> live --socket lost--> detached-awaiting-resume --resume--> live
//        |                         |                         | window over
//        +-- bad token, wrong message, protocol violation, goodbye, handed over --+--> closing
//
// A session is held for a resume only when its socket was lost, not when it was ended: the
// reason is a DetachReason, decided once from what closed the socket, never read back from text.
import type { TokenClaims } from '../auth/token.ts';
import { CloseCode } from '../gateway/close-codes.ts';
import type { Connection } from '../gateway/connection.ts';
import type { Ref } from '../runtime/ref.ts';

/** Closes the session makes itself and means to be resumed from. */
export type ResumableClose = 'heartbeat-timeout' | 'stalled' | 'token-expired';

/** Why a live session lost its socket and waits for its client to come back. */
export type DetachReason =
  /** The session closed the socket itself for a reason the client can recover from. */
  | { readonly kind: ResumableClose }
  /** The server closed the socket because it is going away (1001). */
  | { readonly kind: 'server-going-away' }
  /** The peer closed or dropped the socket without saying goodbye (anything but 1000). */
  | { readonly kind: 'connection-lost'; readonly peerCode: number };

export type SessionState<Msg> =
  | { readonly kind: 'handshaking' }
  | {
      readonly kind: 'live';
      readonly claims: TokenClaims;
      /** Set when this session closed its socket and means to be resumed (the close is on its way). */
      closedFor?: ResumableClose;
    }
  | { readonly kind: 'detached-awaiting-resume'; readonly claims: TokenClaims; readonly reason: DetachReason }
  /** Ending for good; `handedTo`: the session its socket went to by a resume (pipelined messages follow it). */
  | { readonly kind: 'closing'; readonly handedTo: Ref<Msg> | undefined };

export type SessionStateKind = SessionState<unknown>['kind'];

/**
 * Why the socket of a live session closed, when the session may be resumed; undefined when it
 * must end: the client said goodbye (1000), or the server closed it for breaking the protocol.
 */
export function detachReason(conn: Connection, peerCode: number, closedFor: ResumableClose | undefined): DetachReason | undefined {
  if (closedFor !== undefined) return { kind: closedFor };
  const closedWith = conn.closedWith;
  if (closedWith === undefined) return peerCode === 1000 ? undefined : { kind: 'connection-lost', peerCode };
  return closedWith.code === CloseCode.GoingAway ? { kind: 'server-going-away' } : undefined;
}

/** The claims of the client this session serves, once its handshake succeeded. */
export function claimsOf(state: SessionState<unknown>): TokenClaims | undefined {
  return state.kind === 'live' || state.kind === 'detached-awaiting-resume' ? state.claims : undefined;
}
